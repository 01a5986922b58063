/**
 * Finds Node.js for the profiler: the configured path, else `node` on PATH (in VS Code, the
 * user's own Node, not the editor's runtime). A handshake proves it is Node and new enough
 * before anything runs: a path to some other program is named as such.
 */
import { execFile } from 'node:child_process';
import { onPath } from '../interpreter';

export const MINIMUM_NODE = 20;

export interface NodeInterpreter {
  path: string;
  version: string;
}

export type NodeLookup = { ok: true; interpreter: NodeInterpreter } | { ok: false; message: string };

const HANDSHAKE = 'process.stdout.write(JSON.stringify({ conclens: process.release.name, version: process.versions.node }))';

function handshake(executable: string): Promise<{ version: string } | { problem: string }> {
  return new Promise((resolve) => {
    execFile(executable, ['-e', HANDSHAKE], { timeout: 10_000, shell: false, maxBuffer: 64 * 1024 }, (error, stdout) => {
      if (error && !stdout) {
        resolve({ problem: `${executable} could not be run (${(error as NodeJS.ErrnoException).code ?? error.message.split('\n')[0]})` });
        return;
      }
      try {
        const answer = JSON.parse(stdout) as { conclens?: unknown; version?: unknown };
        if (answer.conclens === 'node' && typeof answer.version === 'string') {
          resolve({ version: answer.version });
          return;
        }
      } catch {
        // Not JSON: not Node.
      }
      resolve({ problem: `${executable} is not Node.js (it answered ${JSON.stringify(stdout.slice(0, 60))})` });
    });
  });
}

export async function findNodeInterpreter(options: { configured?: string; envPath?: string } = {}): Promise<NodeLookup> {
  const candidate = options.configured || onPath('node', options.envPath ?? process.env.PATH ?? '');
  if (!candidate) {
    return { ok: false, message: `No Node.js found: node is not on PATH. Install Node.js ${MINIMUM_NODE} or newer, or set concurrencyLens.nodePath (CLI: --node PATH).` };
  }
  const answer = await handshake(candidate);
  if ('problem' in answer) return { ok: false, message: `No usable Node.js: ${answer.problem}; profiling needs Node.js ${MINIMUM_NODE} or newer.` };
  if (Number(answer.version.split('.')[0]) < MINIMUM_NODE) {
    return { ok: false, message: `No usable Node.js: ${candidate} is Node.js ${answer.version}; profiling needs Node.js ${MINIMUM_NODE} or newer.` };
  }
  return { ok: true, interpreter: { path: candidate, version: answer.version } };
}
