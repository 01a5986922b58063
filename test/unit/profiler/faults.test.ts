// Faults must end with a clear message and a partial trace, and never leave a process behind:
// every test scans /proc for processes carrying the run's CONCLENS_RUN_ID.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertCancelStopsEverything, processesWithRunId, profileFixture } from './helpers';
import { validateTrace } from './schema';

void test('a deadlock is stopped by the timeout with every stack and the lock holders and waiters', async () => {
  const started = Date.now();
  const outcome = await profileFixture({ file: 'deadlocking.py', function: 'transfer', tasks: '[0, 1]', kinds: ['serial', 'thread'], workers: [2], timeoutSec: 2 });
  assert.ok(Date.now() - started < 10_000);
  assert.equal(outcome.completed, false);
  validateTrace(outcome.trace);
  const fault = outcome.trace.faults.find((f) => f.fault === 'timeout')!;
  assert.match(fault.message, /thread x2 did not finish within 2s/);
  assert.equal(outcome.message, fault.message);
  assert.deepEqual(outcome.trace.runs.map((r) => r.kind), ['serial'], 'the serial run before the deadlock is kept');
  assert.ok(fault.stacks!.some((s) => s.frames.some((f) => f.file.endsWith('deadlocking.py') && f.line === 12)));
  const held = fault.lockState!.filter((l) => l.holderTid !== null && l.waiterTids.length === 1);
  assert.deepEqual(held.map((l) => l.site.line).sort(), [4, 5], 'each lock is held by one thread and awaited by the other');
  assert.deepEqual(processesWithRunId(outcome.runId), []);
});

void test('an endless loop in a process pool: worker stacks come back, workers are killed', async () => {
  const outcome = await profileFixture({ file: 'endless.py', function: 'forever', tasks: '[1, 2]', kinds: ['process'], workers: [2], timeoutSec: 1.5 });
  const fault = outcome.trace.faults.find((f) => f.fault === 'timeout')!;
  assert.ok(fault, outcome.message);
  const workerStacks = fault.stacks!.filter((s) => s.frames.some((f) => f.file.endsWith('endless.py')));
  assert.equal(workerStacks.length, 2);
  assert.deepEqual(processesWithRunId(outcome.runId), []);
});

void test('a worker that calls os._exit breaks the pool: crash with its exit code, no orphans', async () => {
  const outcome = await profileFixture({ file: 'crashing.py', function: 'die', tasks: '[7, 7]', kinds: ['process'], workers: [2] });
  assert.equal(outcome.completed, false);
  const fault = outcome.trace.faults.find((f) => f.fault === 'crash')!;
  assert.match(fault.message, /exit code 7/);
  assert.match(fault.message, /BrokenProcessPool/);
  assert.deepEqual(processesWithRunId(outcome.runId), []);
});

void test('a segfault in a worker is named', async () => {
  const outcome = await profileFixture({ file: 'segfaulting.py', function: 'crash', tasks: '[0]', kinds: ['process'], workers: [1] });
  assert.match(outcome.message, /SIGSEGV|Segmentation fault/);
  assert.deepEqual(processesWithRunId(outcome.runId), []);
});

void test('os._exit under a thread pool ends the harness itself: clear message, runs so far kept', async () => {
  const outcome = await profileFixture({ file: 'crashing.py', function: 'die', tasks: '[5]', kinds: ['thread'], workers: [1] });
  assert.equal(outcome.completed, false);
  const fault = outcome.trace.faults.find((f) => f.fault === 'harness')!;
  assert.match(fault.message, /exited with code 5 during thread x1/);
  validateTrace(outcome.trace);
});

void test('an unpicklable function skips process pools with a message; threads still run', async () => {
  const outcome = await profileFixture({ file: 'unpicklable.py', function: 'triple', tasks: 'range(4)', workers: [2] });
  assert.equal(outcome.completed, false);
  const fault = outcome.trace.faults.find((f) => f.fault === 'unpicklable')!;
  assert.equal(fault.skippedKind, 'process');
  assert.match(fault.message, /cannot send triple to its workers/);
  assert.deepEqual([...new Set(outcome.trace.runs.map((r) => r.kind))], ['serial', 'thread']);
});

