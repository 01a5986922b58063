import assert from 'node:assert/strict';
import { test } from 'node:test';
import { STATE_COUNT, STATES } from '../../../src/webview/states';
import { lowerBound, taskAt, TraceAssembler, upperBound, visibleTasks } from '../../../src/webview/model';
import { layoutRows, rowAt, rowsInView } from '../../../src/webview/layout';
import { packLocks, TASK_STRIDE, traceMessages } from '../../../src/shared/webview-protocol';
import { lockSpan, modelOf, ORIGIN, run, task, trace } from './trace-fixture';

void test('groups lanes by run, process and thread, sorted by time, relative to the run start', () => {
  const t = trace([
    run('process', 2, [task(1, 21, 5, 6, {}, 200), task(2, 11, 2, 4, {}, 100), task(3, 22, 1, 3, {}, 200), { ...task(0, 11, 0, 2, {}, 100), error: { type: 'E', message: 'm', traceback: '' } }], {
      memory: [{ pid: 100, peakRssBytes: 1000 }, { pid: 200, peakRssBytes: null }],
    }),
  ]);
  const model = modelOf(t);
  const r = model.runs[0]!;
  assert.deepEqual(r.processes.map((p) => [p.pid, p.peakRssBytes, p.lanes.length]), [[100, 1000, 1], [200, null, 2]]);
  const lanes = r.lanes.map((id) => model.lanes[id]!);
  assert.deepEqual(lanes.map((l) => `${l.pid}/${l.tid}`), ['100/11', '200/21', '200/22']);
  assert.deepEqual([...lanes[0]!.tasks.start], [0, 2e6]);
  assert.deepEqual([...lanes[0]!.tasks.index], [0, 2], 'tasks that arrive out of order are sorted');
  assert.deepEqual([...lanes[0]!.tasks.errors.keys()], [0], 'errors follow their task when sorted');
  assert.equal(model.totalTasks, 4);
});

void test('splits task time by state and keeps the parts equal to the wall time', () => {
  const wall = 10e6;
  const t = trace([
    run('thread', 1, [
      task(0, 1, 0, 10, { cpuNs: 4e6, runqNs: 1e6, blockedNs: 5e6, lockWaitNs: 2e6, gilWaitNs: 1e6, ioNs: 0.5e6, sleepNs: 0.5e6, samples: 9 }),
      task(1, 1, 10, 20, { cpuNs: 4e6, runqNs: 0, blockedNs: 6e6, lockWaitNs: 1e6 }),
      task(2, 1, 20, 30, { cpuNs: 9e6, runqNs: 3e6, lockWaitNs: 0 }),
    ]),
  ]);
  const tasks = modelOf(t).lanes[0]!.tasks;
  const of = (i: number) => Object.fromEntries(STATES.map((s, k) => [s, tasks.states[i * STATE_COUNT + k]]));
  const none = { schedulerWait: 0, loopBusy: 0, gc: 0, serialization: 0, transfer: 0 };
  assert.deepEqual(of(0), { ...none, running: 4e6, runqueue: 1e6, gilWait: 1e6, lockWait: 2e6, io: 1e6, blocked: 1e6 });
  assert.deepEqual(of(1), { ...none, running: 4e6, runqueue: 0, gilWait: 0, lockWait: 1e6, io: 0, blocked: 5e6 }, 'unsampled blocked time stays visible');
  const over = of(2);
  assert.ok(Math.abs(Object.values(over).reduce((a, b) => a + b, 0) - wall) < 1, 'noisy parts are scaled to the wall time');
  assert.ok(Math.abs(over.running! / over.runqueue! - 3) < 1e-9);
});

