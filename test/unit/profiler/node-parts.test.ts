// The Node profiler's pure parts: the verdict on synthetic measurements, the tasks expression,
// module formats, the command line's runtime options and the interpreter handshake.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { toChromeTrace } from '../../../src/profiler/chrome-trace';
import { nodeRuntimeOptions } from '../../../src/profiler/node/cli-options';
import { exportedFunctionAt, exportedFunctions } from '../../../src/profiler/node/exported-functions';
import { findNodeInterpreter } from '../../../src/profiler/node/interpreter';
import { isNodeFile, moduleFormatOf } from '../../../src/profiler/node/module-format';
import { evaluateTasks } from '../../../src/profiler/node/tasks';
import { decideNodeVerdict, nodeVerdictInput, type NodeConfig, type NodeShares, type NodeVerdictInput } from '../../../src/profiler/node/verdict';
import { ORIGIN, run, task, trace } from '../webview/trace-fixture';
import { scratchDir } from '../scratch';

const MS = 1e6;
const computing: NodeShares = { cpu: 0.96, runq: 0.02, gc: 0.01, waiting: 0.02 };
const waiting: NodeShares = { cpu: 0.01, runq: 0, gc: 0, waiting: 0.99 };

function config(kind: NodeConfig['kind'], workers: number, wallMs: number[], over: Partial<NodeConfig> = {}): NodeConfig {
  return { kind, workers, walls: wallMs.map((w) => w * MS), shares: computing, meanTaskNs: 100 * MS, meanArgsBytes: 40, meanSerializationNs: 0.05 * MS, startupNs: 30 * MS, startupShare: 0.1, finishSpreadShare: 0.02, ...over };
}

function input(configs: NodeConfig[], over: Partial<NodeVerdictInput> = {}): NodeVerdictInput {
  return { cpusUsable: 2, serialWalls: [800 * MS, 806 * MS, 797 * MS], serialShares: computing, configs, memoryFault: false, ...over };
}

void test('verdict: I/O-bound async function: async with N in flight, no pool, bottleneck io', () => {
  const verdict = decideNodeVerdict(input([
    config('async', 8, [103, 104, 102], { shares: waiting }),
    config('thread', 2, [420, 418, 425], { shares: waiting }),
    config('process', 2, [470, 465, 480], { shares: waiting }),
  ], { serialShares: waiting }));
  assert.equal(verdict.recommendation, 'async');
  assert.equal(verdict.workers, 8);
  assert.equal(verdict.bottleneck, 'io');
  assert.equal(verdict.confidence, 'high');
  assert.match(verdict.summary, /^Async: 7\.\d\d× with 8 in flight on the event loop; no pool needed: 99% of task time is waiting\.$/);
});

void test('verdict: CPU-bound: worker threads at the core count; processes and async named with their numbers', () => {
  const verdict = decideNodeVerdict(input([
    config('async', 2, [801, 799, 805]),
    config('thread', 2, [421, 423, 419]),
    config('process', 2, [470, 466, 468], { startupNs: 60 * MS, startupShare: 0.13 }),
  ]));
  assert.equal(verdict.recommendation, 'thread');
  assert.equal(verdict.bottleneck, 'cpu');
  assert.match(verdict.summary, /^Worker threads: 1\.9\d× at 2 workers \(9\d% efficient\)\. Child processes reach 1\.7\d×\. Async reaches only 1\.00× with 2 in flight on the event loop: the tasks compute rather than wait/);
});

