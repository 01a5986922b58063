import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideVerdict, type ConfigMeasurement, type TimeShares, type VerdictInput } from '../../../src/profiler/verdict';

const MS = 1e6;
const cpuShares = (over: Partial<TimeShares> = {}): TimeShares => ({ cpu: 0.95, runq: 0.01, lock: 0, gil: 0.01, io: 0, sleep: 0, blocked: 0.04, ...over });

function config(kind: 'thread' | 'process', workers: number, wallMs: number[], over: Partial<ConfigMeasurement> = {}): ConfigMeasurement {
  return { kind, workers, walls: wallMs.map((w) => w * MS), shares: cpuShares(), meanTaskNs: 50 * MS, ipcNs: 0.1 * MS, finishSpreadShare: 0.02, peakRssBytes: 30e6, ...over };
}

function input(configs: ConfigMeasurement[], over: Partial<VerdictInput> = {}): VerdictInput {
  return { cpusUsable: 4, gilEnabled: true, serialWalls: [400 * MS, 404 * MS, 398 * MS], serialShares: cpuShares(), configs, topLock: null, taskCount: 8, memoryFault: false, ...over };
}

void test('CPU-bound Python: processes at the core count, threads stall on the GIL', () => {
  const gil = cpuShares({ cpu: 0.3, gil: 0.68, blocked: 0.69 });
  const verdict = decideVerdict(input([
    config('thread', 2, [395, 401, 398], { shares: gil }),
    config('thread', 4, [392, 399, 405], { shares: gil }),
    config('process', 2, [205, 203, 207]),
    config('process', 4, [111, 112, 110]),
  ]));
  assert.equal(verdict.recommendation, 'process');
  assert.equal(verdict.workers, 4);
  assert.equal(verdict.bottleneck, 'gil');
  assert.equal(verdict.confidence, 'high');
  assert.match(verdict.summary, /^Processes: 3\.6\dx at 4 workers \(9\d% efficient\)\. Threads stall at 1\.0\dx: 68% of task time is spent waiting for the GIL\./);
});

