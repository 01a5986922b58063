import { mkdirSync } from 'node:fs';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { nodeHarnessEntries } from '../../../scripts/esbuild-plugins.mjs';
import { findNodeInterpreter } from '../../../src/profiler/node/interpreter';
import { runNodeProfile, type NodeProfileOptions } from '../../../src/profiler/node/profile';
import type { ProfileOutcome, RunControl } from '../../../src/profiler/runner';

export const NODE_FIXTURES = path.resolve(__dirname, '../../fixtures/profiler-node');
const ROOT = path.resolve(__dirname, '../../..');

let built: Promise<string> | null = null;

/**
 * Bundles the Node harness, its pool worker and its watchdog the way esbuild.mjs does, into a
 * folder of this test run's own: the profiles then run current sources, never a stale dist/.
 */
export function nodeHarnessDir(): Promise<string> {
  built ??= (async () => {
    const outdir = path.join(ROOT, 'out', 'unit-node-harness');
    mkdirSync(outdir, { recursive: true });
    const entryPoints = Object.fromEntries(Object.entries(nodeHarnessEntries).map(([name, entry]) => [name, path.join(ROOT, entry)]));
    await esbuild.build({ entryPoints, outdir, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'error' });
    return outdir;
  })();
  return built;
}

let counter = 0;

/** A run control that cancels `delayMs` after the first configuration starts; `at` is when it did. */
export function cancelWhenRunning(delayMs: number): { control: RunControl; at: () => number } {
  const abort = new AbortController();
  let at = 0;
  const onProgress: RunControl['onProgress'] = ({ message }) => {
    if (at !== 0 || !message.startsWith('running')) return;
    at = -1;
    setTimeout(() => {
      at = Date.now();
      abort.abort();
    }, delayMs);
  };
  return { control: { signal: abort.signal, onProgress }, at: () => at };
}

export async function profileNodeFixture(
  options: Partial<NodeProfileOptions> & Pick<NodeProfileOptions, 'file' | 'function' | 'tasks'>,
  control: RunControl = {},
): Promise<ProfileOutcome & { runId: string }> {
  const lookup = await findNodeInterpreter({ configured: process.execPath });
  if (!lookup.ok) throw new Error(lookup.message);
  const runId = `conclens-node-test-${process.pid}-${++counter}-${Date.now()}`;
  const outcome = await runNodeProfile(
    {
      node: lookup.interpreter.path,
      nodeVersion: lookup.interpreter.version,
      root: NODE_FIXTURES,
      repeat: 1,
      workers: [2],
      timeoutSec: 20,
      harnessDir: await nodeHarnessDir(),
      runId,
      ...options,
    },
    control,
  );
  return { ...outcome, runId };
}
