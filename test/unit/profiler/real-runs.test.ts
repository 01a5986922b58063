// Runs the real harness on fixtures with known behaviour and checks the measurements and the
// verdict. Tolerances are set for a noisy 2-core machine shared with other work: they compare
// quantities the physics fixes (CPU time exceeding wall time only when the GIL is released,
// sleeping overlapping on threads, one lock serializing) rather than exact speedups.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import os from 'node:os';
import { test } from 'node:test';
import { defaultWorkerCounts } from '../../../src/profiler/runner';
import { FIXTURES, processesWithRunId, profileFixture, runsOf, share } from './helpers';
import { validateTrace } from './schema';

/** Summed thread CPU over the wall time: above 1 only if tasks computed at the same time. */
function parallelism(runs: ReturnType<typeof runsOf>): number {
  return runs.reduce((s, r) => s + r.totals.cpuNs, 0) / runs.reduce((s, r) => s + r.wallNs, 0);
}

void test('CPU-bound pure Python: threads cannot compute in parallel, the verdict does not pick threads', async () => {
  const outcome = await profileFixture({ file: 'cpu_bound.py', function: 'spin', tasks: '[1500000]*4' });
  assert.equal(outcome.completed, true, outcome.message);
  validateTrace(outcome.trace);
  assert.equal(outcome.trace.runs.length, 5);
  assert.equal(outcome.trace.runs.filter((r) => r.kind === 'thread').length, 2);
  assert.ok(parallelism(runsOf(outcome, 'thread', 2)) < 1.15, `thread x2 parallelism ${parallelism(runsOf(outcome, 'thread', 2))}`);
  const threadTasks = runsOf(outcome, 'thread', 2)[0].tasks;
  const offCpu = threadTasks.reduce((s, t) => s + (t.endNs - t.startNs) - t.decomposition.cpuNs, 0) /
    threadTasks.reduce((s, t) => s + (t.endNs - t.startNs), 0);
  assert.ok(offCpu > 0.3, `two threads share one GIL: each task waits about half its time (off-CPU ${offCpu})`);
  const verdict = outcome.trace.verdict!;
  assert.ok(verdict.recommendation !== 'thread' || verdict.withinNoise, verdict.summary);
  assert.match(verdict.summary, /\d/);
  assert.deepEqual(processesWithRunId(outcome.runId), []);
});

void test('sleeping tasks overlap on threads: thread pool recommended, I/O-bound', async () => {
  // Four sleeping threads on two cores: ideally 4x; wake-up latency on a loaded box costs some.
  const outcome = await profileFixture({ file: 'sleeping.py', function: 'nap', tasks: '[0.1]*4', kinds: ['serial', 'thread'], workers: [4] });
  assert.equal(outcome.completed, true, outcome.message);
  const [threads] = runsOf(outcome, 'thread', 4);
  assert.ok(threads.speedup! > 2, `thread x4 speedup ${threads.speedup}`);
  assert.equal(outcome.trace.verdict?.recommendation, 'thread');
  assert.equal(outcome.trace.verdict?.bottleneck, 'io');
  assert.ok(share(runsOf(outcome, 'serial', 1), (t) => t.sleepNs) > 0.5, 'the sampler sees clock_nanosleep');
});

/** Off-CPU time that is not runqueue wait (GIL, locks, I/O), as a share of task time. The
 *  machine's load shows up as runqueue wait, not here, so this holds on a busy box. */
function blockedShare(runs: ReturnType<typeof runsOf>): number {
  const tasks = runs.flatMap((r) => r.tasks);
  return tasks.reduce((s, t) => s + t.decomposition.blockedNs, 0) / tasks.reduce((s, t) => s + (t.endNs - t.startNs), 0);
}

