// `conclens profile` on JavaScript and TypeScript files as a user runs it: the CLI bundled the
// way esbuild.mjs does, with the Node harness bundles next to it, run as `node cli.js profile …`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import * as esbuild from 'esbuild';
import { nodeHarnessDir, NODE_FIXTURES } from './node-helpers';
import { validateTrace } from './schema';
import { scratchDir } from '../scratch';

const ROOT = path.resolve(__dirname, '../../..');
let cli: string;

before(async () => {
  // Inside the repository, like dist/: esbuild (external to the bundle) resolves from there.
  const dir = path.join(ROOT, 'out', 'unit-node-cli');
  mkdirSync(dir, { recursive: true });
  await esbuild.build({ entryPoints: { cli: path.join(ROOT, 'src/cli.ts') }, outdir: dir, bundle: true, platform: 'node', target: 'node20', format: 'cjs', external: ['vscode', 'esbuild'], logLevel: 'error' });
  const harness = await nodeHarnessDir();
  for (const name of readdirSync(harness)) cpSync(path.join(harness, name), path.join(dir, name));
  cli = path.join(dir, 'cli.js');
});

function conclens(...args: string[]) {
  return spawnSync(process.execPath, [cli, 'profile', ...args], { cwd: NODE_FIXTURES, encoding: 'utf8', timeout: 120_000 });
}

void test('a TypeScript function: the Node table, the verdict, a valid trace; exit 0', () => {
  const out = path.join(scratchDir('conclens-node-cli-'), 'trace.json');
  const result = conclens('typed/checksum.ts', '--function', 'checksum', '--args', '[{ seed: 1, rounds: 1e5 }, { seed: 2, rounds: 1e5 }]', '--kinds', 'serial,thread', '--workers', '2', '--repeat', '1', '--out', out);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^typed\/checksum\.ts:checksum — 2 tasks, Node\.js \d+\.\d+\.\d+, \d+ usable CPUs$/m);
  assert.match(result.stdout, /^config +wall +speedup +effic\. +CPU +runq +GC +waiting +queue +serialize +peak RSS +errors$/m);
  assert.match(result.stdout, /^thread x2 +[\d.]+ms/m);
  assert.match(result.stdout, /^Verdict: /m);
  const trace = JSON.parse(readFileSync(out, 'utf8'));
  validateTrace(trace);
  assert.equal(trace.target.language, 'typescript');
});

void test('exit codes: 2 for options of the other runtime or a binary that is not Node, 3 for a profile that stops', () => {
  const python = conclens('waiting.mjs', '--function', 'fetchQuote', '--args', '[1]', '--python', 'python3');
  assert.equal(python.status, 2);
  assert.match(python.stderr, /^conclens profile: --python applies to Python files; waiting\.mjs is profiled with Node\.js \(--node PATH\) \(see conclens profile --help\)$/m);
  const kinds = conclens('waiting.mjs', '--function', 'fetchQuote', '--args', '[1]', '--kinds', 'fibers');
  assert.match(kinds.stderr, /--kinds accepts serial, async, thread, process for JavaScript and TypeScript; got "fibers"/);
  const dask = conclens('waiting.mjs', '--function', 'fetchQuote', '--args', '[1]', '--kinds', 'serial,dask');
  assert.equal(dask.status, 2);
  assert.match(dask.stderr, /--kinds accepts serial, async, thread, process for JavaScript and TypeScript; got "dask"/);
  const scheduler = conclens('waiting.mjs', '--function', 'fetchQuote', '--args', '[1]', '--dask-scheduler', 'tcp://127.0.0.1:8786');
  assert.equal(scheduler.status, 2);
  assert.match(scheduler.stderr, /--dask-scheduler applies to Python functions \(the dask kind\); waiting\.mjs is profiled with Node\.js/);
  const notNode = conclens('waiting.mjs', '--function', 'fetchQuote', '--args', '[1]', '--node', '/bin/echo');
  assert.equal(notNode.status, 2);
  assert.match(notNode.stderr, /\/bin\/echo is not Node\.js/);
  const exits = conclens('faulty.mjs', '--function', 'quit', '--args', '[4]', '--kinds', 'serial', '--repeat', '1');
  assert.equal(exits.status, 3);
  assert.match(exits.stderr, /the profile did not complete: task 0 called process\.exit\(4\) during serial/);
});

void test('JavaScript and TypeScript honour the same option ranges and exit 2 when nothing was profiled', () => {
  const workers = conclens('waiting.mjs', '--function', 'fetchQuote', '--args', '[1]', '--workers', '0');
  assert.equal(workers.status, 2);
  assert.match(workers.stderr, /^conclens profile: --workers expects an integer from 1 to 256, got "0"/m);
  const missing = conclens('waiting.mjs', '--function', 'noSuchExport', '--args', '[1]', '--kinds', 'serial', '--repeat', '1');
  assert.equal(missing.status, 2, missing.stderr);
  assert.match(missing.stderr, /^conclens profile: nothing was profiled: .*noSuchExport/m);
  const syntax = conclens('syntax_error.ts', '--function', 'typed', '--args', '[1]', '--kinds', 'serial', '--repeat', '1');
  assert.equal(syntax.status, 2, syntax.stderr);
  assert.match(syntax.stderr, /^conclens profile: nothing was profiled: cannot profile syntax_error\.ts: syntax_error\.ts:2:13: Unexpected "\*"$/m);
  const none = conclens('waiting.mjs', '--function', 'fetchQuote', '--args', '[]', '--kinds', 'serial', '--repeat', '1');
  assert.equal(none.status, 2, none.stderr);
  assert.match(none.stderr, /gave no tasks: there is nothing to time/);
});
