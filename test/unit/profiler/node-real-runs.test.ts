// Runs the real Node harness on fixtures with known behaviour and checks the measurements and
// the verdict. The machine is shared and often busy: assertions rest on what load does not
// change (a computing task is never off the CPU waiting, a sleeping one always is, copying a
// big argument costs more than a trivial task), and a speedup is required only when the serial
// run shows the cores were free.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkTrace } from '../../../src/shared/trace-schema';
import { processesWithRunId } from './helpers';
import { profileNodeFixture } from './node-helpers';
import { validateTrace } from './schema';

type Outcome = Awaited<ReturnType<typeof profileNodeFixture>>;

const runsOf = (outcome: Outcome, kind: string, workers: number) => outcome.trace.runs.filter((r) => r.kind === kind && r.workers === workers);

/** Off-CPU, off-runqueue share of the runs' task time: waiting for timers, I/O, other tasks. */
function waitingShare(runs: ReturnType<typeof runsOf>): number {
  const wall = runs.reduce((s, r) => s + r.totals.taskWallNs, 0);
  return runs.reduce((s, r) => s + r.totals.taskWallNs - r.totals.cpuNs - r.totals.runqNs, 0) / wall;
}

function runqShare(runs: ReturnType<typeof runsOf>): number {
  return runs.reduce((s, r) => s + r.totals.runqNs, 0) / runs.reduce((s, r) => s + r.totals.taskWallNs, 0);
}

void test('CPU-bound: worker threads or child processes win at 2 workers; tasks never wait, they compute', async () => {
  const outcome = await profileNodeFixture({ file: 'cpu_bound.mjs', function: 'countPrimes', tasks: '[1200000, 1200000, 1200000, 1200000]', kinds: ['serial', 'async', 'thread', 'process'], repeat: 2 });
  assert.equal(outcome.completed, true, outcome.message);
  validateTrace(outcome.trace);
  // As the editor checks it before it shows or saves it: the object itself, not a JSON copy.
  assert.equal(checkTrace(outcome.trace, 'the Node trace'), outcome.trace);
  assert.equal(outcome.trace.target.runtime, 'node');
  assert.equal(outcome.trace.target.language, 'javascript');
  assert.equal(outcome.trace.target.node?.moduleFormat, 'esm');
  // A function that returns no promise has nothing to overlap on one event loop.
  assert.ok(outcome.trace.faults.some((f) => f.fault === 'not-async' && !f.fatal));
  assert.equal(outcome.trace.runs.filter((r) => r.kind === 'async').length, 0);
  for (const kind of ['thread', 'process']) {
    const runs = runsOf(outcome, kind, 2);
    assert.ok(waitingShare(runs) < 0.15, `${kind} x2 tasks wait ${waitingShare(runs)} of their time`);
    for (const run of runs) {
      assert.equal(run.workerStarts?.length, 2, `${kind}: both workers started`);
      assert.equal(run.eventLoops?.filter((l) => l.worker !== null).length, 2, `${kind}: both workers' event loops`);
      assert.ok(run.tasks.every((t) => t.serialization && t.serialization.argsBytes > 0 && t.queueWaitNs !== undefined));
    }
  }
  assert.equal(new Set(runsOf(outcome, 'process', 2)[0].tasks.map((t) => t.pid)).size, 2, 'two child processes');
  assert.equal(new Set(runsOf(outcome, 'thread', 2)[0].tasks.map((t) => t.tid)).size, 2, 'two worker threads');
  const verdict = outcome.trace.verdict!;
  const serialRunq = runqShare(runsOf(outcome, 'serial', 1));
  if (serialRunq < 0.1) {
    assert.ok(['thread', 'process'].includes(verdict.recommendation), verdict.summary);
    assert.ok(verdict.speedups[`${verdict.recommendation} x2`] >= 1.5, verdict.summary);
  } else {
    // Other work held the cores: the verdict must pick a pool or say the machine was busy.
    assert.ok(['thread', 'process'].includes(verdict.recommendation) || /Machine busy/.test(verdict.summary), verdict.summary);
  }
  assert.deepEqual(processesWithRunId(outcome.runId), []);
});