void test('binary searches find the visible window and the task under a time', () => {
  const t = trace([run('thread', 1, [task(0, 1, 0, 1), task(1, 1, 2, 3), task(2, 1, 4, 8), task(3, 1, 9, 10)])]);
  const tasks = modelOf(t).lanes[0]!.tasks;
  assert.deepEqual(visibleTasks(tasks, 2.5e6, 4.5e6), [1, 3]);
  assert.deepEqual(visibleTasks(tasks, 8.5e6, 8.9e6), [3, 3], 'a gap shows nothing');
  assert.equal(taskAt(tasks, 5e6), 2);
  assert.equal(taskAt(tasks, 8.5e6), -1);
  assert.equal(taskAt(tasks, 8.7e6, 0.6e6), 3, 'the nearest task within tolerance');
  assert.equal(lowerBound([1, 2, 2, 3], 2), 1);
  assert.equal(upperBound([1, 2, 2, 3], 2), 3);
});

void test('a lock release points at the waiter it woke, per process', () => {
  const t = trace([
    run('thread', 2, [task(0, 1, 0, 10), task(1, 2, 0, 10), task(2, 3, 0, 10, {}, 300)], {
      lockSpans: [
        lockSpan(1, 0, 0, 4),
        lockSpan(2, 1, 4.001, 6),
        lockSpan(1, 5, 6.002, 7),
        // Another process's copy of the same lock: never woken by pid 100's releases.
        lockSpan(3, 1, 5, 6, 3, 300),
      ],
    }),
  ]);
  const model = modelOf(t);
  const wakes = model.runs[0]!.wakes;
  const laneOf = (tid: number) => model.lanes.findIndex((l) => l.tid === tid);
  const arrows = Array.from({ length: wakes.count }, (_, i) => [wakes.fromLane[i], wakes.fromNs[i], wakes.toLane[i], wakes.toNs[i]]);
  assert.deepEqual(arrows.sort((a, b) => a[3]! - b[3]!), [
    [laneOf(1), 4e6, laneOf(2), 4.001e6],
    [laneOf(2), 6e6, laneOf(1), 6.002e6],
  ]);
});

void test('layout rows are contiguous, filterable and hit-testable', () => {
  const t = trace([
    run('process', 2, [task(0, 11, 0, 2, {}, 100), task(1, 21, 0, 2, {}, 200), task(2, 22, 0, 2, {}, 200)], {
      coreSamples: [{ timeNs: 1e9 + 1e6, busy: [0.5, 1], steal: [0, 0] }],
    }),
  ]);
  const model = modelOf(t);
  const layout = layoutRows(model, [0], { text: '' });
  assert.deepEqual(layout.rows.map((r) => r.kind), ['run', 'cores', 'process', 'thread', 'process', 'thread', 'thread']);
  layout.rows.forEach((row, i) => i > 0 && assert.equal(row.y, layout.rows[i - 1]!.y + layout.rows[i - 1]!.height));
  assert.equal(layout.lanes, 3);
  const filtered = layoutRows(model, [0], { text: 'TID 22' });
  assert.deepEqual(filtered.rows.map((r) => r.kind), ['run', 'cores', 'process', 'thread']);
  const thread = layout.rows[3]!;
  assert.equal(rowAt(layout, thread.y + 1), thread);
  assert.equal(rowAt(layout, layout.height + 1), undefined);
  assert.deepEqual(rowsInView(layout, thread.y, thread.y + thread.height), [3, 4]);
  assert.throws(() => layoutRows(model, [5], { text: '' }), /no run 5/);
});

void test('a malformed stream fails with a clear error', () => {
  const assembler = new TraceAssembler();
  const t = trace([run('thread', 1, [task(0, 1, 0, 1)])]);
  assembler.accept({ type: 'traceBegin', streamId: 1, header: { ...t, runs: [] }, totalItems: 0 });
  assert.throws(() => assembler.accept({ type: 'traceChunk', streamId: 1, runIndex: 4 }), /run 4, but the trace has 0 runs/);
  assert.throws(() => assembler.accept({ type: 'traceError', message: 'host could not read trace.json' }), /host could not read/);
});

