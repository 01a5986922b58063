/**
 * Finds a Python interpreter for the profiler: the configured path, else python3/python on
 * PATH. Runs it directly (never through a shell) with a handshake: only a Python interpreter
 * prints the marker line with its version (`/bin/echo` prints the code back, and is refused);
 * 3.9 or newer is needed.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export const MINIMUM_PYTHON: readonly [number, number] = [3, 9];

export interface PythonInterpreter {
  path: string;
  version: string;
}

export type InterpreterLookup = { ok: true; interpreter: PythonInterpreter } | { ok: false; message: string };

/** The first executable `name` in the directories of `envPath` (also used for Node). */
export function onPath(name: string, envPath: string): string | null {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      continue;
    }
  }
  return null;
}

/** Printed by the handshake code, then the version; written so that Python 2 runs it too. */
const HANDSHAKE = 'conclens-python';
const NOT_PYTHON = 'not-python';

/** The interpreter's version, 'not-python' when it ran but did not answer, null when it could not run. */
function readVersion(executable: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(
      executable,
      ['-c', `import sys; sys.stdout.write("${HANDSHAKE} %d.%d.%d\\n" % tuple(sys.version_info[:3]))`],
      { timeout: 10_000, shell: false },
      (error, stdout) => {
        if (error && typeof error.code !== 'number') return resolve(null);
        const answer = new RegExp(`^${HANDSHAKE} (\\d+\\.\\d+\\.\\d+)$`, 'm').exec(stdout);
        resolve(answer ? answer[1] : NOT_PYTHON);
      },
    );
  });
}

function tooOld(version: string): boolean {
  const [major, minor] = version.split('.').map(Number);
  return major < MINIMUM_PYTHON[0] || (major === MINIMUM_PYTHON[0] && minor < MINIMUM_PYTHON[1]);
}

export async function findPythonInterpreter(
  options: { configured?: string; envPath?: string } = {},
): Promise<InterpreterLookup> {
  const envPath = options.envPath ?? process.env.PATH ?? '';
  const candidates = options.configured
    ? [options.configured]
    : (['python3', 'python'].map((name) => onPath(name, envPath)).filter(Boolean) as string[]);
  if (candidates.length === 0) {
    return { ok: false, message: 'No Python interpreter found: neither python3 nor python is on PATH. Install Python 3.9 or newer, or set concurrencyLens.pythonPath (CLI: --python PATH).' };
  }
  const problems: string[] = [];
  for (const candidate of candidates) {
    const version = await readVersion(candidate);
    if (version === null) {
      problems.push(`${candidate} could not be run`);
    } else if (version === NOT_PYTHON) {
      problems.push(`${candidate} is not a Python interpreter: it did not answer the version handshake`);
    } else if (tooOld(version)) {
      problems.push(`${candidate} is Python ${version}`);
    } else {
      return { ok: true, interpreter: { path: candidate, version } };
    }
  }
  const needed = `profiling needs Python ${MINIMUM_PYTHON.join('.')} or newer`;
  return {
    ok: false,
    message: options.configured ? `${problems[0]}; ${needed}.` : `No usable Python interpreter on PATH (${problems.join('; ')}); ${needed}.`,
  };
}
