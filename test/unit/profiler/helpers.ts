import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { runProfile, type ProfileOptions, type ProfileOutcome } from '../../../src/profiler/runner';
import { scratchDir } from '../scratch';

export const FIXTURES = path.resolve(__dirname, '../../fixtures/profiler');
export const HARNESS = path.resolve(__dirname, '../../../src/profiler/python/conclens_harness.py');
const ROOT = path.resolve(__dirname, '../../..');

let counter = 0;

/** Processes (any descendant, whatever its command line) whose CONCLENS_RUN_ID passes `matches`. */
function processesWith(matches: (runId: string) => boolean): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const entry = readFileSync(`/proc/${name}/environ`, 'latin1').split('\0').find((e) => e.startsWith('CONCLENS_RUN_ID='));
      if (entry && matches(entry.slice('CONCLENS_RUN_ID='.length))) found.push(Number(name));
    } catch {
      continue;
    }
  }
  return found;
}

/** Processes still carrying this run's id. */
export function processesWithRunId(runId: string): number[] {
  return processesWith((id) => id === runId);
}

/** Processes of every run a runner process started (its default run ids begin with its pid). */
export function processesOfRunner(runnerPid: number): number[] {
  return processesWith((id) => id.startsWith(`${runnerPid}-`));
}

/** A fresh folder to give a run as its temporary root, so that a test can see what it left. */
export function freshTempRoot(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'conclens-test-tmp-'));
}

/**
 * Profiles a fixture and checks that nothing outlived the run: no process carrying its run id,
 * nothing left in its temporary root.
 */
export async function profileFixture(
  options: Partial<ProfileOptions> & Pick<ProfileOptions, 'file' | 'function' | 'tasks'>,
  control: Parameters<typeof runProfile>[1] = {},
): Promise<ProfileOutcome & { runId: string }> {
  const runId = `conclens-test-${process.pid}-${++counter}-${Date.now()}`;
  const tempDir = freshTempRoot();
  try {
    const outcome = await runProfile(
      { python: 'python3', root: FIXTURES, repeat: 1, workers: [1, 2], timeoutSec: 20, harnessPath: HARNESS, runId, tempDir, ...options },
      control,
    );
    assert.deepEqual({ processes: processesWithRunId(runId), temporaryFiles: readdirSync(tempDir) }, { processes: [], temporaryFiles: [] }, 'nothing outlives a run');
    return { ...outcome, runId };
  } finally {
    rmSync(tempDir, { recursive: true, force: true });
  }
}

/** Cancels the profile `afterMs` after its first configuration starts; the whole process tree must be gone within 2 seconds. */
export async function assertCancelStopsEverything(options: Parameters<typeof profileFixture>[0], afterMs: number): Promise<void> {
  const controller = new AbortController();
  let cancelledAt = 0;
  const outcome = await profileFixture(options, {
    signal: controller.signal,
    onProgress: (progress) => {
      if (progress.message.startsWith('running') && !cancelledAt) {
        setTimeout(() => {
          cancelledAt = Date.now();
          controller.abort();
        }, afterMs);
      }
    },
  });
  assert.ok(cancelledAt > 0);
  assert.ok(Date.now() - cancelledAt < 2000, `took ${Date.now() - cancelledAt} ms`);
  assert.equal(outcome.trace.faults.find((f) => f.fatal)?.fault, 'cancelled');
  assert.deepEqual(processesWithRunId(outcome.runId), []);
}

export function runsOf(outcome: ProfileOutcome, kind: string, workers: number) {
  return outcome.trace.runs.filter((r) => r.kind === kind && r.workers === workers);
}

export function share(runs: ReturnType<typeof runsOf>, pick: (t: ReturnType<typeof runsOf>[number]['totals']) => number | null): number {
  const total = runs.reduce((s, r) => s + r.totals.taskWallNs, 0);
  return runs.reduce((s, r) => s + (pick(r.totals) ?? 0), 0) / total;
}

/** Bundles src/cli.ts the way esbuild.mjs does, into a folder of its own with the harness's
 *  modules next to it; returns the path of cli.js. */
export async function bundleCli(): Promise<string> {
  const dir = scratchDir('conclens-built-');
  await esbuild.build({
    entryPoints: { cli: path.join(ROOT, 'src/cli.ts') },
    outdir: dir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['vscode'],
    logLevel: 'error',
  });
  cpSync(path.dirname(HARNESS), dir, { recursive: true, filter: (source) => !source.includes('__pycache__') });
  return path.join(dir, 'cli.js');
}
