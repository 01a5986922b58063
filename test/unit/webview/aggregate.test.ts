import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planLane } from '../../../src/webview/aggregate';
import { STATE_COUNT, STATES } from '../../../src/webview/states';
import { modelOf, run, task, trace } from './trace-fixture';

function sum(values: Float64Array): number {
  return values.reduce((a, b) => a + b, 0);
}

void test('zoomed out, small tasks fold into pixel columns without losing time', () => {
  // 1000 tasks of 0.9 ms with 0.1 ms gaps over 1 s, drawn 100 px wide: 10 ms per pixel.
  const tasks = Array.from({ length: 1000 }, (_, i) => task(i, 1, i, i + 0.9, { cpuNs: 0.6e6, runqNs: 0.3e6 }));
  const lane = modelOf(trace([run('thread', 1, tasks)]), 5000).lanes[0]!;
  const plan = planLane(lane.tasks, { t0: 0, nsPerPx: 10e6, width: 100 }, 3);
  assert.equal(plan.detailed.length, 0);
  assert.equal(plan.aggregated, 1000);
  assert.ok(Math.abs(sum(plan.columns) - 900e6) < 1, 'all task time is in the columns');
  const running = plan.columns.filter((_, k) => k % STATE_COUNT === STATES.indexOf('running')).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(running - 600e6) < 1);
  for (let c = 0; c < 100; c++) {
    const column = plan.columns.slice(c * STATE_COUNT, (c + 1) * STATE_COUNT);
    assert.ok(sum(column) <= 10e6 + 1, `column ${c} holds at most one pixel of time`);
  }
});

void test('zoomed in, wide tasks are drawn individually and off-screen tasks are culled', () => {
  const tasks = Array.from({ length: 1000 }, (_, i) => task(i, 1, i, i + 0.9));
  const lane = modelOf(trace([run('thread', 1, tasks)]), 5000).lanes[0]!;
  // A window just under 10 ms at 0.01 ms per pixel: tasks are 90 px wide.
  const plan = planLane(lane.tasks, { t0: 500e6, nsPerPx: 0.01e6, width: 999 }, 3);
  assert.deepEqual(plan.detailed, [500, 501, 502, 503, 504, 505, 506, 507, 508, 509]);
  assert.equal(plan.aggregated, 0);
  assert.equal(sum(plan.columns), 0);
});

void test('a task straddling pixel columns is split by overlap', () => {
  const lane = modelOf(trace([run('thread', 1, [task(0, 1, 0.5, 2.5)])])).lanes[0]!;
  // 1 ms per pixel, 3 px minimum detail: the 2 ms task is aggregated over columns 0, 1, 2.
  const plan = planLane(lane.tasks, { t0: 0, nsPerPx: 1e6, width: 4 }, 3);
  const perColumn = [0, 1, 2, 3].map((c) => sum(plan.columns.slice(c * STATE_COUNT, (c + 1) * STATE_COUNT)));
  assert.deepEqual(perColumn.map((v) => Math.round(v)), [0.5e6, 1e6, 0.5e6, 0]);
});

void test('far zoomed out, prefix sums give the same columns as walking every task', () => {
  const tasks = Array.from({ length: 5000 }, (_, i) => task(i, 1, i * 0.2, i * 0.2 + 0.05 + (i % 7) * 0.02, { cpuNs: 0.03e6, runqNs: (i % 3) * 0.01e6, lockWaitNs: 0.005e6 }));
  const lane = modelOf(trace([run('thread', 1, tasks)]), 1000).lanes[0]!;
  assert.ok(lane.tasks.lod, 'a large lane has a level of detail');
  const view = { t0: 0, nsPerPx: 1e6, width: 1000 };
  const fromLod = planLane(lane.tasks, view, 3);
  const walked = planLane({ ...lane.tasks, lod: null }, view, 3);
  assert.equal(fromLod.aggregated, walked.aggregated, 'both count the visible tasks');
  assert.ok(Math.abs(sum(fromLod.columns) - sum(walked.columns)) < 1e-3 * sum(walked.columns));
  let worst = 0;
  for (let i = 0; i < walked.columns.length; i++) worst = Math.max(worst, Math.abs(fromLod.columns[i]! - walked.columns[i]!));
  assert.ok(worst < 0.05e6, `per column and state within 5% of a pixel (worst ${worst} ns)`);
  const zoomedIn = planLane(lane.tasks, { t0: 0, nsPerPx: 0.01e6, width: 1000 }, 3);
  assert.ok(zoomedIn.detailed.length > 0, 'zoomed in, the level of detail is not used');
});