void test('packed chunks of the wrong size are refused', () => {
  const assembler = new TraceAssembler();
  const t = trace([run('thread', 1, [task(0, 1, 0, 1)])]);
  const [begin] = traceMessages(t, 1);
  assembler.accept(begin!);
  assert.throws(
    () => assembler.accept({ type: 'traceChunk', streamId: 1, runIndex: 0, tasks: { count: 2, data: new Float64Array(5), errors: [] } }),
    new RegExp(`Float64Array of ${TASK_STRIDE} numbers per span`),
  );
  const locks = packLocks([lockSpan(1, 0, 1, 2)]);
  locks.data[5] = 3;
  assert.throws(() => assembler.accept({ type: 'traceChunk', streamId: 1, runIndex: 0, lockSpans: locks }), /names site 3, but the chunk has 1 sites/);
});

void test('tasks in flight on one event loop get a lane per slot on their one thread, with the loop time they lost to others', () => {
  const slot = (t: ReturnType<typeof task>, worker: number, loopBusyNs: number) => ({ ...t, worker, decomposition: { ...t.decomposition, cpuNs: 1e6, blockedNs: t.endNs - t.startNs - 1e6, loopBusyNs } });
  const t = trace([run('async', 2, [slot(task(0, 7, 0, 10), 0, 2e6), slot(task(1, 7, 0, 10), 1, 1e6), slot(task(2, 7, 10, 20), 0, 0)], { lockSpans: [lockSpan(7, 1, 2, 3)], eventLoop: { busyNs: 3e6, utilization: 0.15 } })]);
  const model = modelOf(t);
  const lanes = model.runs[0]!.lanes.map((id) => model.lanes[id]!);
  assert.deepEqual(lanes.map((l) => [l.tid, l.label, l.tasks.count]), [[7, 'event loop · call slot 0 · event loop 15% busy', 2], [7, 'event loop · call slot 1', 1]]);
  assert.equal(lanes[0]!.locks.count, 1, "a lock span goes to its thread's first lane");
  const loopBusy = STATES.indexOf('loopBusy');
  assert.equal(lanes[0]!.tasks.states[loopBusy], 2e6);
  assert.equal(lanes[1]!.tasks.states[loopBusy], 1e6);
});

void test('Dask workers are grouped by host; a task is drawn from its scheduler wait to its result being back', () => {
  const worker = (pid: number, host: string) => ({ address: `tcp://${host}:${pid}`, host, pid, nthreads: 1, clockOffsetNs: 0, clockUncertaintyNs: 0 });
  const onCluster = (t: ReturnType<typeof task>, host: string) => ({ ...t, dask: { worker: `tcp://${host}:${t.pid}`, host, submittedNs: ORIGIN, schedulerLatencyNs: 1e6, resultLatencyNs: 2e6 } });
  const dask = { scheduler: 'tcp://s:8786', local: false, startupNs: null, workers: [worker(300, 'b'), worker(100, 'a'), worker(200, 'b')], retriedTasks: [] };
  const t = trace([run('dask', 3, [onCluster(task(0, 1, 5, 10, {}, 300), 'b'), onCluster(task(1, 1, 5, 10, {}, 100), 'a'), onCluster(task(2, 1, 5, 10, {}, 200), 'b')], { dask })]);
  const model = modelOf(t);
  const runModel = model.runs[0]!;
  assert.deepEqual(runModel.processes.map((p) => [p.host, p.pid, p.name]), [['a', 100, 'tcp://a:100'], ['b', 200, 'tcp://b:200'], ['b', 300, 'tcp://b:300']]);
  const rows = layoutRows(model, [0], { text: '' }).rows.map((r) => (r.kind === 'host' ? `host ${r.host}` : r.kind === 'process' ? `pid ${r.pid}` : r.kind));
  assert.deepEqual(rows, ['run', 'host a', 'pid 100', 'thread', 'host b', 'pid 200', 'thread', 'pid 300', 'thread']);
  const tasks = model.lanes[runModel.lanes[0]!]!.tasks;
  assert.deepEqual([tasks.start[0], tasks.end[0]], [4e6, 12e6], '1 ms scheduler wait before the call, 2 ms for the result after');
  assert.equal(tasks.states[STATES.indexOf('schedulerWait')], 1e6);
  assert.equal(tasks.states[STATES.indexOf('transfer')], 2e6);
  assert.equal(tasks.states[STATES.indexOf('running')], 5e6);
});
