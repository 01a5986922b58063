// The dask kind on real clusters: a LocalCluster the harness starts (and must leave nothing of),
// and an existing `dask scheduler` + `dask worker` cluster the test starts (and the profile must
// leave running). Debian's python3-distributed for /usr/bin/python3 is installed when missing.
// On a loaded machine speedups wander (and the kernel's autogroup gives the profile's session
// one share of the CPUs however many processes it runs), so what load does not change is
// asserted: the two Dask workers run their tasks at the same time, a tiny task waits longer
// for the scheduler than it computes; the speedup itself only when the machine was idle.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ensureDask } from '../../../scripts/ensure-test-deps.mjs';
import { clusterAlive, startExternalCluster, stopExternalCluster, workerLeftovers } from './dask-cluster';
import { assertCancelStopsEverything, processesWithRunId, profileFixture, runsOf } from './helpers';
import { validateTrace } from './schema';

const python = ensureDask();

/** The share of the run's wall time during which both processes had a task running. */
function bothBusy(run: ReturnType<typeof runsOf>[number], [a, b]: number[]): number {
  const spans = (pid: number) => run.tasks.filter((t) => t.pid === pid).map((t) => [t.startNs, t.endNs] as const);
  let overlap = 0;
  for (const [s1, e1] of spans(a!)) for (const [s2, e2] of spans(b!)) overlap += Math.max(0, Math.min(e1, e2) - Math.max(s1, s2));
  return overlap / run.wallNs;
}

const busy = (runs: ReturnType<typeof runsOf>): boolean => runs.reduce((s, r) => s + r.totals.runqNs, 0) / runs.reduce((s, r) => s + r.totals.taskWallNs, 0) >= 0.2;