void test('a function that awaits timers: async wins, no pool needed, the tasks wait', async () => {
  const outcome = await profileNodeFixture({ file: 'waiting.mjs', function: 'fetchQuote', tasks: 'Array.from({ length: 8 }, (_, i) => i)', kinds: ['serial', 'async', 'thread'], workers: [4] });
  assert.equal(outcome.completed, true, outcome.message);
  validateTrace(outcome.trace);
  const [serial] = runsOf(outcome, 'serial', 1);
  const loop = serial.eventLoops!.find((l) => l.worker === null)!;
  assert.ok(loop.utilization < 0.3, `the serial event loop idles while the timers run (utilization ${loop.utilization})`);
  const [async] = runsOf(outcome, 'async', 4);
  assert.ok(async.speedup! > 2.5, `async x4 speedup ${async.speedup}`);
  assert.deepEqual(new Set(async.tasks.map((t) => t.worker)), new Set([0, 1, 2, 3]), 'four in-flight slots');
  assert.ok(async.tasks.every((t) => t.onLoopNs !== undefined && t.onLoopNs < (t.endNs - t.startNs) / 2), 'each task spends most of its time off the loop');
  const verdict = outcome.trace.verdict!;
  assert.equal(verdict.recommendation, 'async', verdict.summary);
  assert.equal(verdict.bottleneck, 'io', verdict.summary);
  assert.match(verdict.summary, /^Async: [\d.]+× with 4 in flight on the event loop; no pool needed: \d+% of task time is waiting\./);
});

void test('calls that compute after their await wait for the loop in turn: each task\'s loop-busy time is the others\' callbacks', async () => {
  // The editor's kinds setting is shared by both runtimes: the dask kind is Python's, left out with a note (a skipped kind, as for Python).
  const outcome = await profileNodeFixture({ file: 'holds_loop.mjs', function: 'waitThenCompute', tasks: '[3e6, 3e6, 3e6, 3e6]', kinds: ['serial', 'async', 'dask'] });
  assert.equal(outcome.completed, false);
  assert.match(outcome.message, /^the dask kind runs Python functions on a Dask cluster; waitThenCompute is a JavaScript or TypeScript function/);
  validateTrace(outcome.trace);
  assert.deepEqual(outcome.trace.configuration.kinds, ['serial', 'async']);
  assert.deepEqual(outcome.trace.runs.map((r) => r.kind), ['serial', 'async']);
  const [inFlight] = runsOf(outcome, 'async', 2);
  const onLoop = inFlight.tasks.reduce((sum, t) => sum + t.onLoopNs!, 0);
  assert.ok(Math.abs(inFlight.eventLoop!.busyNs - onLoop) < 1000, `the loop's busy time is the tasks' callbacks: ${inFlight.eventLoop!.busyNs} against ${onLoop}`);
  assert.ok(inFlight.eventLoop!.utilization > 0.5, `the loop is mostly busy computing: ${JSON.stringify(inFlight.eventLoop)}`);
  const computing = Math.min(...inFlight.tasks.map((t) => t.onLoopNs!));
  const waited = inFlight.tasks.map((t) => t.decomposition.loopBusyNs!);
  assert.ok(waited.every((ns) => ns >= 0 && Number.isFinite(ns)), `every task has a loop-busy time: ${waited}`);
  assert.ok(Math.max(...waited) > 0.5 * computing, `a task whose timer fired waited while another computed: ${waited} against ${computing} of computing`);
  assert.deepEqual(processesWithRunId(outcome.runId), []);
});