void test('C code that releases the GIL (hashlib) is not blocked on threads, pure Python is', async () => {
  const hashing = await profileFixture({ file: 'gil_releasing.py', function: 'digest', tasks: '[1]*6', kinds: ['serial', 'thread'], workers: [2] });
  assert.equal(hashing.completed, true, hashing.message);
  const python = await profileFixture({ file: 'cpu_bound.py', function: 'spin', tasks: '[1500000]*4', kinds: ['serial', 'thread'], workers: [2] });
  assertGilFigures(hashing, python, 'quiet');
  // Speedups and the recommendation depend on what else runs: only an idle machine must give threads.
  const verdict = hashing.trace.verdict!;
  assert.ok(verdict.recommendation === 'thread' || /Machine busy/.test(verdict.summary), verdict.summary);
  assert.notEqual(verdict.bottleneck, 'gil', verdict.summary);
  assert.equal(python.trace.verdict!.bottleneck, 'gil', python.trace.verdict!.summary);
});

/** What load does not change: pure Python blocks its threads on the GIL and hashlib does not,
 *  by the sampled GIL wait and by the probe (its runqueue wait taken out). */
function assertGilFigures(hashing: Awaited<ReturnType<typeof profileFixture>>, python: Awaited<ReturnType<typeof profileFixture>>, machine: 'quiet' | 'loaded'): void {
  const hashingBlocked = blockedShare(runsOf(hashing, 'thread', 2));
  const pythonBlocked = blockedShare(runsOf(python, 'thread', 2));
  // Quiet machine: about 0.001 against 0.45. Under a load of 10-20 on 2 cores, about 0.00001-0.05
  // against 0.04-0.15 (a GIL holder preempted mid-handoff blocks the other thread).
  assert.ok(pythonBlocked > 0.02, `pure Python thread x2 blocked ${pythonBlocked}`);
  assert.ok(hashingBlocked < pythonBlocked / 3, `hashlib ${hashingBlocked} vs pure Python ${pythonBlocked}`);
  assert.ok(share(runsOf(hashing, 'thread', 2), (t) => t.gilWaitNs) < 0.05, 'hashlib threads barely wait for the GIL');
  // The probe's 1 ms sleeps overshoot by about the switch interval (5 ms) while pure Python holds
  // the GIL, by a tenth of a millisecond otherwise. On a machine loaded on every core a holder
  // that gets a CPU finds a drop request already pending and hands over at once, so most of the
  // probe's wait becomes runqueue wait, which is taken out: its median fell to 0.5 ms in one CI
  // run (its 90th percentile stayed at 35 ms). There, only the tail and the order are asserted.
  const probe = (outcome: typeof hashing) => runsOf(outcome, 'thread', 2)[0].gilProbe!;
  const figures = JSON.stringify({ python: probe(python), hashing: probe(hashing) });
  validateTrace(python.trace);
  assert.ok(probe(python).samples >= 3 && probe(hashing).samples >= 3, figures);
  assert.ok(probe(hashing).medianOvershootNs < 1e6, figures);
  if (machine === 'quiet') assert.ok(probe(python).medianOvershootNs > 2e6, figures);
  assert.ok(probe(python).p90OvershootNs > 2e6, figures);
  assert.ok(probe(python).medianOvershootNs > probe(hashing).medianOvershootNs, figures);
  assert.equal(runsOf(hashing, 'serial', 1)[0].gilProbe, undefined);
}

void test('on a machine loaded on every core the verdict says "machine busy" and blames nothing it did not measure', async () => {
  // Two busy loops per usable CPU (the scheduler shares fairly: with one per CPU a task would wait
  // for a core only 1/(CPUs+1) of the time), each in a process group of its own, ended by its pid.
  const burners = Array.from({ length: 2 * os.availableParallelism() }, () =>
    spawn(process.execPath, ['-e', 'for (;;) {}'], { detached: true, stdio: 'ignore' }),
  );
  try {
    const hashing = await profileFixture({ file: 'gil_releasing.py', function: 'digest', tasks: '[1]*6', kinds: ['serial', 'thread'], workers: [2] });
    const python = await profileFixture({ file: 'cpu_bound.py', function: 'spin', tasks: '[1500000]*4', kinds: ['serial', 'thread'], workers: [2] });
    assertGilFigures(hashing, python, 'loaded');
    const verdict = hashing.trace.verdict!;
    assert.match(verdict.summary, /Machine busy: up to \d+% of task time was spent waiting for a CPU that other processes held/);
    assert.equal(verdict.confidence, 'low');
    assert.notEqual(verdict.bottleneck, 'gil', verdict.summary);
    assert.doesNotMatch(verdict.summary, /spent waiting for the GIL/);
  } finally {
    for (const burner of burners) process.kill(-burner.pid!, 'SIGKILL');
  }
});