void test('verdict: a big argument per task with trivial work: serial, bottleneck ipc, with the size and the copy time', () => {
  const copying = config('thread', 2, [330, 340, 335], { meanTaskNs: 0.003 * MS, meanArgsBytes: 32 * 2 ** 20, meanSerializationNs: 41 * MS });
  const verdict = decideNodeVerdict(input([copying, config('process', 2, [800, 810, 790], { meanTaskNs: 0.003 * MS, meanArgsBytes: 32 * 2 ** 20, meanSerializationNs: 90 * MS })], { serialWalls: [0.05 * MS, 0.05 * MS, 0.05 * MS] }));
  assert.equal(verdict.recommendation, 'serial');
  assert.equal(verdict.bottleneck, 'ipc');
  assert.match(verdict.summary, /Worker threads reach 0\.0001× at 2 workers: each task's 32 MiB argument takes 41 ms to copy into a worker thread and back, more than the 3 µs of work\./);
});

void test('verdict: tiny tasks: serial, overhead; slow start-up named with its share', () => {
  const tiny = decideNodeVerdict(input([config('thread', 2, [60, 62, 61], { meanTaskNs: 0.5 * MS, startupShare: 0.05 })], { serialWalls: [6 * MS, 6 * MS, 6 * MS] }));
  assert.equal(tiny.recommendation, 'serial');
  assert.equal(tiny.bottleneck, 'overhead');
  assert.match(tiny.summary, /Tasks are too small for a pool \(500 µs each, 6\.0 ms serial in total\)/);
  const handOff = decideNodeVerdict(input([config('thread', 2, [60, 62, 61], { meanTaskNs: 0.002 * MS, startupShare: 0.05 })], { serialWalls: [6 * MS, 6 * MS, 6 * MS] }));
  assert.equal(handOff.bottleneck, 'overhead');
  assert.match(handOff.summary, /moving each 2 µs task to a worker thread and its result back costs 50 µs/);
  const slowStart = decideNodeVerdict(input([config('process', 2, [900, 905, 902], { startupNs: 350 * MS, startupShare: 0.39 })]));
  assert.match(slowStart.summary, /Child processes reach 0\.89× at 2 workers: starting each child process takes 350 ms, 39% of the run\./);
});

void test('verdict: a busy machine says so in Python\'s words, from CPU wait or from serial runs that disagree', () => {
  const busy = decideNodeVerdict(input([config('thread', 2, [780, 800, 790])], { serialShares: { ...computing, cpu: 0.6, runq: 0.38 } }));
  assert.equal(busy.recommendation, 'serial');
  assert.equal(busy.confidence, 'low');
  assert.match(busy.summary, /Machine busy: up to 38% of task time was spent waiting for a CPU that other processes held, so these timings are noisy\./);
  const uneven = decideNodeVerdict(input([config('thread', 2, [300, 302, 301])], { serialWalls: [600 * MS, 800 * MS, 610 * MS] }));
  assert.equal(uneven.confidence, 'low');
  assert.match(uneven.summary, /Machine busy: the serial runs differed by 33%/);
});

void test('verdict: nothing measured explains a pool that does not pay off: no bottleneck named, the figures given', () => {
  const verdict = decideNodeVerdict(input([config('thread', 2, [790, 800, 795])]));
  assert.equal(verdict.recommendation, 'serial');
  assert.equal(verdict.bottleneck, 'none');
  assert.match(verdict.summary, /Worker threads reach only 1\.0\d× at 2 workers; nothing measured holds them back \(copying 0% of task time, start-up 10% of the run, GC 1%, waiting for a CPU 2%\)\./);
});

void test('verdict input: runs without a speedup (their tasks failed differently from serial) are not weighed', () => {
  const serial = run('serial', 1, [task(0, 7, 0, 100), task(1, 7, 100, 200)]);
  const failing = run('thread', 2, [task(0, 8, 0, 10), task(1, 9, 0, 10)], { speedup: null });
  const measured = nodeVerdictInput(trace([serial, failing, run('thread', 4, [task(0, 8, 0, 60), task(1, 9, 0, 60)])]));
  assert.deepEqual(measured.configs.map((c) => `${c.kind} x${c.workers}`), ['thread x4']);
  assert.deepEqual(measured.serialWalls, [200 * MS]);
});

void test('verdict: heavy garbage collection is named', () => {
  const verdict = decideNodeVerdict(input([config('thread', 2, [700, 705, 702], { shares: { ...computing, cpu: 0.6, gc: 0.35 } })]));
  assert.equal(verdict.bottleneck, 'gc');
  assert.match(verdict.summary, /garbage collection takes 35% of task time/);
});

void test('tasks: arrays are argument lists, other values one argument; exports are in scope; async iterables and promises work', async () => {
  const exported = { base: 10, make: (n: number) => Array.from({ length: n }, (_, i) => [i, i * 2]) };
  const tooMany = (cap: number) => `more than ${cap}`;
  assert.deepEqual(await evaluateTasks('make(2)', exported, 100, tooMany), { ok: true, tasks: [[0, 0], [1, 2]] });
  assert.deepEqual(await evaluateTasks('[base, "x", { a: 1 }]', exported, 100, tooMany), { ok: true, tasks: [[10], ['x'], [{ a: 1 }]] });
  assert.deepEqual(await evaluateTasks('(async function* () { yield 1; yield [2, 3]; })()', exported, 100, tooMany), { ok: true, tasks: [[1], [2, 3]] });
  assert.deepEqual(await evaluateTasks('Promise.resolve(new Set([7]))', exported, 100, tooMany), { ok: true, tasks: [[7]] });
});

void test('tasks: an endless generator stops at the cap; bad expressions and non-iterables say what they gave', async () => {
  const tooMany = (cap: number) => `more than ${cap}`;
  assert.deepEqual(await evaluateTasks('(function* () { for (;;) yield 1; })()', {}, 1000, tooMany), { ok: false, message: 'more than 1000' });
  for (const [expression, said] of [
    ['null', 'gave null'],
    ['{ a: 1 }', 'gave an object (Object)'],
    ['undefinedName', 'failed: ReferenceError: undefinedName is not defined'],
    ['[1,', 'failed: SyntaxError'],
    ['[]', 'gave no tasks: there is nothing to time'],
  ]) {
    const outcome = await evaluateTasks(expression, {}, 10, tooMany);
    assert.equal(outcome.ok, false);
    assert.ok(!outcome.ok && outcome.message.includes(said), `${expression}: ${!outcome.ok && outcome.message}`);
  }
});

void test('module formats follow the extension and the nearest package.json type, as Node does', () => {
  const dir = scratchDir('conclens-format-');
  mkdirSync(path.join(dir, 'esm', 'nested'), { recursive: true });
  writeFileSync(path.join(dir, 'esm', 'package.json'), '{ "type": "module" }');
  assert.equal(moduleFormatOf(path.join(dir, 'esm', 'nested', 'a.js')), 'esm');
  assert.equal(moduleFormatOf(path.join(dir, 'esm', 'nested', 'a.ts')), 'esm');
  assert.equal(moduleFormatOf(path.join(dir, 'esm', 'a.cts')), 'commonjs');
  assert.equal(moduleFormatOf(path.join(dir, 'b.mjs')), 'esm');
  assert.equal(moduleFormatOf(path.join(dir, 'b.js')), 'commonjs');
  assert.deepEqual(['a.py', 'a.js', 'a.MTS', 'a.tsx', 'a.d'].map(isNodeFile), [false, true, true, false, false]);
});

void test('command line: the runtime follows the extension; the other runtime\'s options are refused by name', () => {
  assert.equal(nodeRuntimeOptions('job.py', '/w/job.py', {}), null);
  assert.deepEqual(nodeRuntimeOptions('job.ts', '/w/job.ts', { node: '/opt/node' }), { node: '/opt/node' });
  assert.throws(() => nodeRuntimeOptions('job.py', '/w/job.py', { node: 'node' }), /^Error: --node applies to JavaScript and TypeScript files; job\.py is profiled with Python/);
  assert.throws(() => nodeRuntimeOptions('job.mjs', '/w/job.mjs', { python: 'python3' }), /--python applies to Python files; job\.mjs is profiled with Node\.js \(--node PATH\)/);
  assert.throws(() => nodeRuntimeOptions('job.js', '/w/job.js', { 'start-method': 'spawn' }), /--start-method applies to Python process pools/);
});

void test('interpreter: a handshake proves the binary is Node.js and new enough', async () => {
  const found = await findNodeInterpreter({ configured: process.execPath });
  assert.deepEqual(found, { ok: true, interpreter: { path: process.execPath, version: process.versions.node } });
  const echo = await findNodeInterpreter({ configured: '/bin/echo' });
  assert.ok(!echo.ok && /^No usable Node\.js: \/bin\/echo is not Node\.js \(it answered /.test(echo.message), JSON.stringify(echo));
  const missing = await findNodeInterpreter({ configured: '/nonexistent/node' });
  assert.ok(!missing.ok && /\/nonexistent\/node could not be run \(ENOENT\)/.test(missing.message), JSON.stringify(missing));
  const none = await findNodeInterpreter({ envPath: '/nonexistent' });
  assert.ok(!none.ok && /node is not on PATH/.test(none.message));
});

void test('exported functions: every way a module exports a function, with its lines and its tasks comment', () => {
  const esm = [
    '// conclens: tasks=[1, 2]',
    'export async function fetchAll(n: number): Promise<number> {',
    '  return n;',
    '}',
    'function local() {}',
    'export const arrow = (x: number) => x;',
    'export default function ignored() {}',
    'const later = function () {};',
    'export { later as renamed, local };',
    'export const notAFunction = 3;',
  ].join('\n');
  assert.deepEqual(exportedFunctions(esm, 'job.ts'), [
    { name: 'fetchAll', line: 1, endLine: 3, tasks: '[1, 2]', tasksLine: 0, parameters: [{ name: 'n', rest: false, optional: false, type: 'number' }] },
    { name: 'local', line: 4, endLine: 4, tasks: null, tasksLine: null, parameters: [] },
    { name: 'arrow', line: 5, endLine: 5, tasks: null, tasksLine: null, parameters: [{ name: 'x', rest: false, optional: false, type: 'number' }] },
    { name: 'renamed', line: 7, endLine: 7, tasks: null, tasksLine: null, parameters: [] },
  ]);
  const cjs = ['function a() {}', 'exports.b = async () => 1;', '// conclens: tasks=range', 'module.exports.c = a;', 'module.exports = { a, d: () => 2, e() {} };'].join('\n');
  assert.deepEqual(
    exportedFunctions(cjs, 'job.cjs').map((f) => `${f.name}@${f.line}`),
    ['c@0', 'a@0', 'b@1', 'd@4', 'e@4'],
    'exports.x = …, module.exports.x = a local function, module.exports = { … }',
  );
  assert.equal(exportedFunctionAt(esm, 'job.ts', 2)?.name, 'fetchAll', 'the cursor inside the body');
  assert.equal(exportedFunctionAt(esm, 'job.ts', 9), undefined);
});

void test('Chrome trace export: async calls get a lane per slot (events of one thread must nest), GC pauses are events', () => {
  const calls = [task(0, 7, 0, 10), task(1, 7, 1, 11)].map((t, i) => ({ ...t, worker: i }));
  const exported = toChromeTrace(trace([run('async', 2, calls, { gcSpans: [{ pid: 100, tid: 7, startNs: ORIGIN + 2e6, endNs: ORIGIN + 3e6, kind: 'minor' }] })]));
  const tasks = exported.traceEvents.filter((e) => e.cat === 'task');
  assert.deepEqual(tasks.map((e) => e.tid), [7000, 7001]);
  const names = exported.traceEvents.filter((e) => e.name === 'thread_name').map((e) => e.args?.name);
  assert.deepEqual(names, ['event loop, call slot 0 (tid 7)', 'event loop, call slot 1 (tid 7)']);
  const gc = exported.traceEvents.find((e) => e.cat === 'gc');
  assert.deepEqual(gc && [gc.name, gc.tid, gc.ts, gc.dur], ['GC (minor)', 7, 2000, 1000]);
});
