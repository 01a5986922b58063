/**
 * Profiles an exported JavaScript or TypeScript function: loads it as the project would
 * (transpiling TypeScript first), then hands the Node harness to the same runner, sampler and
 * trace builder as Python. A file that cannot be transpiled ends like a module that cannot be
 * imported: a trace whose fault says where.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PoolKind } from '../../shared/trace';
import { runHarness, type ProfileOptions, type ProfileOutcome, type RunControl } from '../runner';
import { buildTrace } from '../trace-builder';
import { isTypeScriptFile, moduleFormatOf } from './module-format';
import type { NodeHarnessConfig } from './protocol';
import { transpile } from './transpile';

export const NODE_KINDS: readonly PoolKind[] = ['serial', 'async', 'thread', 'process'];

export interface NodeProfileOptions extends Omit<ProfileOptions, 'python' | 'harnessPath' | 'startMethod'> {
  /** The Node.js executable (findNodeInterpreter). */
  node: string;
  nodeVersion: string;
  /** The folder of conclens-node-harness.js and its worker bundles; default: next to this bundle. */
  harnessDir?: string;
}

const HARNESS = 'conclens-node-harness.js';

export function defaultNodeHarnessDir(): string {
  const candidates = [__dirname, path.resolve(__dirname, '..', '..', '..', 'dist')];
  const found = candidates.find((dir) => existsSync(path.join(dir, HARNESS)));
  if (!found) throw new Error(`${HARNESS} not found next to the bundle (looked in ${candidates.join(', ')}); run npm run build`);
  return found;
}

export async function runNodeProfile(options: NodeProfileOptions, control: RunControl = {}): Promise<ProfileOutcome> {
  const root = path.resolve(options.root);
  const file = path.resolve(root, options.file);
  const format = moduleFormatOf(file);
  const typescript = isTypeScriptFile(file);
  const harnessDir = options.harnessDir ?? defaultNodeHarnessDir();
  const kinds = options.kinds ?? [...NODE_KINDS];
  const language = typescript ? 'typescript' : 'javascript';
  const ownedDirs: string[] = [];
  try {
    let moduleFile = file;
    if (typescript) {
      const outDir = mkdtempSync(path.join(os.tmpdir(), 'conclens-ts-'));
      ownedDirs.push(outDir);
      const transpiled = await transpile(file, format, root, outDir, Number(options.nodeVersion.split('.')[0]));
      if (!transpiled.ok) return notLoaded(options, kinds, language, transpiled.message);
      moduleFile = transpiled.moduleFile;
    }
    const extra: Omit<NodeHarnessConfig, keyof import('../harness-protocol').HarnessConfig> = {
      moduleFile,
      moduleFormat: format,
      transpiled: typescript,
      workerScript: path.join(harnessDir, 'conclens-node-worker.js'),
      watchdogScript: path.join(harnessDir, 'conclens-node-watchdog.js'),
      ownedDirs,
    };
    const heapFlag = options.memoryLimitBytes ? [`--max-old-space-size=${Math.max(1, Math.round(options.memoryLimitBytes / 2 ** 20))}`] : [];
    return await runHarness(
      {
        runtimeName: 'Node.js',
        executable: options.node,
        args: [...heapFlag, path.join(harnessDir, HARNESS)],
        env: {},
        abruptExitCauses: 'the function ended the process (process.abort, a crash in native code, or running out of memory)',
        config: extra,
        language,
      },
      { ...options, kinds },
      control,
    );
  } finally {
    for (const dir of ownedDirs) rmSync(dir, { recursive: true, force: true });
  }
}

function notLoaded(options: NodeProfileOptions, kinds: PoolKind[], language: 'typescript' | 'javascript', message: string): ProfileOutcome {
  const trace = buildTrace({
    options: { ...options, kinds, repeat: options.repeat ?? 3, timeoutSec: options.timeoutSec ?? 60, language },
    // Nothing ran: the interpreter is described from the lookup instead of its own hello.
    events: [
      {
        type: 'hello',
        pid: process.pid,
        python: options.node,
        version: options.nodeVersion,
        implementation: 'node',
        freeThreadedBuild: false,
        gilEnabled: false,
        usableCpus: os.availableParallelism(),
        procAvailable: true,
        startMethod: '',
        runtime: 'node',
      },
    ],
    faults: [{ fault: 'import', fatal: true, message }],
    sampler: null,
    output: { stdout: '', stderr: '', droppedBytes: 0 },
  });
  trace.sampler.unavailable = [];
  // Nothing ran: bad input, as a module that fails to import is for Python.
  return { trace, completed: false, inputError: true, message };
}
