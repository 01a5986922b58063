// The timeline model of a Node trace: interleaved async calls get a lane per in-flight slot,
// pool lanes are named for their worker thread or child process with their event loop's use,
// the main thread's event loop gets a lane even when it only dispatches, and task bars carry
// GC pauses and the worker's serialization on either side of the call.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Run } from '../../../src/shared/trace';
import { STATE_COUNT, STATES } from '../../../src/webview/states';
import { modelOf, ORIGIN, run, task, trace } from './trace-fixture';

const nodeTarget = { language: 'typescript', runtime: 'node', node: { v8: '11.3', moduleFormat: 'esm', transpiled: true } } as const;

function nodeTrace(runs: Run[]) {
  const t = trace(runs);
  t.target = { ...t.target, ...nodeTarget, gilEnabled: false };
  return t;
}

void test('async calls of one thread get one lane per in-flight slot, labelled with how busy the loop was with them', () => {
  const slotted = [task(0, 7, 0, 10), task(1, 7, 1, 11), task(2, 7, 10, 20), task(3, 7, 11, 21)].map((t, i) => ({ ...t, worker: i % 2 }));
  const model = modelOf(
    // The slot lanes name how busy the loop was with the tasks, not the thread's utilization.
    nodeTrace([run('async', 2, slotted, { eventLoop: { busyNs: 1e6, utilization: 0.04 }, eventLoops: [{ pid: 100, tid: 7, worker: null, utilization: 0.3, activeNs: 7e6, idleNs: 18e6 }] })]),
  );
  const lanes = model.runs[0]!.lanes.map((id) => model.lanes[id]!);
  assert.deepEqual(lanes.map((l) => l.label), ['event loop · call slot 0 · event loop 4% busy', 'event loop · call slot 1']);
  assert.deepEqual(lanes.map((l) => [...l.tasks.index]), [[0, 2], [1, 3]], 'no two calls overlap in a lane');
  assert.ok(lanes.every((l) => l.tid === 7 && l.pid === 100));
});

void test('pool lanes name the worker; the dispatching main thread has its own lane', () => {
  const threads = run('thread', 2, [{ ...task(0, 31, 0, 5), worker: 0 }, { ...task(1, 32, 0, 5), worker: 1 }], {
    eventLoops: [
      { pid: 100, tid: 30, worker: null, utilization: 0.12, activeNs: 1e6, idleNs: 7e6 },
      { pid: 100, tid: 31, worker: 0, utilization: 0.9, activeNs: 5e6, idleNs: 0.5e6 },
    ],
  });
  const processes = run('process', 1, [{ ...task(0, 400, 0, 5, {}, 400), worker: 0 }], { eventLoops: [{ pid: 100, tid: 30, worker: null, utilization: 0.1, activeNs: 1, idleNs: 9 }] });
  const model = modelOf(nodeTrace([threads, processes]));
  const labels = (r: number) => model.runs[r]!.lanes.map((id) => model.lanes[id]!.label);
  assert.deepEqual(labels(0), ['main thread · tid 30 · event loop 12% busy', 'worker thread 0 · tid 31 · event loop 90% busy', 'worker thread 1 · tid 32']);
  assert.deepEqual(labels(1), ['main thread · tid 30 · event loop 10% busy', 'child process 0 · pid 400']);
  assert.equal(model.lanes[model.runs[0]!.lanes[0]!]!.tasks.count, 0, 'the main thread ran no task');
});

void test('a task bar spans the copy in and out; GC comes out of its CPU time; the parts add up', () => {
  const call = task(0, 31, 10, 20, { cpuNs: 9e6, runqNs: 0.5e6, blockedNs: 0.5e6 });
  const withCosts = {
    ...call,
    gcNs: 2e6,
    serialization: { argsBytes: 8e6, argsSerializeNs: 3e6, argsDeserialize: [ORIGIN + 8e6, ORIGIN + 10e6] as [number, number], resultBytes: 10, resultSerialize: [ORIGIN + 20e6, ORIGIN + 21e6] as [number, number], resultDeserializeNs: 1e3 },
  };
  const model = modelOf(nodeTrace([run('thread', 1, [withCosts])]));
  const tasks = model.lanes[0]!.tasks;
  assert.deepEqual([tasks.start[0], tasks.end[0]], [8e6, 21e6], 'from the start of the copy in to the end of the copy out');
  const states = Object.fromEntries(STATES.map((s, k) => [s, tasks.states[k]]));
  assert.equal(states.serialization, 3e6);
  assert.equal(states.gc, 2e6);
  assert.equal(states.running, 7e6);
  assert.equal(Array.from({ length: STATE_COUNT }, (_, k) => tasks.states[k]!).reduce((a, b) => a + b, 0), 13e6);
});

void test('Python traces keep their lanes and labels', () => {
  const model = modelOf(trace([run('thread', 2, [task(0, 11, 0, 2), task(1, 12, 0, 2)])]));
  assert.deepEqual(model.runs[0]!.lanes.map((id) => model.lanes[id]!.label), ['tid 11 · worker 1', 'tid 12 · worker 2']);
});
