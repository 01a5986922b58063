import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkTrace } from '../../../src/shared/trace-schema';
import type { Run } from '../../../src/shared/trace';
import { ORIGIN, run, task, trace } from '../webview/trace-fixture';

const valid = () => trace([run('thread', 2, [task(0, 1, 0, 5)])]);

void test('a trace that matches schema/trace.schema.json is returned as is', () => {
  const document = JSON.parse(JSON.stringify(valid()));
  assert.equal(checkTrace(document, 'ok.json'), document);
});

void test('Python async and Dask traces and Node traces, with every field of their runtime and kind, match the schema', () => {
  const slot = (index: number, worker: number) => ({ ...task(index, 7, 0, 10, { blockedNs: 9e6, cpuNs: 1e6, loopBusyNs: 2e6 }), worker });
  const loop = { busyNs: 3e6, utilization: 0.3 };
  const python = trace(
    [
      run('async', 2, [slot(0, 0), slot(1, 1)], { eventLoop: loop }),
      run('dask', 2, [{ ...task(2, 8, 0, 5, {}, 200), dask: { worker: 'tcp://10.0.0.2:4000', host: '10.0.0.2', submittedNs: ORIGIN, schedulerLatencyNs: 1e6, resultLatencyNs: 2e5 } }], {
        dask: { scheduler: 'tcp://10.0.0.1:8786', local: false, startupNs: null, workers: [{ address: 'tcp://10.0.0.2:4000', host: '10.0.0.2', pid: 200, nthreads: 2, clockOffsetNs: -5e3, clockUncertaintyNs: 40 }], retriedTasks: [2] },
      }),
    ],
    {
      faults: [{ fault: 'cluster', fatal: false, message: 'a worker died', configuration: { kind: 'dask', workers: 2, repetition: 0 } }],
    },
  );
  python.target.coroutine = true;
  python.verdict = {
    recommendation: 'dask',
    workers: 2,
    bottleneck: 'scheduler',
    confidence: 'low',
    summary: 'Dask.',
    speedups: { serial: 1, 'dask x2': 1.5 },
    withinNoise: false,
    clusterEstimate: { model: 'compute scales, the scheduler does not', perTaskCostNs: 1.2e6, points: [{ machines: 2, workers: 4, speedup: 2.8 }] },
  };
  checkTrace(JSON.parse(JSON.stringify(python)), 'python.json');

  const copy = { argsBytes: 64, argsSerializeNs: 1e3, argsDeserialize: [ORIGIN - 2e3, ORIGIN - 1e3] as [number, number], resultBytes: 8, resultSerialize: [ORIGIN + 5e6, ORIGIN + 5e6 + 1e3] as [number, number], resultDeserializeNs: 500 };
  const pooled: Run = run('thread', 1, [{ ...task(0, 31, 0, 5), queueWaitNs: 1e3, gcNs: 2e5, serialization: copy, heapUsedBytes: 1 << 20, rssBytes: 1 << 25 }], {
    eventLoops: [{ pid: 100, tid: 31, worker: 0, utilization: 0.9, activeNs: 4.5e6, idleNs: 5e5 }],
    gcSpans: [{ pid: 100, tid: 31, startNs: ORIGIN + 1e6, endNs: ORIGIN + 1.2e6, kind: 'minor' }],
    workerStarts: [{ pid: 100, tid: 31, worker: 0, spawnNs: ORIGIN - 3e7, readyNs: ORIGIN - 1e6, importNs: 2e6 }],
  });
  const inFlight = run('async', 2, [slot(0, 0), { ...slot(1, 1), onLoopNs: 1e6 }], { eventLoop: loop, eventLoops: [{ pid: 100, tid: 7, worker: null, utilization: 0.35, activeNs: 3.5e6, idleNs: 6.5e6 }] });
  const node = trace([inFlight, pooled], { faults: [{ fault: 'not-async', fatal: false, message: 'no promise' }, { fault: 'tasks', fatal: false, message: 'no dask', skippedKind: 'dask' }] });
  node.target = { ...node.target, file: 'job.ts', language: 'typescript', runtime: 'node', node: { v8: '11.3', moduleFormat: 'esm', transpiled: true }, gilEnabled: false };
  node.verdict = { recommendation: 'async', workers: 2, bottleneck: 'gc', confidence: 'medium', summary: 'Async.', speedups: { serial: 1, 'async x2': 1.9 }, withinNoise: false };
  checkTrace(JSON.parse(JSON.stringify(node)), 'node.json');
});

void test('documents that break the schema are refused in one line naming the file and the first fault', () => {
  const cases: [unknown, RegExp][] = [
    [{ ...valid(), runs: [null] }, /^bad\.json is not a valid Concurrency Lens trace \(schema\/trace\.schema\.json\): runs\/0: must be object\.$/],
    [{ ...valid(), faults: [null] }, /: faults\/0: must be object\.$/],
    [{ target: {}, runs: [] }, /: the document: must have required property 'version'\.$/],
    [{ ...valid(), target: {} }, /: target: must have required property 'file'\.$/],
    [{ ...valid(), verdict: { ...valid().verdict, recommendation: 'fibers' } }, /: verdict: must be null\.$|: verdict: must be object\.$/],
    [{ ...valid(), runs: [{ ...valid().runs[0], kind: 'fiber' }] }, /: runs\/0\/kind: must be equal to one of the allowed values \(one of "serial", "thread", "process", "async", "dask"\)\.$/],
    [{ ...valid(), ['x'.repeat(5000)]: 1 }, /: the document: must NOT have additional properties "x{79}…"\.$/],
    [[], /: the document: must be object\.$/],
    [null, /: the document: must be object\.$/],
  ];
  for (const [document, message] of cases) {
    assert.throws(() => checkTrace(document, 'bad.json'), (error: Error) => {
      assert.match(error.message, message);
      assert.doesNotMatch(error.message, /\n/);
      return true;
    });
  }
});

void test('another trace version is named as such, not as a schema fault', () => {
  assert.throws(() => checkTrace({ ...valid(), version: 2 }, 'new.json'), { message: /^new\.json is a trace of version 2; this version of Concurrency Lens reads version 1\.$/ });
});