void test('CPU-bound on a local cluster: two workers compute at once, and the verdict weighs Dask against the process pool', async () => {
  // Eight tasks of about 90 ms, three repetitions: one repetition of four 55 ms tasks went from
  // 1.25x to 1.6x between runs (the cluster's own scheduler and heartbeats share the 2 cores);
  // the median of three stayed at 1.62-1.71 over twelve profiles.
  const outcome = await profileFixture({ file: 'cpu_bound.py', function: 'spin', tasks: '[3000000]*8', kinds: ['serial', 'process', 'dask'], workers: [1, 2], python, repeat: 3 });
  assert.equal(outcome.completed, true, outcome.message);
  validateTrace(outcome.trace);
  const [dask] = runsOf(outcome, 'dask', 2);
  const serial = runsOf(outcome, 'serial', 1);
  assert.equal(dask.dask!.local, true);
  assert.equal(dask.dask!.workers.length, 2);
  assert.equal(new Set(dask.tasks.map((t) => t.pid)).size, 2, 'both workers ran tasks');
  assert.ok(dask.dask!.workers.every((w) => w.clockOffsetNs === 0 && w.host === os.hostname()), 'same host, same clock');
  assert.ok(runsOf(outcome, 'dask', 1)[0].dask!.startupNs! > 0, 'starting the first worker is timed');
  assert.ok(dask.dask!.startupNs! > 0, 'so is adding the second');
  assert.ok(dask.tasks.every((t) => t.dask && t.dask.schedulerLatencyNs >= 0 && t.startNs >= dask.startNs && t.endNs <= dask.endNs));
  assert.ok(dask.ipc!.argsBytes > 0 && dask.ipc!.resultBytes > 0);
  const together = bothBusy(dask, dask.dask!.workers.map((w) => w.pid));
  assert.ok(together >= 0.5, `both workers computed at once for ${Math.round(100 * together)}% of the run`);
  // 1.5x needs both cores. Two CI runs read 1.48x in every repetition with no runqueue wait in
  // the serial run (CPU taken from outside the guest, or by a process outside the run), so the
  // process pool measured in the same profile says what the machine gave: Dask must be near it.
  const median = (kind: 'dask' | 'process') => {
    const speedups = runsOf(outcome, kind, 2).map((r) => r.speedup!).sort((a, b) => a - b);
    return speedups[Math.floor(speedups.length / 2)]!;
  };
  const [daskX2, processX2] = [median('dask'), median('process')];
  assert.ok(daskX2 >= 1.5 || busy(serial) || daskX2 >= 0.85 * processX2, `dask x2 ${daskX2}, process x2 ${processX2}`);
  const verdict = outcome.trace.verdict!;
  assert.match(verdict.summary, /Dask: \d\.\d\d× on 2 local workers/);
  assert.match(verdict.summary, /process pool/);
  assert.match(verdict.summary, /Estimate, not measured \(model: /);
  assert.deepEqual(verdict.clusterEstimate!.points.map((p) => p.machines), [2, 4, 8]);
  assert.deepEqual(processesWithRunId(outcome.runId), [], 'the local cluster and every process it started are gone');
});

void test('tiny tasks on a local cluster: the scheduler latency is the bottleneck', async () => {
  const outcome = await profileFixture({ file: 'tiny_tasks.py', function: 'add_one', tasks: 'range(200)', kinds: ['serial', 'dask'], workers: [2], python });
  assert.equal(outcome.completed, true, outcome.message);
  const [dask] = runsOf(outcome, 'dask', 2);
  const latency = dask.tasks.map((t) => t.dask!.schedulerLatencyNs).sort((a, b) => a - b)[100];
  const work = dask.tasks.map((t) => t.endNs - t.startNs).sort((a, b) => a - b)[100];
  assert.ok(latency > work, `median scheduler latency ${latency} ns against ${work} ns of work`);
  const verdict = outcome.trace.verdict!;
  assert.equal(verdict.recommendation, 'serial');
  assert.equal(verdict.bottleneck, 'scheduler', verdict.summary);
  assert.match(verdict.summary, /each task waits [\d.]+ (ms|µs) for the scheduler/);
  assert.deepEqual(processesWithRunId(outcome.runId), []);
});

void test('an existing cluster through --dask-scheduler: its workers are measured, and it is left running and as found, after a timeout too', async () => {
  const cluster = await startExternalCluster(python, 2);
  try {
    const outcome = await profileFixture({ file: 'cpu_bound.py', function: 'spin', tasks: '[300000]*4', kinds: ['serial', 'dask'], daskScheduler: cluster.address, python });
    assert.equal(outcome.completed, true, outcome.message);
    validateTrace(outcome.trace);
    const runs = outcome.trace.runs.filter((r) => r.kind === 'dask');
    assert.deepEqual(runs.map((r) => r.workers), [2], "one configuration: the cluster's two worker threads");
    const info = runs[0].dask!;
    assert.equal(info.local, false);
    assert.equal(info.scheduler, cluster.address);
    assert.equal(info.startupNs, null);
    assert.deepEqual(info.workers.map((w) => w.pid).sort(), [...cluster.workerPids].sort());
    assert.deepEqual([...new Set(runs[0].tasks.map((t) => t.pid))].sort(), [...cluster.workerPids].sort(), 'the tasks ran on its workers');
    assert.ok(outcome.trace.sampler.unavailable.some((u) => u.includes('existing Dask cluster')));
    assert.ok(runs[0].tasks.every((t) => t.error === undefined), 'the workers imported the harness and the module');
    assert.ok(clusterAlive(cluster), 'the profile never stops an existing cluster');
    assert.deepEqual(workerLeftovers(python, cluster), [], 'and leaves its workers as it found them');
    assert.deepEqual(processesWithRunId(outcome.runId), []);

    // The harness ends itself on a timeout: it still puts the workers back, and the keeper
    // that stops everything below the harness leaves the cluster's processes (not below it).
    const stopped = await profileFixture({ file: 'endless.py', function: 'forever', tasks: '[1]', kinds: ['dask'], daskScheduler: cluster.address, timeoutSec: 4, python });
    assert.match(stopped.trace.faults.find((f) => f.fault === 'timeout')?.message ?? stopped.message, /^dask x2 did not finish within 4s .* left to finish/);
    assert.ok(clusterAlive(cluster), 'a timeout does not stop an existing cluster either');
    assert.deepEqual(workerLeftovers(python, cluster), []);
  } finally {
    await stopExternalCluster(cluster);
  }
});

void test('a scheduler address that does not answer: a clear error within the timeout, nothing run', async () => {
  const started = Date.now();
  const outcome = await profileFixture({ file: 'cpu_bound.py', function: 'spin', tasks: '[1]', kinds: ['serial', 'dask'], daskScheduler: 'tcp://127.0.0.1:9', timeoutSec: 3, python });
  assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
  assert.equal(outcome.completed, false);
  assert.match(outcome.message, /^--dask-scheduler tcp:\/\/127\.0\.0\.1:9: no Dask scheduler answered within 3s/);
  assert.deepEqual(outcome.trace.runs, []);
  assert.deepEqual(processesWithRunId(outcome.runId), []);
});

void test('a worker killed mid-task: Dask retries it elsewhere, and the trace says so', async () => {
  const markers = mkdtempSync(path.join(os.tmpdir(), 'conclens-dask-markers-'));
  try {
    const outcome = await profileFixture({ file: 'dask_faults.py', function: 'die_once', tasks: `[(${JSON.stringify(markers)}, i) for i in range(4)]`, kinds: ['dask'], workers: [2], python });
    assert.equal(outcome.completed, true, outcome.message);
    const [run] = outcome.trace.runs;
    assert.deepEqual(run.tasks.map((t) => t.index).sort(), [0, 1, 2, 3]);
    assert.equal(run.totals.errors, 0);
    // The dead worker may have held a queued task besides the one it was running.
    const retried = run.dask!.retriedTasks;
    assert.ok(retried.includes(1) && retried.every((i) => i === 1 || i === 3), JSON.stringify(retried));
    const note = outcome.trace.faults.find((f) => f.fault === 'cluster')!;
    assert.equal(note.fatal, false);
    assert.match(note.message, /^dask x2: a worker died with tasks? 1(, 3)? assigned to it \(running or queued there\); Dask ran (it|them) again on another worker and (it|they) completed/);
    assert.deepEqual(processesWithRunId(outcome.runId), []);
  } finally {
    rmSync(markers, { recursive: true, force: true });
  }
});

void test('a task that kills every worker it runs on: Dask gives up, the profile says so and leaves no process', async () => {
  const outcome = await profileFixture({ file: 'dask_faults.py', function: 'die_always', tasks: '[0]', kinds: ['dask'], workers: [1], timeoutSec: 40, python });
  assert.equal(outcome.completed, false);
  assert.match(outcome.message, /task 0 killed every Dask worker that ran it, so Dask gave up on it \(KilledWorker/);
  assert.deepEqual(processesWithRunId(outcome.runId), []);
});

void test('a task that raises on a Dask worker is recorded with its traceback', async () => {
  const outcome = await profileFixture({ file: 'raising.py', function: 'fail_on_odd', tasks: 'range(4)', kinds: ['dask'], workers: [2], python });
  assert.equal(outcome.completed, true, outcome.message);
  const [run] = outcome.trace.runs;
  assert.equal(run.totals.errors, 2);
  assert.match(run.tasks.find((t) => t.index === 3)!.error!.traceback, /raising\.py", line 3/);
  assert.deepEqual(processesWithRunId(outcome.runId), []);
});

void test('a deadline exceeded on a local cluster: worker stacks, and every cluster process stopped', async () => {
  const outcome = await profileFixture({ file: 'endless.py', function: 'forever', tasks: '[1, 2]', kinds: ['dask'], workers: [2], timeoutSec: 4, python });
  const fault = outcome.trace.faults.find((f) => f.fault === 'timeout')!;
  assert.ok(fault, outcome.message);
  assert.match(fault.message, /^dask x2 did not finish within 4s/);
  assert.equal(fault.stacks!.filter((s) => s.frames.some((f) => f.file.endsWith('endless.py'))).length, 2, 'the stack of each worker running the endless task');
  assert.deepEqual(processesWithRunId(outcome.runId), []);
});

void test('cancel during a Dask run stops the cluster within 2 seconds', async () => {
  // Two seconds in: the local cluster is up and its workers are inside the endless tasks.
  await assertCancelStopsEverything({ file: 'endless.py', function: 'forever', tasks: '[1, 2]', kinds: ['dask'], workers: [2], timeoutSec: 60, python }, 2000);
});

void test('an interpreter without distributed: the message says how to install it, and the other kinds run', async () => {
  // A virtual environment of the same Python without its site packages: no Dask in it.
  const venv = mkdtempSync(path.join(os.tmpdir(), 'conclens-no-dask-'));
  try {
    assert.equal(spawnSync(python, ['-m', 'venv', '--without-pip', venv]).status, 0);
    const bare = path.join(venv, 'bin', 'python3');
    const outcome = await profileFixture({ file: 'tiny_tasks.py', function: 'add_one', tasks: 'range(4)', kinds: ['serial', 'dask'], python: bare });
    assert.equal(outcome.completed, false);
    const fault = outcome.trace.faults.find((f) => f.skippedKind === 'dask')!;
    assert.match(fault.message, /^the dask kind needs the `distributed` package, which \S+ cannot import \(ModuleNotFoundError/);
    assert.match(fault.message, /-m pip install distributed/);
    assert.deepEqual(outcome.trace.runs.map((r) => r.kind), ['serial']);
  } finally {
    rmSync(venv, { recursive: true, force: true });
  }
});
