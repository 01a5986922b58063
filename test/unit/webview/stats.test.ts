import assert from 'node:assert/strict';
import { test } from 'node:test';
import { traceMessages } from '../../../src/shared/webview-protocol';
import { cycleRows, lockRows, median, rangeStats, scalingSeries } from '../../../src/webview/stats';
import { lockSpan, modelOf, run, task, trace } from './trace-fixture';

void test('median of odd, even and empty lists', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([]), null);
});

void test('locks table: totals from the lock table, median and holders from the shown runs', () => {
  const t = trace(
    [
      run('thread', 2, [task(0, 1, 0, 10), task(1, 2, 0, 10)], {
        lockSpans: [lockSpan(1, 0, 0, 2), lockSpan(2, 0, 2, 3), lockSpan(1, 3, 7, 8), lockSpan(2, 1, 1, 1, 9)],
      }),
    ],
    {
      locks: [
        { site: { file: 'work.py', line: 3 }, kind: 'Lock', acquisitions: 3, contended: 2, waitNs: 6e6, holdNs: 4e6, maxWaitNs: 4e6, waitNsByKind: { serial: 0, thread: 6e6, process: 0 } },
        { site: { file: 'work.py', line: 9 }, kind: 'RLock', acquisitions: 1, contended: 0, waitNs: 0, holdNs: 0, maxWaitNs: 0, waitNsByKind: { serial: 0, thread: 0, process: 0 } },
      ],
    },
  );
  const rows = lockRows(modelOf(t), [0]);
  assert.deepEqual(
    rows.map((r) => [r.site.line, r.kind, r.totalWaitNs, r.medianWaitNs, r.maxWaitNs, r.acquisitions, r.holders]),
    [
      [3, 'Lock', 6e6, 2e6, 4e6, 3, 2],
      [9, 'RLock', 0, 0, 0, 1, 1],
    ],
  );
});

void test('lock-order cycles keep both acquisition sites', () => {
  const a = { file: 'bank.py', line: 4 };
  const b = { file: 'bank.py', line: 5 };
  const rows = cycleRows([
    {
      sites: [a, b],
      edges: [
        { from: a, to: b, pid: 1, tid: 1, stack: [{ file: 'bank.py', line: 20, function: 'transfer' }] },
        { from: b, to: a, pid: 1, tid: 2, stack: [{ file: 'bank.py', line: 31, function: 'refund' }] },
      ],
    },
  ]);
  assert.equal(rows[0]!.text, 'bank.py:4 → bank.py:5 → bank.py:4');
  assert.deepEqual(rows[0]!.steps.map((s) => s.acquiredAt), [
    { file: 'bank.py', line: 20, function: 'transfer' },
    { file: 'bank.py', line: 31, function: 'refund' },
  ]);
});

void test('range statistics clip tasks and lock waits to the range', () => {
  const t = trace([
    run('thread', 2, [task(0, 1, 0, 10, { cpuNs: 5e6, lockWaitNs: 5e6 }), task(1, 2, 20, 30)], {
      lockSpans: [lockSpan(1, 4, 9, 10)],
      coreSamples: [
        { timeNs: 1e9 + 5e6, busy: [1, 0.5], steal: [0, 0] },
        { timeNs: 1e9 + 25e6, busy: [0, 0], steal: [0, 0] },
      ],
    }),
  ]);
  const model = modelOf(t);
  const stats = rangeStats(model, model.runs[0]!.lanes, 5e6, 15e6);
  assert.equal(stats.tasks, 1);
  assert.equal(stats.stateNs.running, 2.5e6);
  assert.equal(stats.stateNs.lockWait, 2.5e6);
  assert.equal(stats.lockWaits, 1);
  assert.equal(stats.lockWaitNs, 4e6);
  assert.equal(stats.meanCoreBusy, 0.75);
});

void test('scaling series: median speedup, spread and efficiency per kind and size', () => {
  const t = trace([
    run('serial', 1, [], { speedup: 1 }),
    run('thread', 2, [], { speedup: 1.2, repetition: 0 }),
    run('thread', 2, [], { speedup: 1.0, repetition: 1 }),
    run('thread', 2, [], { speedup: 1.1, repetition: 2 }),
    run('process', 2, [], { speedup: 1.8 }),
    run('process', 4, [], { speedup: null }),
  ]);
  const begin = traceMessages(t, 1).next().value!;
  assert.ok(begin.type === 'traceBegin');
  const series = scalingSeries(begin.header);
  assert.deepEqual(
    series.map((p) => [p.kind, p.workers, p.medianSpeedup, p.minSpeedup, p.maxSpeedup, p.efficiency, p.repetitions]),
    [
      ['process', 2, 1.8, 1.8, 1.8, 0.9, 1],
      ['serial', 1, 1, 1, 1, 1, 1],
      ['thread', 2, 1.1, 1.0, 1.2, 0.55, 3],
    ],
  );
});
