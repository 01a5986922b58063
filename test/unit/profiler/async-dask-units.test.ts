// The async and dask additions on synthetic inputs with known answers: how a Dask task's
// cluster cost is counted, how the verdict weighs the two kinds against local pools (and
// leaves out runs that did different work), the N-machine estimate's arithmetic, the clock
// offset of another host, and the scheduler address refused before anything runs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import type { HarnessEvent, HarnessTask } from '../../../src/profiler/harness-protocol';
import { toChromeTrace } from '../../../src/profiler/chrome-trace';
import { isDaskSchedulerAddress } from '../../../src/profiler/option-limits';
import { runProfile } from '../../../src/profiler/runner';
import { buildTrace } from '../../../src/profiler/trace-builder';
import { CLUSTER_MODEL, estimateMachines } from '../../../src/profiler/verdict-dask';
import type { DaskRunInfo, PoolKind } from '../../../src/shared/trace';
import { FIXTURES, HARNESS } from './helpers';
import { validateTrace } from './schema';

const MS = 1_000_000;
const hello: HarnessEvent = { type: 'hello', pid: 100, python: '/usr/bin/python3', version: '3.11.2', implementation: 'cpython', freeThreadedBuild: false, gilEnabled: true, usableCpus: 2, procAvailable: true, startMethod: 'fork' };

function task(index: number, pid: number, start: number, end: number, extra: Partial<HarnessTask> = {}): HarnessTask {
  return { index, start, end, cpu: end - start, runq: 0, coreStart: 0, coreEnd: 0, pid, tid: pid, ...extra };
}

/** A run of `kind` whose repetitions take `wallsMs`, each with `count` tasks of `taskMs` spread over `workers`, `gapMs` apart. */
function runs(kind: PoolKind, workers: number, wallsMs: number[], taskMs: number, count = 8, extra: (i: number, start: number) => Partial<HarnessTask> = () => ({}), gapMs = 0): HarnessEvent[] {
  return wallsMs.map((wallMs, repetition) => {
    const start = 10_000 * MS * (repetition + 1) + workers * 100_000 * MS + kind.length * 1_000_000 * MS;
    const tasks = Array.from({ length: count }, (_, i) => {
      const slot = i % workers;
      const at = start + Math.floor(i / workers) * (taskMs + gapMs) * MS + gapMs * MS;
      return task(i, 200 + slot, at, at + taskMs * MS, extra(i, at));
    });
    return { type: 'run', kind, workers, repetition, label: `${kind} x${workers}`, start, end: start + wallMs * MS, wallNs: wallMs * MS, tasks, ipc: null, memory: [] } as HarnessEvent;
  });
}

const daskInfo = (workers: number, local = true): DaskRunInfo => ({
  scheduler: 'tcp://127.0.0.1:8786',
  local,
  startupNs: null,
  workers: Array.from({ length: workers }, (_, i) => ({ address: `tcp://127.0.0.1:${4000 + i}`, host: 'h', pid: 200 + i, nthreads: 1, clockOffsetNs: 0, clockUncertaintyNs: 0 })),
  retriedTasks: [],
});

/**
 * Dask tasks, all submitted at the run's start, 0.4 ms apart on their worker: each is begun
 * 0.1 ms before its call and sends its result 0.1 ms after, so it waits 0.2 ms for the
 * scheduler; the result is held `resultMs` after the call.
 */
function daskRuns(workers: number, wallsMs: number[], taskMs: number, resultMs: number, local = true): HarnessEvent[] {
  return runs('dask', workers, wallsMs, taskMs, 8, () => ({}), 0.4).map((event) => {
    const run = event as Extract<HarnessEvent, { type: 'run' }>;
    const tasks = run.tasks.map((t) => ({
      ...t,
      dask: { worker: `tcp://127.0.0.1:${4000 + t.pid - 200}`, host: 'h', submittedNs: run.start + 0.1 * MS, receivedNs: t.start - 0.1 * MS, sentNs: t.end + 0.1 * MS, resultNs: t.end + resultMs * MS },
    }));
    return { ...run, tasks, dask: daskInfo(workers, local) };
  });
}

