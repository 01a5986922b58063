import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { profileCommand } from '../../../src/cli/profile-command';
import { FIXTURES } from './helpers';
import { validateTrace } from './schema';
import { scratchDir } from '../scratch';

async function run(argv: string[], distDir?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await profileCommand(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd: FIXTURES, distDir });
  return { code, stdout, stderr };
}

void test('bad arguments: exit 2 with a message that says which', async () => {
  assert.match((await run(['cpu_bound.py', '--args', '[1]'])).stderr, /--function NAME is required/);
  assert.match((await run(['missing.py', '--function', 'f', '--args', '[1]'])).stderr, /no such file: missing\.py/);
  assert.match((await run(['cpu_bound.py', '--function', 'spin', '--args', '[1]', '--workers', '0,2'])).stderr, /--workers expects an integer from 1 to 256, got "0"/);
  assert.match((await run(['cpu_bound.py', '--function', 'spin', '--args', '[1]', '--kinds', 'fibers'])).stderr, /--kinds accepts serial, thread, process, async, dask; got "fibers"/);
  assert.match((await run(['cpu_bound.py', '--function', 'spin', '--args', '[1]', '--dask-scheduler', '127.0.0.1:8786'])).stderr, /--dask-scheduler expects tcp:\/\/HOST:PORT \(or tls:\/\/\), got "127\.0\.0\.1:8786"/);
  assert.match((await run(['cpu_bound.py', '--function', 'spin', '--args', '[1]', '--kinds', 'serial', '--dask-scheduler', 'tcp://h:8786'])).stderr, /--dask-scheduler needs the dask kind in --kinds/);
  assert.match((await run(['cpu_bound.py', '--function', 'spin', '--args', '[1]', '--python', '/nonexistent/python'])).stderr, /\/nonexistent\/python could not be run/);
  assert.equal((await run(['cpu_bound.py', '--function', 'spin'])).code, 2);
});

void test('a completed profile prints the table and the verdict, writes a valid trace, a Chrome trace and an HTML report', async () => {
  const dir = scratchDir('conclens-cli-');
  const out = path.join(dir, 'trace.json');
  const chrome = path.join(dir, 'chrome.json');
  const html = path.join(dir, 'report.html');
  // A tiny stand-in bundle: this test checks the CLI's wiring; the real bundle is tested in test/browser.
  writeFileSync(path.join(dir, 'webview.js'), 'window.bundleMarker = 1;');
  writeFileSync(path.join(dir, 'webview.css'), '.bundle-marker {}');
  const result = await run(
    ['sleeping.py', '--function', 'nap', '--args', '[0.1]*4', '--kinds', 'serial,thread', '--workers', '4', '--repeat', '1', '--out', out, '--chrome-trace', chrome, '--html', html],
    dir,
  );
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^config +wall +speedup +effic\. +CPU +runq +GIL wait +lock wait +I\/O\+sleep +IPC +peak RSS +errors$/m);
  assert.match(result.stdout, /^thread x4 +[\d.]+ms +[\d.]+x/m);
  assert.match(result.stdout, /^Verdict: thread x4 — bottleneck: io/m, 'four sleeping threads: ideally 4x, far above any noise');
  validateTrace(JSON.parse(readFileSync(out, 'utf8')));
  const events = JSON.parse(readFileSync(chrome, 'utf8')).traceEvents as { ph: string; name: string }[];
  assert.equal(events.filter((e) => e.ph === 'X' && e.name.startsWith('task')).length, 2 * 4);
  const report = readFileSync(html, 'utf8');
  assert.match(report, /window\.bundleMarker = 1;/);
  assert.match(report, /\.bundle-marker \{\}/);
  assert.match(report, /Content-Security-Policy/);
  assert.match(report, /"function":\s*"nap"/);
});

void test('task exceptions still exit 0; a deadlock exits 3 naming the timeout', async () => {
  const raising = await run(['raising.py', '--function', 'fail_on_odd', '--args', 'range(4)', '--kinds', 'serial', '--repeat', '1']);
  assert.equal(raising.code, 0);
  assert.match(raising.stdout, /Task exceptions: 2 \(first: ValueError: odd input 1\)/);
  const deadlock = await run(['deadlocking.py', '--function', 'transfer', '--args', '[0, 1]', '--kinds', 'thread', '--workers', '2', '--repeat', '1', '--timeout', '1']);
  assert.equal(deadlock.code, 3);
  assert.match(deadlock.stderr, /the profile did not complete: thread x2 did not finish within 1s/);
  assert.match(deadlock.stdout, /lock deadlocking\.py:4 held by thread \d+, awaited by \d+/);
  assert.match(deadlock.stdout, /at deadlocking\.py:12 in transfer/);
});