void test('one contended lock serializes threads; the verdict names its site and the per-process copy', async () => {
  const outcome = await profileFixture({ file: 'lock_contended.py', function: 'update', tasks: '[1500000]*4' });
  assert.equal(outcome.completed, true, outcome.message);
  const [lock] = outcome.trace.locks;
  assert.deepEqual(lock.site, { file: 'lock_contended.py', line: 3 });
  assert.equal(lock.acquisitions, 4 * 5, 'one acquisition per task in each of the 5 runs');
  assert.ok(share(runsOf(outcome, 'thread', 2), (t) => t.lockWaitNs) > 0.2, `threads wait for the lock: ${share(runsOf(outcome, 'thread', 2), (t) => t.lockWaitNs)} ${JSON.stringify(runsOf(outcome, 'thread', 2).map((r) => r.tasks.map((t) => [t.worker, t.startNs - r.startNs, t.endNs - r.startNs, t.decomposition.lockWaitNs])))}`);
  assert.equal(lock.waitNsByKind.process, 0, 'each process has its own copy: nobody waits');
  assert.ok(runsOf(outcome, 'thread', 2)[0].lockSpans.length >= 4);
  const verdict = outcome.trace.verdict!;
  assert.equal(verdict.bottleneck, 'lock', verdict.summary);
  assert.match(verdict.summary, /lock_contended\.py:3/);
  assert.match(verdict.summary, /own copy of the lock/);
});

void test('tasks too small for a process pool: serial, overhead or IPC', async () => {
  const outcome = await profileFixture({ file: 'tiny_tasks.py', function: 'add_one', tasks: 'range(3000)', kinds: ['serial', 'process'], workers: [2] });
  assert.equal(outcome.completed, true, outcome.message);
  const [processes] = runsOf(outcome, 'process', 2);
  assert.ok(processes.speedup! < 1, `process x2 speedup ${processes.speedup}`);
  assert.ok(processes.ipc!.argsBytes > 3000 && processes.ipc!.resultBytes > 3000);
  assert.equal(outcome.trace.verdict?.recommendation, 'serial');
  assert.ok(['overhead', 'ipc'].includes(outcome.trace.verdict!.bottleneck), outcome.trace.verdict?.bottleneck);
  assert.match(outcome.trace.verdict!.summary, /too small|pickling/);
});