function trace(events: HarnessEvent[], kinds: PoolKind[]) {
  return buildTrace({
    options: { file: 'w.py', function: 'work', tasks: 'range(8)', kinds, repeat: 3, timeoutSec: 60 },
    events: [hello, { type: 'tasks', count: 8, module: 'w' }, ...events],
    faults: [],
    sampler: null,
    output: { stdout: '', stderr: '', droppedBytes: 0 },
  });
}

const serial = (taskMs: number) => runs('serial', 1, [8 * taskMs, 8 * taskMs * 1.01, 8 * taskMs * 0.99], taskMs);

void test('a Dask task waits for the scheduler from when it could start: queueing behind its worker is not the cluster\'s cost', () => {
  const t = trace([...serial(100), ...daskRuns(2, [410, 412, 409], 100, 3)], ['serial', 'dask']);
  validateTrace(t);
  const run = t.runs.find((r) => r.kind === 'dask')!;
  // All were submitted at once; the later ones queued for their worker, which is not counted.
  const latencies = run.tasks.map((x) => x.dask!.schedulerLatencyNs / MS);
  assert.ok(latencies.every((l) => Math.abs(l - 0.2) < 1e-6), JSON.stringify(latencies));
  assert.ok(run.tasks.every((x) => Math.abs(x.dask!.resultLatencyNs / MS - 2.9) < 1e-6));
});

