// The join of in-process clocks with outside samples, on synthetic inputs with known answers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HarnessEvent, HarnessTask } from '../../../src/profiler/harness-protocol';
import { ThreadState, type SamplerResult } from '../../../src/profiler/sampler';
import { buildTrace } from '../../../src/profiler/trace-builder';
import { validateTrace } from './schema';

const MS = 1_000_000;
const options = { file: 'w.py', function: 'work', tasks: 'range(2)', kinds: ['serial', 'thread'] as ('serial' | 'thread')[], repeat: 1, timeoutSec: 10 };
const hello: HarnessEvent = { type: 'hello', pid: 100, python: '/usr/bin/python3', version: '3.11.7', implementation: 'cpython', freeThreadedBuild: false, gilEnabled: true, usableCpus: 2, procAvailable: true, startMethod: 'fork' };

function task(index: number, tid: number, start: number, end: number, extra: Partial<HarnessTask> = {}): HarnessTask {
  return { index, start, end, cpu: 0, runq: 0, coreStart: 0, coreEnd: 1, pid: 100, tid, ...extra };
}

function run(kind: 'serial' | 'thread', workers: number, start: number, end: number, tasks: HarnessTask[]): HarnessEvent {
  return { type: 'run', kind, workers, repetition: 0, label: kind, start, end, wallNs: end - start, tasks, ipc: null, memory: [{ pid: 100, peakRssBytes: 20e6 }] };
}

/** One sample per millisecond for a thread, in the given states. */
function samples(tid: number, from: number, states: ThreadState[]) {
  return { pid: 100, tid, times: states.map((_, i) => from + i * MS), states };
}

void test('GIL wait is futex-blocked time minus instrumented lock wait; I/O and sleep come from the syscall class', () => {
  const S = ThreadState;
  // Thread 11: 100 ms task, 40 ms CPU, 60 ms blocked; half the samples in futex, 20 ms of which a lock explains.
  const t11 = task(0, 11, 1000 * MS, 1100 * MS, { cpu: 40 * MS, locks: [{ file: 'w.py', line: 3, acquisitions: 2, waitNs: 20 * MS, holdNs: 5 * MS, contended: 1, maxWaitNs: 20 * MS, kind: 'Lock' }] });
  // Thread 12: 100 ms task, 10 ms CPU; 30 samples of I/O, 60 of sleep.
  const t12 = task(1, 12, 1000 * MS, 1100 * MS, { cpu: 10 * MS });
  const sampler: SamplerResult = {
    available: true, hz: 1000, coreHz: 50, unavailable: [], samples: 200, cpuMs: 5,
    threads: new Map([
      [11, samples(11, 1000 * MS, [...Array(40).fill(S.Running), ...Array(50).fill(S.Futex), ...Array(10).fill(S.OtherBlocked)])],
      [12, samples(12, 1000 * MS, [...Array(10).fill(S.Running), ...Array(30).fill(S.Io), ...Array(60).fill(S.Sleep)])],
    ]),
    cores: [{ timeNs: 1050 * MS, busy: [0.5, 1], steal: [0, 0] }, { timeNs: 2000 * MS, busy: [0, 0], steal: [0, 0] }],
  };
  const trace = buildTrace({
    options,
    events: [hello, { type: 'tasks', count: 2, module: 'w' }, run('serial', 1, 800 * MS, 1000 * MS, [task(0, 100, 800 * MS, 900 * MS, { cpu: 100 * MS }), task(1, 100, 900 * MS, 1000 * MS, { cpu: 100 * MS })]), run('thread', 2, 1000 * MS, 1100 * MS, [t11, t12]), { type: 'done' }],
    faults: [],
    sampler,
    output: { stdout: '', stderr: '', droppedBytes: 0 },
  });
  validateTrace(trace);
  const threads = trace.runs[1];
  const [a, b] = threads.tasks;
  assert.equal(a.decomposition.blockedNs, 60 * MS);
  assert.equal(a.decomposition.lockWaitNs, 20 * MS);
  assert.equal(Math.round(a.decomposition.gilWaitNs! / MS), 30, '50 ms futex − 20 ms lock');
  assert.equal(b.decomposition.ioNs! + b.decomposition.sleepNs!, 90 * MS);
  assert.equal(Math.round(b.decomposition.sleepNs! / MS), 60);
  assert.equal(threads.speedup, 2, 'serial 200 ms over thread 100 ms');
  assert.deepEqual(threads.tasks.map((t) => t.worker).sort(), [0, 1]);
  assert.equal(threads.coreSamples.length, 1, 'only the core samples inside the run');
  assert.deepEqual(trace.locks[0].waitNsByKind, { serial: 0, thread: 20 * MS, process: 0 });
});

void test('a free-threaded interpreter: futex time is lock contention, never GIL', () => {
  const trace = buildTrace({
    options,
    events: [{ ...hello, gilEnabled: false, freeThreadedBuild: true } as HarnessEvent, run('serial', 1, 0, 10 * MS, [task(0, 11, 0, 10 * MS)])],
    faults: [],
    sampler: { available: true, hz: 1000, coreHz: 50, unavailable: [], samples: 10, cpuMs: 1, threads: new Map([[11, samples(11, 0, Array(10).fill(ThreadState.Futex))]]), cores: [] },
    output: { stdout: '', stderr: '', droppedBytes: 0 },
  });
  assert.equal(trace.target.gilEnabled, false);
  assert.equal(trace.runs[0].tasks[0].decomposition.gilWaitNs, 0);
});

void test('no sampler: the split is null and the trace says what is missing', () => {
  const trace = buildTrace({
    options,
    events: [hello, run('serial', 1, 0, 10 * MS, [task(0, 11, 0, 10 * MS)])],
    faults: [],
    sampler: null,
    output: { stdout: '', stderr: '', droppedBytes: 0 },
  });
  assert.equal(trace.runs[0].tasks[0].decomposition.gilWaitNs, null);
  assert.equal(trace.runs[0].totals.ioNs, null);
  assert.match(trace.sampler.unavailable.join(' '), /sampling was turned off/);
  assert.equal(trace.verdict, null, 'no pool run, no verdict');
});

void test('counters read just outside a microsecond task are clamped to its wall time', () => {
  const trace = buildTrace({
    options,
    events: [hello, run('serial', 1, 0, 10_000, [task(0, 11, 1000, 3000, { cpu: 6000, runq: 90_000 })])],
    faults: [],
    sampler: null,
    output: { stdout: '', stderr: '', droppedBytes: 0 },
  });
  const d = trace.runs[0].tasks[0].decomposition;
  assert.deepEqual([d.cpuNs, d.runqNs, d.blockedNs], [2000, 0, 0]);
});