void test('unpicklable arguments skip process pools with a message', async () => {
  const outcome = await profileFixture({ file: 'unpicklable.py', function: 'with_lock', tasks: 'make_locks()', workers: [2] });
  const fault = outcome.trace.faults.find((f) => f.fault === 'unpicklable')!;
  assert.match(fault.message, /arguments cannot be pickled.*_thread\.lock/);
  assert.ok(outcome.trace.runs.some((r) => r.kind === 'thread'));
});

void test('a module that starts processes at import time without a __main__ guard is named, under spawn', async () => {
  const outcome = await profileFixture({ file: 'no_main_guard.py', function: 'square', tasks: 'range(2)', kinds: ['process'], workers: [1], startMethod: 'spawn', timeoutSec: 10 });
  const fault = outcome.trace.faults.find((f) => f.fault === 'no-main-guard')!;
  assert.ok(fault, outcome.message);
  assert.match(fault.message, /if __name__ == "__main__"/);
  assert.deepEqual(processesWithRunId(outcome.runId), []);
});

void test('bad tasks expression and missing function are reported as such', async () => {
  const badTasks = await profileFixture({ file: 'cpu_bound.py', function: 'spin', tasks: 'range(' });
  assert.match(badTasks.message, /tasks expression 'range\(' failed: SyntaxError/);
  const missing = await profileFixture({ file: 'cpu_bound.py', function: 'nope', tasks: '[1]' });
  assert.match(missing.message, /could not import cpu_bound\.nope: AttributeError/);
});

void test('more task spans than a trace can hold are refused up front with a slice that fits', async () => {
  const started = Date.now();
  const outcome = await profileFixture({ file: 'tiny_tasks.py', function: 'add_one', tasks: 'range(200000)', kinds: ['serial', 'thread'], workers: [1, 2], repeat: 3 });
  assert.equal(outcome.completed, false);
  assert.match(outcome.message, /200000 tasks in 9 runs \(3 configurations x 3 repetitions\) would record 1800000 task spans; the profiler keeps every task and stops at 300000/);
  assert.match(outcome.message, /list\(range\(200000\)\)\[:33333\]/);
  assert.ok(Date.now() - started < 15_000, 'refused before running anything');
});

void test('cancel stops the whole process tree within 2 seconds', async () => {
  await assertCancelStopsEverything({ file: 'endless.py', function: 'forever', tasks: '[1, 2]', kinds: ['process'], workers: [2], timeoutSec: 60 }, 500);
});

void test('runaway output is bounded and reported', async () => {
  const outcome = await profileFixture({ file: 'noisy.py', function: 'shout', tasks: '[200000]', kinds: ['serial'], maxOutputBytes: 4096 });
  assert.equal(outcome.completed, true, outcome.message);
  assert.ok(outcome.trace.output.stdout.length < 4200);
  assert.ok(outcome.trace.output.droppedBytes > 1_000_000);
  assert.ok(outcome.trace.faults.some((f) => f.fault === 'output'));
});

void test('the memory limit turns runaway memory into MemoryError with a message', async () => {
  const outcome = await profileFixture({ file: 'hungry.py', function: 'grab', tasks: '[2048]', kinds: ['serial'], memoryLimitBytes: 512 * 2 ** 20 });
  assert.equal(outcome.trace.runs[0].tasks[0].error?.type, 'MemoryError');
  assert.match(outcome.trace.faults.find((f) => f.fault === 'memory')!.message, /out of memory under the 512 MiB limit/);
});

void test('a module that never finishes importing is stopped by the timeout', async () => {
  const started = Date.now();
  const outcome = await profileFixture({ file: 'hangs_on_import.py', function: 'never', tasks: '[1]', timeoutSec: 1 });
  assert.ok(Date.now() - started < 9000, `took ${Date.now() - started} ms`);
  assert.match(outcome.message, /importing the module and evaluating the tasks did not finish within 1s; stopped/);
  assert.match(outcome.trace.faults[0].detail ?? '', /hangs_on_import\.py", line 4/);
  assert.deepEqual(processesWithRunId(outcome.runId), []);
});

void test('an interpreter that cannot be started is an error naming it', async () => {
  await assert.rejects(profileFixture({ file: 'cpu_bound.py', function: 'spin', tasks: '[1]', python: '/nonexistent/python3' }), /could not start \/nonexistent\/python3: spawn \/nonexistent\/python3 ENOENT/);
});
