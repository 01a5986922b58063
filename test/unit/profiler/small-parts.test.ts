import assert from 'node:assert/strict';
import os from 'node:os';
import { test } from 'node:test';
import { BoundedOutput } from '../../../src/profiler/bounded-output';
import { defaultWorkerCounts } from '../../../src/profiler/runner';
import { ProcSampler, ThreadState } from '../../../src/profiler/sampler';
import { readTasksComment } from '../../../src/profiler/tasks-comment';
import { scratchDir } from '../scratch';

/** Starts a Python child that reports when it goes to sleep; returns the sampled states of its
 *  main thread from then on (interpreter start-up on a loaded machine is not sleep). */
async function sampleSleepingChild(makeSampler: (pid: number) => ProcSampler) {
  const { spawn } = await import('node:child_process');
  const child = spawn('python3', ['-c', 'import sys, time; print("sleeping", flush=True); time.sleep(0.5)']);
  const sampler = makeSampler(child.pid!);
  sampler.start();
  let asleepAt = Infinity;
  child.stdout.once('data', () => (asleepAt = Number(process.hrtime.bigint())));
  await new Promise((resolve) => child.once('exit', resolve));
  const result = sampler.stop();
  const main = result.threads.get(child.pid!)!;
  const states = main.states.filter((_, i) => main.times[i] > asleepAt + 20e6 && main.times[i] < asleepAt + 450e6);
  return { result, states };
}

void test('the tasks comment above a def (decorators allowed) is the default expression', () => {
  const source = ['import x', '', '# conclens: tasks=[(1, 60000)] * 8', '@cache', 'def count(low, high):', '    pass', '', 'def other():', '    pass'].join('\n');
  assert.equal(readTasksComment(source, 'count'), '[(1, 60000)] * 8');
  assert.equal(readTasksComment(source, 'other'), null);
  assert.equal(readTasksComment(source, 'missing'), null);
  assert.equal(readTasksComment('# conclens: tasks=range(3)\n\ndef f(x):\n  pass', 'f'), null, 'a blank line ends the block');
});

void test('bounded output keeps the head and counts the rest', () => {
  const output = new BoundedOutput(10);
  output.push(Buffer.from('hello '));
  output.push(Buffer.from('world, and more'));
  assert.equal(output.dropped, 11);
  assert.equal(output.text(), 'hello worl\n… 11 more bytes not kept');
});

void test('without /proc the sampler says what it cannot measure instead of failing', () => {
  const sampler = new ProcSampler(process.pid, 250, 50, scratchDir('conclens-no-proc-'));
  sampler.start();
  const result = sampler.stop();
  assert.equal(result.available, false);
  assert.equal(result.samples, 0);
  assert.match(result.unavailable.join(' '), /thread states, GIL wait, I\/O and sleep time, per-core utilization \(no \/proc/);
});

void test('the sampler sees a sleeping child in clock_nanosleep and /proc/stat per core', async () => {
  const { result, states } = await sampleSleepingChild((pid) => new ProcSampler(pid, 250, 50));
  const sleeping = states.filter((s) => s === ThreadState.Sleep).length;
  assert.ok(states.length > 10 && sleeping > states.length * 0.8, `sleep samples ${sleeping} of ${states.length}`);
  assert.ok(result.cores.length > 5);
  assert.equal(result.cores[0].busy.length, os.availableParallelism());
});

void test('wait channels classify like syscalls when the syscall file is unreadable', async () => {
  // A sampler for an architecture without a syscall table must fall back to wchan.
  const { result, states } = await sampleSleepingChild((pid) => {
    const arch = Object.getOwnPropertyDescriptor(process, 'arch')!;
    Object.defineProperty(process, 'arch', { value: 'mips' });
    try {
      return new ProcSampler(pid, 250, 50);
    } finally {
      Object.defineProperty(process, 'arch', arch);
    }
  });
  assert.match(result.unavailable.join(' '), /no syscall table for mips.*wait channel/);
  const sleeping = states.filter((s) => s === ThreadState.Sleep).length;
  assert.ok(states.length > 10 && sleeping > states.length * 0.8, `sleep samples by wchan ${sleeping} of ${states.length}`);
});

void test('default pool sizes double up to the usable CPUs, which are always included', () => {
  assert.deepEqual(defaultWorkerCounts(1), [1]);
  assert.deepEqual(defaultWorkerCounts(2), [1, 2]);
  assert.deepEqual(defaultWorkerCounts(6), [1, 2, 4, 6]);
  assert.deepEqual(defaultWorkerCounts(8), [1, 2, 4, 8]);
});
