// Every way a profiled JS/TS function can misbehave ends with a clear message, and no process
// or thread is left: each test scans /proc for processes carrying the run's CONCLENS_RUN_ID
// (worker threads end with their process, so no process means no thread either).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { processesWithRunId } from './helpers';
import { cancelWhenRunning, nodeHarnessDir, NODE_FIXTURES, profileNodeFixture } from './node-helpers';
import { validateTrace } from './schema';

type Outcome = Awaited<ReturnType<typeof profileNodeFixture>>;

function fatal(outcome: Outcome) {
  const fault = outcome.trace.faults.find((f) => f.fatal);
  assert.ok(fault, `a fatal fault, got: ${outcome.message}`);
  assert.equal(outcome.completed, false);
  assert.equal(outcome.message, fault.message);
  assert.deepEqual(processesWithRunId(outcome.runId), [], 'nothing left running');
  validateTrace(outcome.trace);
  return fault;
}

void test('a task that throws or rejects: recorded per task with type, message and stack; the profile completes', async () => {
  const outcome = await profileNodeFixture({ file: 'faulty.mjs', function: 'rejectOnOdd', tasks: '[0, 1, 2, 3]', kinds: ['serial', 'async', 'thread', 'process'] });
  assert.equal(outcome.completed, true, outcome.message);
  assert.deepEqual(outcome.trace.runs.map((r) => r.kind), ['serial', 'async', 'thread', 'process']);
  for (const run of outcome.trace.runs) {
    assert.equal(run.totals.errors, 2, run.kind);
    const failed = run.tasks.find((t) => t.index === 3)!;
    assert.equal(failed.error?.type, 'TypeError');
    assert.equal(failed.error?.message, 'odd input 3');
    assert.match(failed.error!.traceback, /faulty\.mjs:7:\d+/, failed.error!.traceback);
  }
  assert.deepEqual(processesWithRunId(outcome.runId), []);
});

void test('process.exit in a task stops the profile with the task named, in every kind', async () => {
  const serial = fatal(await profileNodeFixture({ file: 'faulty.mjs', function: 'quit', tasks: '[5]', kinds: ['serial'] }));
  assert.equal(serial.message, 'task 0 called process.exit(5) during serial: a function that ends the process cannot be profiled; stopped.');
  for (const kind of ['thread', 'process'] as const) {
    const fault = fatal(await profileNodeFixture({ file: 'faulty.mjs', function: 'quit', tasks: '[5]', kinds: [kind], workers: [1] }));
    assert.equal(fault.fault, 'crash');
    assert.match(fault.message, new RegExp(`^${kind === 'thread' ? 'worker thread' : 'child process'} 0 of ${kind} x1 ended while running task 0 \\(exit code 5\\): process\\.exit\\(\\) in the task`));
  }
});

void test('an endless loop is stopped by the timeout: on the main thread by the watchdog, in pools by terminating workers and killing children', async () => {
  for (const kind of ['serial', 'thread', 'process'] as const) {
    const started = Date.now();
    const fault = fatal(await profileNodeFixture({ file: 'faulty.mjs', function: 'spin', tasks: '[1, 2]', kinds: [kind], timeoutSec: 1.5 }));
    assert.ok(Date.now() - started < 9000, `${kind} took ${Date.now() - started} ms`);
    assert.equal(fault.fault, 'timeout');
    const where = kind === 'serial' ? 'task 0 was still running on the main thread' : `tasks 0, 1 were still running; every ${kind === 'thread' ? 'worker thread' : 'child process'} was stopped`;
    assert.match(fault.message, new RegExp(`^${kind === 'serial' ? 'serial' : `${kind} x2`} did not finish within 1\\.5s \\(an endless loop, or a promise that never settles\\): ${where}`));
  }
});

void test('a promise that can never settle on the main thread is named at once, without waiting for the timeout', async () => {
  const started = Date.now();
  const fault = fatal(await profileNodeFixture({ file: 'faulty.mjs', function: 'neverSettles', tasks: '[1, 2]', kinds: ['async'], timeoutSec: 30 }));
  assert.ok(Date.now() - started < 10_000);
  assert.match(fault.message, /^tasks 0, 1 of async x2 returned a promise that can never settle/);
});

