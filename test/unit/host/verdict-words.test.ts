import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bottleneckText, configurationName, formatPercent, formatSpeedup, kindName, recommendationText, speedupText, verdictLine } from '../../../src/shared/verdict-words';
import type { Verdict } from '../../../src/shared/trace';

const verdict = (extra: Partial<Verdict>): Verdict => ({
  recommendation: 'process',
  workers: 2,
  bottleneck: 'gil',
  confidence: 'high',
  summary: 'Processes: 1.40x at 2 workers (70% efficient).',
  speedups: { serial: 1, 'thread x2': 0.98, 'process x2': 1.4 },
  withinNoise: false,
  ...extra,
});

void test('one multiplication sign and percentages without ".0"', () => {
  assert.equal(formatSpeedup(1.4), '1.40×');
  assert.deepEqual([0, 0.035, 0.1, 0.712, 1, 1.2, 0.0004].map(formatPercent), ['0%', '3.5%', '10%', '71%', '100%', '120%', '0%']);
});

void test('the panel, the toast, the CodeLens and the progress share the words of a verdict', () => {
  assert.equal(recommendationText(verdict({})), 'Use a process pool with 2 workers');
  assert.equal(recommendationText(verdict({ recommendation: 'thread', workers: 1 })), 'Use a thread pool with 1 worker');
  assert.equal(recommendationText(verdict({ recommendation: 'serial', workers: 1 })), 'Run serially');
  assert.equal(speedupText(verdict({})), '1.40× faster than serial');
  assert.equal(verdictLine(verdict({})), 'Use a process pool with 2 workers: 1.40× faster than serial · bottleneck: the GIL');
  assert.equal(verdictLine(verdict({ recommendation: 'serial', workers: 1, bottleneck: 'none', confidence: 'low' })), 'Run serially: no pool is faster than serial · low confidence');
  assert.equal(configurationName('thread', 4), 'thread pool with 4 workers');
  assert.equal(configurationName('serial', 1), 'serial run');
  assert.equal(configurationName('async', 4), 'event loop with 4 calls in flight');
  assert.equal(configurationName('dask', 2), 'Dask cluster with 2 workers');
  assert.equal(verdictLine(verdict({ recommendation: 'dask', workers: 2, bottleneck: 'scheduler', speedups: { serial: 1, 'dask x2': 1.9 } })), 'Use a Dask cluster with 2 workers: 1.90× faster than serial · bottleneck: the Dask scheduler (latency per task)');
  assert.equal(recommendationText(verdict({ recommendation: 'async', workers: 1 })), 'Run 1 call at once on the event loop (no pool)');
  assert.equal(kindName('async'), 'calls in flight on one event loop');
});

void test('a Node verdict names Node\'s pools and costs; the same verdict of a Python trace keeps Python\'s', () => {
  const threads = verdict({ recommendation: 'thread', workers: 2, bottleneck: 'ipc', speedups: { serial: 1, 'thread x2': 1.25 } });
  assert.equal(verdictLine(threads, 'node'), 'Use a worker_threads pool with 2 workers: 1.25× faster than serial · bottleneck: copying arguments and results (structured clone)');
  assert.equal(verdictLine(threads), 'Use a thread pool with 2 workers: 1.25× faster than serial · bottleneck: inter-process transfer (pickling)');
  const calls = verdict({ recommendation: 'async', workers: 8, bottleneck: 'io', speedups: { serial: 1, 'async x8': 7.8 } });
  assert.equal(verdictLine(calls, 'node'), 'Run 8 calls at once on the event loop (no pool): 7.80× faster than serial · bottleneck: I/O or sleep');
  assert.equal(recommendationText(verdict({}), 'node'), 'Use a child_process pool with 2 workers');
  assert.equal(configurationName('async', 4, 'node'), configurationName('async', 4), 'one async kind, one name');
  assert.equal(configurationName('process', 1, 'node'), 'child_process pool with 1 worker');
  assert.equal(kindName('thread', 'node'), 'worker_threads pool');
  assert.equal(bottleneckText('gc', 'node'), 'garbage collection');
});
