// `conclens profile` as a user runs it (the bundled CLI in a child process) with hostile options
// and faulty code: each case must end with a clear message naming the option or the problem,
// the exit code the README promises (2: bad input, nothing profiled; 3: started but could not
// complete; 0: profiled), nothing left in the process table or in its temporary directory, and
// never a stack trace. Prints how many cases it tried.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ensureDask } from '../../../scripts/ensure-test-deps.mjs';
import { bundleCli, FIXTURES, freshTempRoot, processesOfRunner } from './helpers';

interface Case {
  name: string;
  args: string[];
  /** Working directory, relative to the fixtures (default: the fixtures). */
  cwd?: string;
  exit: 0 | 2 | 3;
  /** Must match stderr (exit 2, 3) or stdout (exit 0). */
  says: RegExp;
  /** Checks on the trace written with --out (a file in the case's temporary folder). */
  trace?: (trace: { target: { module: string; file: string }; verdict: unknown; runs: unknown[] }) => void;
}

const profile = (file: string, fn: string, tasks: string, ...rest: string[]): string[] => [file, '--function', fn, '--args', tasks, '--repeat', '1', ...rest];
const serialOnly = ['--kinds', 'serial'];

const CASES: Case[] = [
  // Options, the interpreter and output paths: refused before anything runs (issue 8, item 17).
  { name: 'a program that is not Python', args: profile('tiny_tasks.py', 'add_one', '[1]', '--python', '/bin/echo'), exit: 2, says: /\/bin\/echo is not a Python interpreter/ },
  { name: 'a timeout beyond what a timer holds', args: profile('tiny_tasks.py', 'add_one', '[1]', '--timeout', '3000000'), exit: 2, says: /--timeout expects a number of seconds from 0\.1 to 86400, got "3000000"/ },
  { name: 'a timeout of 1e300', args: profile('tiny_tasks.py', 'add_one', '[1]', '--timeout', '1e300'), exit: 2, says: /--timeout expects .* got "1e300"/ },
  { name: 'a memory limit of 1 MiB', args: profile('tiny_tasks.py', 'add_one', '[1]', '--memory-limit', '1'), exit: 2, says: /--memory-limit expects a number of MiB from 64 to 16777216, got "1"/ },
  { name: 'a memory limit of 1e20 MiB', args: profile('tiny_tasks.py', 'add_one', '[1]', '--memory-limit', '1e20'), exit: 2, says: /--memory-limit expects .* got "1e20"/ },
  { name: 'a worker count of 100000', args: profile('tiny_tasks.py', 'add_one', '[1]', '--workers', '1,100000'), exit: 2, says: /--workers expects an integer from 1 to 256, got "100000"/ },
  { name: '1e9 repetitions', args: profile('tiny_tasks.py', 'add_one', '[1]').concat('--repeat', '1e9'), exit: 2, says: /--repeat expects an integer from 1 to 50, got "1e9"/ },
  { name: '--out into a missing directory', args: profile('tiny_tasks.py', 'add_one', '[1]', '--out', 'no/such/dir/trace.json'), exit: 2, says: /--out no\/such\/dir\/trace\.json: the directory .*no\/such\/dir does not exist/ },
  { name: '--html into a missing directory', args: profile('tiny_tasks.py', 'add_one', '[1]', '--html', 'missing/report.html'), exit: 2, says: /--html missing\/report\.html: the directory .* does not exist/ },
  { name: '--chrome-trace onto a directory', args: profile('tiny_tasks.py', 'add_one', '[1]', '--chrome-trace', 'pkg'), exit: 2, says: /--chrome-trace pkg: that is a directory/ },
  { name: '--out onto the profiled file', args: profile('tiny_tasks.py', 'add_one', '[1]', '--out', 'tiny_tasks.py'), exit: 2, says: /an output would overwrite the profiled file tiny_tasks\.py/ },
  { name: 'an empty --args', args: profile('tiny_tasks.py', 'add_one', ' '), exit: 2, says: /--args is empty/ },
  { name: 'FILE is a directory', args: profile('pkg', 'add_one', '[1]'), exit: 2, says: /not a file: pkg/ },
  // Faulty code and tasks: nothing to profile is bad input, exit 2 (items 16 and 19).
  { name: 'tasks expression giving no tasks', args: profile('tiny_tasks.py', 'add_one', '[]'), exit: 2, says: /the tasks expression '\[\]' gave no tasks/ },
  { name: 'a target that is not callable', args: profile('not_callable.py', 'LIMIT', '[1]'), exit: 2, says: /not_callable\.LIMIT is not a function: it is an int/ },
  { name: 'a missing function', args: profile('not_callable.py', 'nope', '[1]'), exit: 2, says: /could not import not_callable\.nope: AttributeError/ },
  { name: 'a module that fails to import', args: profile('broken_import.py', 'task', '[1]'), exit: 2, says: /could not import broken_import\.task: ModuleNotFoundError/ },
  { name: 'a tasks expression that raises', args: profile('tiny_tasks.py', 'add_one', '1/0'), exit: 2, says: /the tasks expression '1\/0' failed: ZeroDivisionError/ },
  { name: 'ten million tasks, refused without building them', args: profile('tiny_tasks.py', 'add_one', '[0] * 10**7', '--kinds', 'serial,thread', '--workers', '2', '--memory-limit', '256'), exit: 2, says: /10000000 tasks in 2 runs \(2 configurations x 1 repetitions\) would record 20000000 task spans/ },
  { name: 'an endless iterator of tasks', args: profile('tiny_tasks.py', 'add_one', '__import__("itertools").count()', '--kinds', 'serial,thread', '--workers', '2', '--memory-limit', '256'), exit: 2, says: /more than 150000 tasks in 2 runs \(2 configurations x 1 repetitions\); the profiler keeps every task/ },
  { name: 'an endless iterator of tasks for the async and dask kinds', args: profile('coroutines.py', 'fetch_quote', '__import__("itertools").count()', '--kinds', 'serial,async,dask', '--workers', '2', '--memory-limit', '256'), exit: 2, says: /more than 100000 tasks in 3 runs \(3 configurations x 1 repetitions\); the profiler keeps every task/ },
  // Failed tasks give no speedup (item 16): two 200 MiB tasks at once exceed a 300 MiB limit.
  { name: 'every pool task out of memory', args: profile('hungry.py', 'grab', '[200] * 4', '--kinds', 'serial,thread', '--workers', '2', '--memory-limit', '300'), exit: 3, says: /No pool run did the serial run's work: tasks failed in thread x2 \(\d of 4, first: MemoryError\)/ },
  { name: 'more threads than the memory limit leaves room for', args: profile('tiny_tasks.py', 'add_one', 'range(16)', '--kinds', 'serial,thread', '--workers', '16', '--memory-limit', '64'), exit: 3, says: /thread x16 could not start: the system refused the profiler the threads, processes or memory it needs \(RuntimeError: can't start new thread, under the 64 MiB memory limit\)/ },
  // User modules named like standard-library ones the harness or the pools use (item 18): the
  // harness process itself (fork), spawned workers, and a fork server's workers.
  ...[['json.py', 'fork'], ['json.py', 'spawn'], ['queue.py', 'spawn'], ['queue.py', 'forkserver']].map(([file, method]): Case => ({
    name: `a user module named ${file} (${method})`,
    cwd: 'shadowing',
    args: profile(file, 'task', 'range(4)', '--kinds', 'serial,process', '--workers', '2', '--start-method', method),
    exit: 0,
    says: /^process x2 .*\s0$/m,
  })),
  // A coroutine module named like a standard-library one asyncio imports: the profiler loads
  // asyncio for it without the user's directory on the path (harness and spawned workers).
  {
    name: 'a coroutine module named inspect.py (spawn)',
    cwd: 'shadowing',
    args: profile('inspect.py', 'task', 'range(4)', '--workers', '2', '--start-method', 'spawn'),
    exit: 0,
    says: /^process x2 .*\s0$[\s\S]*^async x2 .*\s0$/m,
  },
  // The dask kind's own inputs: a scheduler that does not answer is bad input, nothing profiled.
  {
    name: 'a Dask scheduler that does not answer',
    args: profile('tiny_tasks.py', 'add_one', '[1]', '--kinds', 'serial,dask', '--dask-scheduler', 'tcp://127.0.0.1:9', '--timeout', '2', '--python', ensureDask()),
    exit: 2,
    says: /nothing was profiled: --dask-scheduler tcp:\/\/127\.0\.0\.1:9: no Dask scheduler answered within 2s/,
  },
  // Without --root the module is imported from the top of its package (item 4).
  { name: 'a file outside the working directory', cwd: 'shadowing', args: profile('../tiny_tasks.py', 'add_one', '[1, 2]', ...serialOnly), exit: 0, says: /^serial /m },
  {
    name: 'a package module, from inside its package',
    cwd: 'pkg/sub',
    args: profile('work.py', 'compute', 'range(3)', ...serialOnly),
    exit: 0,
    says: /^serial /m,
    trace: (trace) => assert.deepEqual([trace.target.module, trace.target.file], ['pkg.sub.work', 'pkg/sub/work.py']),
  },
  // Faulty code that never ends or leaves processes behind (items 13 and 14).
  { name: 'a thread that never ends', args: profile('lingering.py', 'leave_thread', '[1]', ...serialOnly, '--timeout', '30'), exit: 0, says: /The function left 1 thread\(s\) running \(ticker-1\)/ },
  { name: 'a child in a new session holding stdout', args: profile('escapes.py', 'new_session', '[1]', ...serialOnly), exit: 0, says: /The function left 1 process\(es\) running/ },
];

let cli: string;
let tried = 0;

before(async () => {
  cli = await bundleCli();
});

after(() => {
  console.log(`hostile-input and faulty-code cases tried: ${tried} of ${CASES.length}`);
});

for (const c of CASES) {
  void test(`hostile input: ${c.name} → exit ${c.exit}`, { timeout: 60_000 }, () => {
    tried++;
    const tempRoot = freshTempRoot();
    const outDir = mkdtempSync(path.join(os.tmpdir(), 'conclens-hostile-out-'));
    try {
      const args = c.trace ? [...c.args, '--out', path.join(outDir, 'trace.json')] : c.args;
      const result = spawnSync(process.execPath, [cli, 'profile', ...args], {
        cwd: path.join(FIXTURES, c.cwd ?? '.'),
        env: { ...process.env, TMPDIR: tempRoot },
        encoding: 'utf8',
        timeout: 50_000,
      });
      const shown = `exit ${result.status}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
      assert.equal(result.status, c.exit, shown);
      assert.match(c.exit === 0 ? result.stdout : result.stderr, c.says, shown);
      assert.doesNotMatch(result.stderr, /Traceback|\n\s+at .*\.js:\d+|internal error/, shown);
      if (c.exit !== 0) assert.equal(result.stderr.trim().split('\n').filter((l) => l.startsWith('conclens profile:')).length, 1, shown);
      if (c.trace) c.trace(JSON.parse(readFileSync(path.join(outDir, 'trace.json'), 'utf8')));
      assert.deepEqual(processesOfRunner(result.pid), [], 'no process outlives the run');
      assert.deepEqual(readdirSync(tempRoot), [], 'no temporary file outlives the run');
    } finally {
      rmSync(tempRoot, { recursive: true, force: true });
      rmSync(outDir, { recursive: true, force: true });
    }
  });
}