void test('a module that fails to load, a TypeScript syntax error, a missing export: one line naming the file', async () => {
  assert.equal(fatal(await profileNodeFixture({ file: 'fails_to_load.mjs', function: 'anything', tasks: '[1]' })).message, 'could not load fails_to_load.mjs: Error: configuration file missing');
  const syntax = fatal(await profileNodeFixture({ file: 'syntax_error.ts', function: 'typed', tasks: '[1]' }));
  assert.equal(syntax.message, 'cannot profile syntax_error.ts: syntax_error.ts:2:13: Unexpected "*"');
  assert.equal(syntax.fault, 'import');
  const missing = fatal(await profileNodeFixture({ file: 'faulty.mjs', function: 'nope', tasks: '[1]' }));
  assert.match(missing.message, /^faulty\.mjs exports no function named nope \(its exported functions: floatRejection, identity, /);
});

void test('an unhandled rejection while the module loads is a load failure', async () => {
  assert.equal(
    fatal(await profileNodeFixture({ file: 'rejects_on_load.mjs', function: 'work', tasks: '[1]' })).message,
    'loading rejects_on_load.mjs left an unhandled rejection or uncaught error: Error: lost connection during start-up',
  );
});

void test('--args that is not iterable, or does not evaluate', async () => {
  assert.equal(fatal(await profileNodeFixture({ file: 'faulty.mjs', function: 'identity', tasks: '42' })).message, 'the tasks expression "42" gave a number (42), not an iterable of tasks (an array, a Set, a generator…)');
  assert.match(fatal(await profileNodeFixture({ file: 'faulty.mjs', function: 'identity', tasks: 'range(3' })).message, /^the tasks expression "range\(3" failed: SyntaxError: /);
});

void test('an argument no worker can receive skips threads and processes; the serial run still happens', async () => {
  const outcome = await profileNodeFixture({ file: 'faulty.mjs', function: 'identity', tasks: '[[() => 1]]', kinds: ['serial', 'thread', 'process'] });
  const skipped = outcome.trace.faults.filter((f) => f.fault === 'unserializable');
  assert.deepEqual(skipped.map((f) => f.skippedKind), ['thread', 'process']);
  assert.match(skipped[0].message, /^worker threads cannot receive the arguments of task 0 \(\(\) => 1 could not be cloned\)/);
  assert.deepEqual(outcome.trace.runs.map((r) => r.kind), ['serial']);
  assert.equal(outcome.completed, false);
  assert.deepEqual(processesWithRunId(outcome.runId), []);
});

void test('a result no worker can send back (a socket) fails that task with a clear error; no pool did the work, so no verdict', async () => {
  const outcome = await profileNodeFixture({ file: 'faulty.mjs', function: 'socketResult', tasks: '[1]', kinds: ['serial', 'thread', 'process'], workers: [1] });
  assert.equal(outcome.completed, false);
  assert.match(outcome.message, /^No pool run did the serial run's work: tasks failed in thread x1 \(1 of 1, first: DataCloneError: /);
  assert.equal(outcome.inputError, false, 'the profile ran: exit 3, not 2');
  assert.equal(outcome.trace.verdict, null);
  assert.equal(outcome.trace.runs[0].tasks[0].error, undefined, 'serial returns it without copying');
  for (const run of outcome.trace.runs.slice(1)) {
    assert.equal(run.tasks[0].error?.type, 'DataCloneError', run.kind);
    assert.match(run.tasks[0].error!.message, /^the result cannot be sent back from the worker: .{1,110} could not be cloned$/);
  }
  assert.deepEqual(processesWithRunId(outcome.runId), []);
});

void test('timers a task leaves running and rejections nobody handles are reported, and cannot keep the harness alive', async () => {
  const leaky = await profileNodeFixture({ file: 'faulty.mjs', function: 'leaveTicker', tasks: '[5, 5]', kinds: ['serial', 'thread'] });
  assert.equal(leaky.completed, true, leaky.message);
  assert.match(leaky.trace.faults.find((f) => f.fault === 'open-handles')!.message, /^the tasks of serial left 2 Timeouts on the event loop after they settled/);
  assert.deepEqual(processesWithRunId(leaky.runId), []);
  const floating = await profileNodeFixture({ file: 'faulty.mjs', function: 'floatRejection', tasks: '[1, 2]', kinds: ['serial', 'process'] });
  const notes = floating.trace.faults.filter((f) => f.fault === 'rejection');
  assert.deepEqual(notes.map((f) => f.configuration?.kind), ['serial', 'process']);
  assert.match(notes[0].message, /^2 unhandled rejections or uncaught errors outside the tasks' own calls during serial \(first: RangeError: nobody awaits 1\)/);
  assert.equal(floating.completed, true);
});

void test('cancel stops the harness and every worker within 2 seconds', async () => {
  const cancel = cancelWhenRunning(500);
  const outcome = await profileNodeFixture({ file: 'faulty.mjs', function: 'spin', tasks: '[1, 2]', kinds: ['process'], timeoutSec: 60 }, cancel.control);
  assert.ok(cancel.at() > 0 && Date.now() - cancel.at() < 2000, `took ${Date.now() - cancel.at()} ms`);
  assert.equal(outcome.trace.faults.find((f) => f.fatal)?.fault, 'cancelled');
  assert.deepEqual(processesWithRunId(outcome.runId), []);
});

void test('when the process that runs the profile dies, the harness ends itself, its workers and its temporary files', async () => {
  const runId = `conclens-node-orphan-${process.pid}-${Date.now()}`;
  const before = new Set(readdirSync(os.tmpdir()).filter((name) => name.startsWith('conclens-ts-')));
  const script = `
    const { runNodeProfile } = require(${JSON.stringify(path.resolve(__dirname, '../../../src/profiler/node/profile.ts'))});
    runNodeProfile({ node: process.execPath, nodeVersion: process.versions.node, root: ${JSON.stringify(NODE_FIXTURES)}, file: 'typed/checksum.ts',
      function: 'checksum', tasks: '[{ seed: 1, rounds: 5e9 }, { seed: 2, rounds: 5e9 }]', kinds: ['process'], workers: [2], repeat: 1, timeoutSec: 60,
      harnessDir: ${JSON.stringify(await nodeHarnessDir())}, runId: ${JSON.stringify(runId)} }, { onProgress: (p) => p.message.startsWith('running') && console.log('running') });`;
  const parent = spawn(process.execPath, ['--import', 'tsx', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => parent.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('running') && resolve()));
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.ok(processesWithRunId(runId).length >= 3, 'the harness and two child processes run');
  const created = readdirSync(os.tmpdir()).filter((name) => name.startsWith('conclens-ts-') && !before.has(name));
  parent.kill('SIGKILL');
  const deadline = Date.now() + 5000;
  while (processesWithRunId(runId).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(processesWithRunId(runId), []);
  for (const name of created) assert.equal(existsSync(path.join(os.tmpdir(), name)), false, `${name} removed`);
});