void test('C code releasing the GIL: threads win, and processes are not chosen for a tie', () => {
  const verdict = decideVerdict(input([
    config('thread', 4, [108, 110, 109], { shares: cpuShares({ gil: 0.03 }) }),
    config('process', 4, [112, 111, 113]),
  ]));
  assert.equal(verdict.recommendation, 'thread');
  assert.match(verdict.summary, /releases the GIL \(GIL wait 3%/);
});

void test('one contended lock: threads serialized whatever the pool size; the per-process copy is named', () => {
  const locked = cpuShares({ cpu: 0.4, lock: 0.58, gil: 0.01, blocked: 0.59 });
  const verdict = decideVerdict(input([
    config('thread', 2, [400, 402, 399], { shares: locked }),
    config('thread', 4, [401, 399, 403], { shares: locked }),
    config('process', 2, [300, 303, 301]),
    config('process', 4, [290, 288, 295]),
  ], { topLock: { site: { file: 'bank.py', line: 7 } } }));
  assert.equal(verdict.bottleneck, 'lock');
  assert.match(verdict.summary, /one lock created at bank\.py:7 serializes them \(58% of task time/);
  assert.match(verdict.summary, /each process has its own copy of the lock at bank\.py:7 and of the data it guards/);
});

void test('tasks too small for a process pool: serial, overhead', () => {
  const verdict = decideVerdict(input([
    config('thread', 2, [2.1, 2.2, 2.0], { meanTaskNs: 0.002 * MS }),
    config('process', 2, [40, 42, 39], { meanTaskNs: 0.004 * MS, ipcNs: 2 * MS }),
  ], { serialWalls: [2 * MS, 2 * MS, 2.05 * MS] }));
  assert.equal(verdict.recommendation, 'serial');
  assert.equal(verdict.workers, 1);
  assert.equal(verdict.bottleneck, 'overhead');
  assert.match(verdict.summary, /too small for a process pool \(4 µs each/);
});

void test('big arguments: the IPC share names pickling', () => {
  const verdict = decideVerdict(input([config('process', 2, [500, 510, 505], { ipcNs: 600 * MS })]));
  assert.equal(verdict.recommendation, 'serial');
  assert.equal(verdict.bottleneck, 'ipc');
  assert.match(verdict.summary, /pickling/);
});

void test('more workers than cores: runqueue wait named, the core count chosen', () => {
  const verdict = decideVerdict(input([
    config('process', 2, [205, 206, 204]),
    config('process', 4, [200, 202, 199]),
    config('process', 8, [260, 270, 255], { shares: cpuShares({ runq: 0.45 }) }),
  ], { cpusUsable: 2 }));
  assert.equal(verdict.recommendation, 'process');
  assert.equal(verdict.workers, 2, 'x4 is within noise of x2, so the smaller pool');
  assert.equal(verdict.bottleneck, 'oversubscription');
  assert.match(verdict.summary, /More workers than the 2 usable CPUs hurts: process x8 drops to 1\.5\dx \(45% of task time waiting for a core\)/);
});

void test('differences within noise are called so, with low confidence', () => {
  const verdict = decideVerdict(input([
    config('thread', 2, [210, 260, 190]),
    config('process', 2, [205, 250, 200]),
  ]));
  assert.equal(verdict.withinNoise, true);
  assert.equal(verdict.confidence, 'low');
  assert.match(verdict.summary, /within noise/);
});

void test('sleeping tasks: threads, I/O-bound', () => {
  const io = cpuShares({ cpu: 0.02, io: 0, sleep: 0.97, blocked: 0.97 });
  const verdict = decideVerdict(input([config('thread', 4, [101, 102, 100], { shares: io }), config('process', 4, [130, 128, 131], { shares: io })], { serialShares: io }));
  assert.equal(verdict.recommendation, 'thread');
  assert.equal(verdict.bottleneck, 'io');
});

void test('load imbalance: workers finishing far apart is named', () => {
  const verdict = decideVerdict(input([config('process', 4, [200, 201, 199], { finishSpreadShare: 0.45 })]));
  assert.equal(verdict.bottleneck, 'imbalance');
  assert.match(verdict.summary, /finish 45% of the wall time apart/);
});

void test('a busy machine lowers confidence and says so', () => {
  const verdict = decideVerdict(input([config('process', 2, [205, 203, 207])], { serialShares: cpuShares({ runq: 0.4 }) }));
  assert.equal(verdict.confidence, 'low');
  assert.match(verdict.summary, /Machine busy: up to 40% of task time was spent waiting for a CPU that other processes held/);
});

void test('a pool of one worker is never recommended; its distance from 1x widens the noise', () => {
  const verdict = decideVerdict(input([config('thread', 1, [300, 300, 300]), config('thread', 2, [305, 306, 304])]));
  assert.equal(verdict.recommendation, 'serial', verdict.summary);
});

void test('without sampling the GIL share is inferred and labelled as such', () => {
  const verdict = decideVerdict(input([
    config('thread', 2, [400, 401, 399], { shares: cpuShares({ cpu: 0.5, gil: null, io: null, sleep: null, blocked: 0.5 }) }),
    config('process', 2, [205, 204, 203]),
  ], { serialShares: cpuShares({ gil: null, io: null, sleep: null }) }));
  assert.match(verdict.summary, /46% of task time is spent waiting for the GIL \(inferred/);
});

void test('the GIL probe is quoted with the GIL figure, and a long overshoot is not called "releases the GIL"', () => {
  const withoutProc = decideVerdict(input([
    config('thread', 2, [400, 401, 399], { shares: cpuShares({ cpu: 0.5, gil: null, io: null, sleep: null, blocked: 0.5 }), gilProbeOvershootNs: 9.6 * MS }),
    config('process', 2, [205, 204, 203]),
  ], { serialShares: cpuShares({ gil: null, io: null, sleep: null }) }));
  assert.match(withoutProc.summary, /waiting for the GIL \(inferred: thread states were not sampled\); a probe thread's 1 ms sleeps overshot by a median 9\.6 ms\./);
  const releasing = decideVerdict(input([config('thread', 4, [108, 110, 109], { shares: cpuShares({ gil: 0.03 }), gilProbeOvershootNs: 0.05 * MS })]));
  assert.match(releasing.summary, /releases the GIL \(GIL wait 3% of task time; a probe thread's 1 ms sleeps overshot by a median 0\.1 ms\)/);
  const held = decideVerdict(input([config('thread', 2, [300, 301, 299], { shares: cpuShares({ gil: 0.2 }), gilProbeOvershootNs: 6.9 * MS })]));
  assert.equal(held.recommendation, 'thread');
  assert.equal(held.bottleneck, 'gil');
  assert.doesNotMatch(held.summary, /releases the GIL/);
  assert.match(held.summary, /Threads still contend for the GIL \(GIL wait 20% of task time; a probe thread's 1 ms sleeps overshot by a median 6\.9 ms\)/);
});

void test('a free-threaded build: no GIL blame, threads can scale on pure Python', () => {
  const verdict = decideVerdict(input([
    config('thread', 4, [110, 111, 109], { shares: cpuShares({ gil: 0 }) }),
    config('process', 4, [112, 113, 111]),
  ], { gilEnabled: false }));
  assert.equal(verdict.recommendation, 'thread');
  assert.notEqual(verdict.bottleneck, 'gil');
});

void test('tasks that ran out of memory make memory the bottleneck', () => {
  const verdict = decideVerdict(input([config('process', 4, [111, 112, 110])], { memoryFault: true }));
  assert.equal(verdict.bottleneck, 'memory');
});

void test('threads that scale are not said to stall, and a GIL wait of 2% is not the bottleneck (issue 8, item 3)', () => {
  const verdict = decideVerdict(input([
    config('thread', 2, [234, 233, 235], { shares: cpuShares({ gil: 0.02 }), gilProbeOvershootNs: 0.08 * MS }),
    config('process', 2, [210, 211, 209]),
  ], { cpusUsable: 2 }));
  assert.equal(verdict.recommendation, 'process');
  assert.notEqual(verdict.bottleneck, 'gil', verdict.summary);
  assert.doesNotMatch(verdict.summary, /stall/);
  assert.match(verdict.summary, /Threads reach 1\.71x; nothing measured holds them back \(GIL wait 2% of task time/);
});

void test('a serial verdict names no bottleneck that was not measured', () => {
  const verdict = decideVerdict(input([
    config('thread', 2, [420, 421, 419], { shares: cpuShares({ gil: 0.05 }), gilProbeOvershootNs: 0.2 * MS }),
    config('process', 2, [410, 409, 411], { meanTaskNs: 50 * MS, idleShare: 0.1 }),
  ]));
  assert.equal(verdict.recommendation, 'serial');
  assert.equal(verdict.bottleneck, 'none', verdict.summary);
  assert.doesNotMatch(verdict.summary, /spent waiting for the GIL|costs more than/);
});

void test('a busy machine is named as such, not blamed on the GIL (issue 8, item 2)', () => {
  // Serial ran on a quiet moment; during the thread run other processes held the CPUs.
  const verdict = decideVerdict(input([
    config('thread', 2, [530, 535, 528], { shares: cpuShares({ cpu: 0.5, runq: 0.45, gil: 0, blocked: 0.05 }), gilProbeOvershootNs: 0.1 * MS }),
  ], { cpusUsable: 2 }));
  assert.equal(verdict.recommendation, 'serial');
  assert.equal(verdict.bottleneck, 'cpu');
  assert.equal(verdict.confidence, 'low');
  assert.match(verdict.summary, /Threads stall at 0\.75x, with no idle CPU to run them on \(45% of task time waiting for a CPU; GIL wait 0% of task time/);
  assert.match(verdict.summary, /Machine busy: up to 45% of task time was spent waiting for a CPU that other processes held/);
  assert.doesNotMatch(verdict.summary, /spent waiting for the GIL/);
  const spreadOnly = decideVerdict(input([config('thread', 2, [400, 402, 401])], { serialWalls: [400 * MS, 610 * MS, 405 * MS] }));
  assert.match(spreadOnly.summary, /Machine busy: the serial runs differed by 52%/);
  assert.equal(spreadOnly.confidence, 'low');
});

void test('processes that sat idle name the overhead from the measured idle share', () => {
  const verdict = decideVerdict(input([config('process', 2, [390, 395, 392], { meanTaskNs: 50 * MS, idleShare: 0.48 })]));
  assert.equal(verdict.bottleneck, 'overhead');
  assert.match(verdict.summary, /the workers sat idle 48% of the run/);
});
