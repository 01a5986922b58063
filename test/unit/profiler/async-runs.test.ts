// Coroutine functions (`async def`) on the real harness: the async kind runs up to N of them
// on one event loop, the other kinds give each task a loop of their own. Assertions hold on a
// loaded machine: sleeping overlaps whatever the load, and a coroutine that never awaits holds
// the loop however busy the cores are.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { processesWithRunId, profileFixture, runsOf } from './helpers';
import { validateTrace } from './schema';

void test('an async def that awaits asyncio.sleep: async by default, ≥ 3x with 4 in flight, tasks interleaved on one loop', async () => {
  const outcome = await profileFixture({ file: 'coroutines.py', function: 'fetch_quote', tasks: '[0.1]*8', workers: [4], kinds: undefined });
  assert.equal(outcome.completed, true, outcome.message);
  validateTrace(outcome.trace);
  assert.equal(outcome.trace.target.coroutine, true);
  assert.deepEqual(outcome.trace.configuration.kinds, ['serial', 'thread', 'process', 'async'], 'async joins the default kinds for a coroutine function');
  assert.ok(outcome.trace.runs.every((r) => r.totals.errors === 0), 'every kind awaited the coroutines rather than calling them');
  const [inFlight] = runsOf(outcome, 'async', 4);
  assert.ok(inFlight.speedup! >= 3, `async x4 speedup ${inFlight.speedup}`);
  assert.equal(new Set(inFlight.tasks.map((t) => t.tid)).size, 1, 'one thread: the loop');
  assert.deepEqual([...new Set(inFlight.tasks.map((t) => t.worker))].sort(), [0, 1, 2, 3], 'four slots in flight');
  const [first, second] = [...inFlight.tasks].sort((a, b) => a.startNs - b.startNs);
  assert.ok(second.startNs < first.endNs, 'the second task starts while the first awaits');
  assert.ok(inFlight.eventLoop!.utilization < 0.3, `the loop is mostly idle: ${JSON.stringify(inFlight.eventLoop)}`);
  const ownCpu = inFlight.tasks.reduce((s, t) => s + t.decomposition.cpuNs, 0) / inFlight.tasks.reduce((s, t) => s + t.endNs - t.startNs, 0);
  assert.ok(ownCpu < 0.1, `each task is charged its own steps only: CPU share ${ownCpu}`);
  const verdict = outcome.trace.verdict!;
  assert.equal(verdict.recommendation, 'async', verdict.summary);
  assert.equal(verdict.workers, 4);
  assert.equal(verdict.bottleneck, 'io');
  assert.match(verdict.summary, /^Async: \d\.\d\dx with 4 in flight on one event loop; no pool needed: \d+% of task time is waiting/);
});

void test('an async def that computes without awaiting holds the loop: async does not overlap it, a process pool can', async () => {
  const outcome = await profileFixture({ file: 'coroutines.py', function: 'crunch', tasks: '[1500000]*4', kinds: ['serial', 'process', 'async'], workers: [2] });
  assert.equal(outcome.completed, true, outcome.message);
  const [inFlight] = runsOf(outcome, 'async', 2);
  assert.ok(inFlight.eventLoop!.utilization > 0.8, `the loop is busy throughout: ${JSON.stringify(inFlight.eventLoop)}`);
  const ordered = [...inFlight.tasks].sort((a, b) => a.startNs - b.startNs);
  for (let i = 1; i < ordered.length; i++) {
    // The slot's coroutine starts at once, but cannot take a step before the one running ends.
    const waited = ordered[i].decomposition.loopBusyNs ?? 0;
    assert.ok(waited > 0.5 * (ordered[i - 1].endNs - ordered[i - 1].startNs) || ordered[i].startNs >= ordered[i - 1].endNs, `task ${ordered[i].index} overlapped task ${ordered[i - 1].index}`);
  }
  const verdict = outcome.trace.verdict!;
  assert.notEqual(verdict.recommendation, 'async', verdict.summary);
  assert.match(verdict.summary, /Async reaches only \d\.\d\dx with 2 in flight: the coroutine holds the event loop \(busy \d+% of the time\)/);
  const serial = runsOf(outcome, 'serial', 1)[0];
  const busyMachine = serial.totals.runqNs / serial.totals.taskWallNs >= 0.2;
  assert.ok(verdict.recommendation === 'process' || busyMachine || verdict.confidence === 'low', verdict.summary);
  assert.deepEqual(processesWithRunId(outcome.runId), []);
});

void test('a coroutine that raises is recorded per task under every kind, with its traceback', async () => {
  const outcome = await profileFixture({ file: 'coroutines.py', function: 'fail_after_await', tasks: 'range(4)', kinds: ['serial', 'thread', 'process', 'async'], workers: [2] });
  assert.equal(outcome.completed, true, outcome.message);
  assert.deepEqual(outcome.trace.runs.map((r) => r.kind), ['serial', 'thread', 'process', 'async']);
  for (const run of outcome.trace.runs) {
    assert.equal(run.totals.errors, 2, `${run.kind} x${run.workers}`);
    const failed = run.tasks.find((t) => t.index === 3)!;
    assert.equal(failed.error?.message, 'odd input 3');
    assert.match(failed.error!.traceback, /coroutines\.py", line 21/);
  }
});

void test('the async kind asked for a plain function is skipped with a message; the other kinds run', async () => {
  const outcome = await profileFixture({ file: 'tiny_tasks.py', function: 'add_one', tasks: 'range(4)', kinds: ['serial', 'async'], workers: [2] });
  assert.equal(outcome.completed, false);
  const fault = outcome.trace.faults.find((f) => f.skippedKind === 'async')!;
  assert.match(fault.message, /add_one is not an `async def`/);
  assert.deepEqual(outcome.trace.runs.map((r) => r.kind), ['serial']);
});