void test('a large typed array per task with trivial work: serial, bottleneck ipc, the copy is timed on both sides', async () => {
  const outcome = await profileNodeFixture({ file: 'big_arrays.mjs', function: 'firstAndLast', tasks: 'arrays(6, 1_000_000)', kinds: ['serial', 'thread', 'process'] });
  assert.equal(outcome.completed, true, outcome.message);
  for (const kind of ['thread', 'process']) {
    const [run] = runsOf(outcome, kind, 2);
    for (const task of run.tasks) {
      const s = task.serialization!;
      assert.ok(s.argsBytes > 8_000_000, `${kind}: 8 MB argument, got ${s.argsBytes} bytes`);
      assert.ok(s.argsSerializeNs > 0 && s.argsDeserialize[1] > s.argsDeserialize[0], `${kind}: both sides timed`);
      assert.ok(s.argsDeserialize[1] <= task.startNs, 'arguments are deserialized before the call');
    }
    assert.ok(run.ipc!.argsBytes > 48_000_000);
  }
  const verdict = outcome.trace.verdict!;
  assert.equal(verdict.recommendation, 'serial', verdict.summary);
  assert.equal(verdict.bottleneck, 'ipc', verdict.summary);
  assert.match(verdict.summary, /each task's [\d.]+ MiB argument takes [\d.]+ (ms|µs) to copy into a (worker thread|child process) and back, more than the [\d.]+ (µs|ms) of work/);
});

void test('tiny tasks in a CommonJS module: serial, handing them to workers costs more than they take', async () => {
  const outcome = await profileNodeFixture({ file: 'tiny.cjs', function: 'addOne', tasks: 'Array.from({ length: 3000 }, (_, i) => i)', kinds: ['serial', 'thread', 'process'] });
  assert.equal(outcome.completed, true, outcome.message);
  assert.equal(outcome.trace.target.node?.moduleFormat, 'commonjs');
  assert.equal(outcome.trace.runs[0].tasks.length, 3000);
  const verdict = outcome.trace.verdict!;
  assert.equal(verdict.recommendation, 'serial', verdict.summary);
  assert.ok(['overhead', 'ipc'].includes(verdict.bottleneck), verdict.summary);
  for (const kind of ['thread', 'process']) assert.ok(runsOf(outcome, kind, 2)[0].speedup! < 1, kind);
});

void test('a typed .ts file that imports another .ts module runs; failures point at the .ts line', async () => {
  const outcome = await profileNodeFixture({ file: 'typed/checksum.ts', function: 'failsAt', tasks: '[0, 1, 2, 3]', kinds: ['serial', 'thread', 'process'] });
  assert.equal(outcome.completed, true, outcome.message);
  validateTrace(outcome.trace);
  assert.equal(outcome.trace.target.language, 'typescript');
  assert.equal(outcome.trace.target.node?.transpiled, true);
  for (const run of outcome.trace.runs) {
    const failed = run.tasks.find((t) => t.index === 1)!;
    assert.equal(failed.error?.type, 'RangeError', run.kind);
    assert.match(failed.error!.traceback, /typed\/checksum\.ts:17:\d+/, `${run.kind}: ${failed.error!.traceback}`);
    assert.equal(run.totals.errors, 2);
  }
  // The same tasks failed in every run, as serially: the runs did the same work and are compared.
  assert.ok(outcome.trace.runs.every((r) => r.speedup !== null));
  assert.ok(outcome.trace.verdict, 'a verdict from runs that failed alike');

  const working = await profileNodeFixture({ file: 'typed/checksum.ts', function: 'checksum', tasks: '[{ seed: 7, rounds: 1000 }]', kinds: ['serial', 'thread'], workers: [1] });
  assert.equal(working.completed, true, working.message);
  assert.equal(working.trace.runs.every((r) => r.totals.errors === 0), true);
  assert.deepEqual(processesWithRunId(working.runId), []);
});

void test('an ES module in TypeScript that imports a package from node_modules, a built-in and a .ts sibling', async () => {
  const outcome = await profileNodeFixture({ file: 'typed/matching.mts', function: 'matchAndHash', tasks: '[["a/b.js", "**/*.js"], ["c.ts", "*.js"]]', kinds: ['serial', 'async', 'process'], workers: [2] });
  assert.equal(outcome.completed, true, outcome.message);
  assert.equal(outcome.trace.target.node?.moduleFormat, 'esm');
  assert.deepEqual(outcome.trace.runs.map((r) => [r.kind, r.totals.errors]), [['serial', 0], ['async', 0], ['process', 0]]);
});
