// Nothing the profiled function starts outlives a profile, and a profile never waits for it:
// threads that never end, processes in sessions of their own (holding stdio or the results
// pipe), and the profiler itself being killed. profileFixture checks the process table and the
// run's temporary root after every run; the CLI tests check them after killing the CLI.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { before, test } from 'node:test';
import { bundleCli, FIXTURES, freshTempRoot, processesOfRunner, profileFixture } from './helpers';

let cli: string;

before(async () => {
  cli = await bundleCli();
});

const notes = (outcome: Awaited<ReturnType<typeof profileFixture>>): string => outcome.trace.faults.map((f) => f.message).join('\n');

void test('a thread the function never ends holds no run open, in any pool or start method', { timeout: 120_000 }, async () => {
  for (const startMethod of ['fork', 'spawn'] as const) {
    const started = Date.now();
    const outcome = await profileFixture({ file: 'lingering.py', function: 'leave_thread', tasks: 'range(2)', workers: [2], startMethod, timeoutSec: 30 });
    // Before: the harness waited for the thread at exit, and pool workers never exited (hung for good).
    assert.ok(Date.now() - started < 25_000, `${startMethod}: took ${Date.now() - started} ms`);
    assert.equal(outcome.completed, true, outcome.message);
    assert.deepEqual(outcome.trace.runs.map((r) => r.kind), ['serial', 'thread', 'process']);
    assert.match(notes(outcome), /The function left 4 thread\(s\) running \(ticker-0, ticker-1, ticker-0, ticker-1\)/);
    assert.match(notes(outcome), /[12] worker process\(es\) of process x2 did not exit within 2s of their last task .* and were killed/);
  }
});

void test('processes the function starts in sessions of their own are killed when the profile ends, and none is waited for', { timeout: 120_000 }, async () => {
  for (const [fn, count] of [['new_session', 3], ['daemonize', 3], ['leave_group', 3]] as const) {
    const started = Date.now();
    const outcome = await profileFixture({ file: 'escapes.py', function: fn, tasks: 'range(3)', kinds: ['serial'] });
    assert.ok(Date.now() - started < 15_000, `${fn}: took ${Date.now() - started} ms (each process sleeps 30 s)`);
    assert.equal(outcome.completed, true, outcome.message);
    assert.match(notes(outcome), new RegExp(`The function left ${count} process\\(es\\) running \\(pid \\d+: \\S*python\\S* -c import`), fn);
  }
});

void test('the CLI exits when the profile ends even though a process it started still holds its stdout', { timeout: 60_000 }, () => {
  const started = Date.now();
  const result = spawnSync(process.execPath, [cli, 'profile', 'escapes.py', '--function', 'new_session', '--args', 'range(2)', '--kinds', 'serial', '--repeat', '1'], {
    cwd: FIXTURES,
    encoding: 'utf8',
    timeout: 40_000,
  });
  assert.equal(result.status, 0, result.stderr);
  assert.ok(Date.now() - started < 20_000, `took ${Date.now() - started} ms`);
  assert.match(result.stdout, /The function left 2 process\(es\) running/);
});

void test('when the CLI is killed (SIGKILL or SIGTERM), the harness, its workers and the temporary directory go at once', { timeout: 120_000 }, async () => {
  for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
    const tempRoot = freshTempRoot();
    try {
      const child = spawn(process.execPath, [cli, 'profile', 'endless.py', '--function', 'forever', '--args', '[1, 2]', '--kinds', 'process', '--workers', '2', '--repeat', '1', '--timeout', '120'], {
        cwd: FIXTURES,
        env: { ...process.env, TMPDIR: tempRoot },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await new Promise<void>((resolve) => {
        let seen = '';
        child.stderr.on('data', (chunk: Buffer) => {
          seen += chunk.toString();
          if (seen.includes('running process x2')) resolve();
        });
      });
      // The two workers are in their endless loops once they have started.
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.ok(processesOfRunner(child.pid!).length >= 3, 'the harness and two workers are running');
      child.kill(signal);
      await exited;
      const deadline = Date.now() + 5000;
      while (processesOfRunner(child.pid!).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      // Before: everything ran on until the 120 s timeout and the directory stayed.
      assert.deepEqual(processesOfRunner(child.pid!), [], `${signal}: processes left`);
      assert.deepEqual(readdirSync(tempRoot), [], `${signal}: temporary files left`);
    } finally {
      rmSync(tempRoot, { recursive: true, force: true });
    }
  }
});