void test('exceptions are recorded per task with type, message and traceback; the profile completes', async () => {
  const progress: { done: number; total: number | null }[] = [];
  const outcome = await profileFixture({ file: 'raising.py', function: 'fail_on_odd', tasks: 'range(6)', workers: undefined }, { onProgress: (p) => progress.push(p) });
  assert.equal(outcome.completed, true, outcome.message);
  const sizes = defaultWorkerCounts(outcome.trace.host.cpusUsable);
  const total = 1 + 2 * sizes.length;
  assert.deepEqual(progress[progress.length - 1], { message: `finished process x${sizes[sizes.length - 1]}`, done: total, total });
  for (const run of outcome.trace.runs) {
    assert.equal(run.totals.errors, 3, `${run.kind} x${run.workers}`);
    const failed = run.tasks.find((t) => t.index === 3)!;
    assert.equal(failed.error?.type, 'ValueError');
    assert.equal(failed.error?.message, 'odd input 3');
    assert.match(failed.error!.traceback, /raising\.py", line 3/);
  }
});

void test('a lock-order inversion is reported as a cycle with both stacks even though the run did not hang', async () => {
  const outcome = await profileFixture({ file: 'lock_order.py', function: 'ordered', tasks: '[0, 1]', kinds: ['serial'] });
  assert.equal(outcome.completed, true, outcome.message);
  const [cycle] = outcome.trace.lockOrder.cycles;
  assert.ok(cycle, 'cycle found');
  assert.deepEqual(cycle.sites.map((s) => s.line).sort(), [3, 4]);
  for (const edge of cycle.edges) assert.ok(edge.stack.some((f) => f.file === 'lock_order.py' && f.line === 11), JSON.stringify(edge.stack));
});

void test('explicit acquire()/release() calls, with and without arguments, are timed and ordered like `with`', async () => {
  const outcome = await profileFixture({ file: 'lock_order.py', function: 'explicit', tasks: '[0, 1]', kinds: ['serial'] });
  assert.equal(outcome.completed, true, outcome.message);
  const [run] = outcome.trace.runs;
  assert.deepEqual(run.tasks.map((t) => t.error ?? null), [null, null]);
  const [cycle] = outcome.trace.lockOrder.cycles;
  assert.ok(cycle, 'cycle found');
  assert.deepEqual(cycle.sites.map((s) => s.line).sort(), [3, 4]);
  for (const edge of cycle.edges) assert.ok(edge.stack.some((f) => f.file === 'lock_order.py' && f.line === 20), JSON.stringify(edge.stack));
});

void test('past its first acquisitions a lock is sampled: counts stay exact, hold time is scaled, order is still tracked', async () => {
  const outcome = await profileFixture({ file: 'lock_contended.py', function: 'ticks', tasks: '[20000]*2', kinds: ['serial'] });
  assert.equal(outcome.completed, true, outcome.message);
  const [lock] = outcome.trace.locks;
  assert.equal(lock.acquisitions, 40000);
  const [run] = outcome.trace.runs;
  const spans = run.lockSpans.length;
  assert.ok(spans > 0 && spans < 10000, `one uncontended acquisition in 16 is timed, ${spans} spans`);
  // Nearly all of each task runs under the lock: the scaled hold time is about the task time.
  const holdShare = lock.holdNs / run.totals.taskWallNs;
  assert.ok(holdShare > 0.3 && holdShare < 1.3, `hold ${lock.holdNs} ns over task time ${run.totals.taskWallNs} ns`);

  const late = await profileFixture({ file: 'lock_order.py', function: 'late_inversion', tasks: '[2000]', kinds: ['serial'] });
  assert.equal(late.completed, true, late.message);
  assert.equal(late.trace.lockOrder.cycles.length, 1, 'the inversion after 2,000 untimed rounds is still seen');
});

void test('a package module is imported like `python -m` from the root, under spawn', async () => {
  const outcome = await profileFixture({ file: 'pkg/sub/work.py', function: 'compute', tasks: 'range(4)', kinds: ['serial', 'process'], workers: [2], startMethod: 'spawn' });
  assert.equal(outcome.completed, true, outcome.message);
  assert.equal(outcome.trace.target.module, 'pkg.sub.work');
  assert.equal(outcome.trace.host.startMethod, 'spawn');
  assert.equal(runsOf(outcome, 'process', 2)[0].tasks.length, 4);
  assert.ok(FIXTURES.length > 0);
});

void test('Condition, Semaphore and re-entered RLock keep working under the proxies and are counted once per hold', async () => {
  const outcome = await profileFixture({ file: 'conditions.py', function: 'handoff', tasks: 'range(6)', kinds: ['serial', 'thread'], workers: [2] });
  assert.equal(outcome.completed, true, outcome.message);
  assert.ok(outcome.trace.runs.every((r) => r.totals.errors === 0));
  const bySite = new Map(outcome.trace.locks.map((l) => [l.site.line, l]));
  const runs = outcome.trace.runs.length;
  assert.equal(bySite.get(3)?.kind, 'Condition');
  assert.equal(bySite.get(4)?.kind, 'Semaphore');
  assert.equal(bySite.get(4)?.acquisitions, 6 * runs);
  assert.equal(bySite.get(5)?.acquisitions, 6 * runs, 'the re-entered acquisition is not a second hold');
});