void test('Dask within noise of the process pool: the pool stays, the cost per task and the break-even task length are stated', () => {
  const t = trace([...serial(100), ...runs('process', 2, [420, 425, 418], 100), ...daskRuns(2, [430, 428, 433], 100, 3)], ['serial', 'process', 'dask']);
  const verdict = t.verdict!;
  assert.equal(verdict.recommendation, 'process', verdict.summary);
  assert.match(verdict.summary, /Dask: 1\.8\dx on 2 local workers; the process pool's 1\.9\dx is within noise: a cluster pays 200 µs scheduler latency, 2\.9 ms to serialize and return data and 0 B of transfer per task, so it helps only when tasks run longer than ~62 ms and the data outgrows this machine\./);
  assert.match(verdict.summary, /Estimate, not measured \(model: /);
  assert.equal(verdict.speedups['dask x2'], 1.86);
});

void test('Dask clearly ahead (more workers than this machine has cores): recommended, with the estimate', () => {
  const t = trace([...serial(100), ...runs('process', 2, [420, 425, 418], 100), ...daskRuns(8, [110, 112, 111], 100, 1, false)], ['serial', 'process', 'dask']);
  const verdict = t.verdict!;
  assert.equal(verdict.recommendation, 'dask');
  assert.equal(verdict.workers, 8);
  assert.match(verdict.summary, /^Dask: 7\.\d\dx on 8 workers of the cluster \(9\d% efficient\), ahead of the process pool's 1\.9\dx\./);
  assert.match(t.sampler.unavailable.join(' '), /existing Dask cluster/);
  assert.ok(verdict.clusterEstimate!.points.every((p) => p.speedup <= 8 && p.speedup > 7), 'one task per worker already: more machines cannot shorten the longest task');
});

void test('tiny tasks on Dask alone: serial, the scheduler is the bottleneck', () => {
  const t = trace([...serial(0.01), ...daskRuns(2, [40, 42, 41], 0.01, 2)], ['serial', 'dask']);
  assert.equal(t.verdict!.recommendation, 'serial');
  assert.equal(t.verdict!.bottleneck, 'scheduler');
  assert.match(t.verdict!.summary, /each task waits 200 µs for the scheduler and 1\.9 ms for its result to come back, against 10 µs of work/);
});

void test('the N-machine estimate: compute scales down to the longest task, the rest does not', () => {
  // 2 workers: 1000 ms of wall, 800 of it compute; 200 ms fixed. Longest task 50 ms.
  const estimate = estimateMachines({ wallNs: 1000 * MS, computeNs: 800 * MS, longestTaskNs: 50 * MS, workers: 2, hosts: 1, perTaskCostNs: 2 * MS }, 1600 * MS);
  assert.equal(estimate.model, CLUSTER_MODEL);
  assert.deepEqual(estimate.points, [
    { machines: 2, workers: 4, speedup: 2.67 }, // 1600 / (400 + 200)
    { machines: 4, workers: 8, speedup: 4 }, // 1600 / (200 + 200)
    { machines: 8, workers: 16, speedup: 5.33 }, // 1600 / (max(100, 50) + 200)
  ]);
});

void test('async against threads for coroutines that wait: a tie goes to the loop, which needs no pool', () => {
  const waiting = (i: number, at: number): Partial<HarnessTask> => ({ cpu: 1 * MS, slot: i % 4, loopBusyNs: 0, start: at });
  const t = trace(
    [
      ...runs('serial', 1, [800, 801, 799], 100, 8, () => ({ cpu: 1 * MS })),
      ...runs('thread', 4, [205, 204, 206], 100, 8, () => ({ cpu: 1 * MS })),
      ...runs('async', 4, [203, 204, 205], 100, 8, waiting).map((e) => ({ ...e, eventLoop: { busyNs: 8 * MS } }) as HarnessEvent),
    ],
    ['serial', 'thread', 'async'],
  );
  const verdict = t.verdict!;
  assert.equal(verdict.recommendation, 'async', verdict.summary);
  assert.equal(verdict.bottleneck, 'io');
  assert.match(verdict.summary, /^Async: 3\.9\dx with 4 in flight on one event loop; no pool needed: 99% of task time is waiting \(the loop is busy 4% of the time\)\. Threads reach 3\.9\dx at 4 workers\. That is within noise/);
  const inFlight = t.runs.find((r) => r.kind === 'async')!;
  assert.deepEqual([...new Set(inFlight.tasks.map((x) => x.worker))].sort(), [0, 1, 2, 3], 'the slot is the lane');
});

void test('async faster than serial for tasks that never wait is noise, not concurrency', () => {
  const t = trace(
    [...runs('serial', 1, [800, 801, 799], 100), ...runs('async', 2, [690, 700, 695], 100).map((e) => ({ ...e, eventLoop: { busyNs: 680 * MS } }) as HarnessEvent)],
    ['serial', 'async'],
  );
  assert.equal(t.verdict!.recommendation, 'serial');
  assert.match(t.verdict!.summary, /Async reaches only 1\.1\dx with 2 in flight: the coroutine holds the event loop \(busy 98% of the time\)/);
});

void test('async and Dask runs whose tasks failed where serial ones did not get no speedup and are not weighed', () => {
  const failing = (i: number): Partial<HarnessTask> => (i % 2 ? { error: { type: 'ValueError', message: 'odd', traceback: '' } } : {});
  const waiting = (i: number, at: number): Partial<HarnessTask> => ({ cpu: 1 * MS, slot: i % 4, loopBusyNs: 0, start: at, ...failing(i) });
  const t = trace(
    [
      ...runs('serial', 1, [800, 801, 799], 100, 8, () => ({ cpu: 1 * MS })),
      ...runs('thread', 4, [405, 404, 406], 100, 8, () => ({ cpu: 1 * MS })),
      // Far faster than the threads, by skipping half the work.
      ...runs('async', 4, [100, 101, 102], 100, 8, waiting).map((e) => ({ ...e, eventLoop: { busyNs: 8 * MS } }) as HarnessEvent),
      ...daskRuns(8, [110, 112, 111], 100, 1).map((e) => {
        const run = e as Extract<HarnessEvent, { type: 'run' }>;
        return { ...run, tasks: run.tasks.map((x) => ({ ...x, ...failing(x.index) })) };
      }),
    ],
    ['serial', 'thread', 'async', 'dask'],
  );
  assert.deepEqual(t.runs.filter((r) => r.kind === 'async' || r.kind === 'dask').map((r) => r.speedup), [null, null, null, null, null, null]);
  const verdict = t.verdict!;
  assert.equal(verdict.recommendation, 'thread', verdict.summary);
  assert.deepEqual(Object.keys(verdict.speedups).sort(), ['serial', 'thread x4']);
  assert.doesNotMatch(verdict.summary, /Async|Dask/);
  assert.match(t.faults.find((f) => f.fault === 'tasks')!.message, /^No speedup from async x4 \(4 of 8, first: ValueError: odd\), dask x8 /);
});

void test('a Dask scheduler address: as `dask scheduler` prints it, else refused before anything runs', async () => {
  for (const good of ['tcp://127.0.0.1:8786', 'tls://scheduler.example:8786', 'tcp://[::1]:8786']) assert.ok(isDaskSchedulerAddress(good), good);
  for (const bad of ['127.0.0.1:8786', 'tcp://h', 'tcp://h:0', 'tcp://h:70000', 'http://h:8786', 'tcp://h:8786/x', 'tcp://a b:1']) assert.ok(!isDaskSchedulerAddress(bad), bad);
  await assert.rejects(
    runProfile({ python: 'python3', root: FIXTURES, file: 'tiny_tasks.py', function: 'add_one', tasks: '[1]', kinds: ['dask'], daskScheduler: 'localhost:8786', harnessPath: HARNESS }),
    /^Error: invalid profiling option: daskScheduler must be tcp:\/\/HOST:PORT \(or tls:\/\/\), got "localhost:8786"$/,
  );
});

void test("another host's clock: the offset from the fastest round trip, within half of it", () => {
  const samples = [
    [1_000, 50_500, 1_400],
    [2_000, 51_060, 2_100],
    [3_000, 52_300, 3_900],
  ];
  const result = spawnSync('python3', ['-c', `import sys, json; sys.path.insert(0, sys.argv[1]); import conclens_dask; print(json.dumps(conclens_dask.clock_offset(json.loads(sys.argv[2]))))`, path.dirname(HARNESS), JSON.stringify(samples)], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  // Fastest: 2000 → 2100 around the remote 51060, so the remote clock is 51060 − 2050 ahead.
  assert.deepEqual(JSON.parse(result.stdout), [2_050 - 51_060, 50]);
});

void test('the Chrome trace export gives each event-loop slot its own track and names Dask workers by host', () => {
  const t = trace(
    [...serial(100), ...runs('async', 4, [210], 100, 8, (i) => ({ slot: i % 4, loopBusyNs: 0 })), ...daskRuns(2, [410], 100, 3)],
    ['serial', 'async', 'dask'],
  );
  const events = toChromeTrace(t).traceEvents;
  const names = events.filter((e) => e.ph === 'M').map((e) => String(e.args?.name));
  assert.deepEqual(names.filter((n) => n.startsWith('event loop, call slot')).length, 4);
  assert.ok(names.some((n) => /^dask x2 #1 — h · tcp:\/\/127\.0\.0\.1:4000 · pid 200$/.test(n)), JSON.stringify(names));
  const asyncTasks = events.filter((e) => e.ph === 'X' && e.args && 'loopBusyMs' in e.args);
  // A track per slot of its thread (these synthetic slots each have a thread of their own).
  assert.deepEqual([...new Set(asyncTasks.map((e) => e.tid))].sort(), [200_000, 201_001, 202_002, 203_003]);
  assert.ok(events.some((e) => e.ph === 'X' && e.args?.schedulerLatencyMs !== undefined));
});
