import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { runProfile, type ProfileOptions, type ProfileOutcome } from '../../../src/profiler/runner';

export const FIXTURES = path.resolve(__dirname, '../../fixtures/profiler');
export const HARNESS = path.resolve(__dirname, '../../../src/profiler/python/conclens_harness.py');

let counter = 0;

/** Processes (any descendant, whatever its command line) still carrying this run's id. */
export function processesWithRunId(runId: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, 'latin1').split('\0').includes(`CONCLENS_RUN_ID=${runId}`)) found.push(Number(name));
    } catch {
      continue;
    }
  }
  return found;
}

export async function profileFixture(
  options: Partial<ProfileOptions> & Pick<ProfileOptions, 'file' | 'function' | 'tasks'>,
  control: Parameters<typeof runProfile>[1] = {},
): Promise<ProfileOutcome & { runId: string }> {
  const runId = `conclens-test-${process.pid}-${++counter}-${Date.now()}`;
  const outcome = await runProfile(
    { python: 'python3', root: FIXTURES, repeat: 1, workers: [1, 2], timeoutSec: 20, harnessPath: HARNESS, runId, ...options },
    control,
  );
  return { ...outcome, runId };
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
