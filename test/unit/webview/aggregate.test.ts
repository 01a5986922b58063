import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planLane } from '../../../src/webview/aggregate';
import { STATE_COUNT } from '../../../src/webview/states';
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
  const running = plan.columns.filter((_, k) => k % STATE_COUNT === 0).reduce((a, b) => a + b, 0);
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
