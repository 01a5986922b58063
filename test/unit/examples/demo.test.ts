// The demo end to end: bundle the CLI from current sources into a folder of this test's own
// (as esbuild.mjs does for dist/, which other work may be rebuilding), then run
// scripts/demo.mjs against it the way `npm run demo` does.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, test } from 'node:test';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import { nodeHarnessEntries, webTreeSitterCjs } from '../../../scripts/esbuild-plugins.mjs';
import { scratchDir } from '../scratch';

const ROOT = path.resolve(__dirname, '../../..');
const DEMO = path.join(ROOT, 'scripts', 'demo.mjs');
const run = promisify(execFile);
let cli: string;

before(async () => {
  const outdir = scratchDir('conclens-demo-');
  const common: esbuild.BuildOptions = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', outdir, logLevel: 'error', plugins: [webTreeSitterCjs] };
  await Promise.all([
    esbuild.build({ ...common, entryPoints: { cli: path.join(ROOT, 'src/cli.ts') } }),
    esbuild.build({ ...common, entryPoints: { 'analyzer-worker': path.join(ROOT, 'src/analyzers/worker.ts') } }),
    // The Node examples are profiled by the Node harness, found next to the CLI.
    esbuild.build({ ...common, entryPoints: Object.fromEntries(Object.entries(nodeHarnessEntries).map(([name, entry]) => [name, path.join(ROOT, entry)])) }),
    // The profiling step writes HTML reports from the timeline bundle next to the CLI.
    esbuild.build({ bundle: true, platform: 'browser', format: 'iife', outdir, logLevel: 'error', entryPoints: { webview: path.join(ROOT, 'src/webview/main.ts') } }),
  ]);
  // The harness is several modules: copy each, as esbuild.mjs does.
  cpSync(path.join(ROOT, 'src/profiler/python'), outdir, { recursive: true, filter: (source) => !source.includes('__pycache__') });
  for (const asset of ['web-tree-sitter/tree-sitter.wasm', 'tree-sitter-python/tree-sitter-python.wasm']) {
    const file = require.resolve(asset);
    cpSync(file, path.join(outdir, path.basename(file)));
  }
  cli = path.join(outdir, 'cli.js');
});

void test('the demo reports every expected finding, groups them by scenario and exits 0', async () => {
  const { stdout } = await run(process.execPath, [DEMO, '--cli', cli], { cwd: ROOT, timeout: 300_000 });
  assert.match(stdout, /^expected findings reported: (\d+) of \1$/m);
  for (const scenario of ['asyncio_cache', 'catalogue', 'cpu_primes', 'deadlock_abba', 'downloader', 'pool_starvation', 'shared_counter']) {
    assert.match(stdout, new RegExp(`^${scenario}/$`, 'm'), `a section for ${scenario}/`);
  }
  for (const scenario of ['cache_stampede', 'request_handler', 'sab_counter', 'lock_order', 'db_client', 'catalogue']) {
    assert.match(stdout, new RegExp(`^typescript/${scenario}/$`, 'm'), `a section for typescript/${scenario}/`);
  }
  assert.match(stdout, /^ {2}buggy\.py:\d+ {2}error PY-FUT-001 {2}/m, 'findings are listed under their scenario');
  assert.match(stdout, /^typescript\/lock_order\/\n {2}buggy\.mjs:\d+ {2}error JS-LOCK-001 {2}/m, 'TypeScript/JavaScript findings are listed too');
  assert.match(stdout, /^ {2}JS-ASYNC-002 +2$/m, 'the summary counts JS findings per rule');
  assert.match(stdout, /^javascript files: \d+, warnings and errors: [1-9]\d*$/m, 'the summary splits findings by language');
  assert.match(stdout, /^ {2}PY-DL-001 +2$/m, 'the summary counts findings per rule');
  assert.match(stdout, /^fixed +files: \d+, warnings and errors: 0$/m);
  const verdicts = stdout.match(/^Verdict: (serial|async x\d+|thread x\d+|process x\d+) — bottleneck: \w+, confidence: \w+$/gm) ?? [];
  assert.equal(verdicts.length, 6, 'a verdict for each profiling example, Python and Node');
  assert.match(stdout, /^\$ conclens profile examples\/profiling\/checksums\.ts --function fnv1a /m);
  const reports = [...stdout.matchAll(/^ {2}report: (\S+\.html)$/gm)].map((m) => path.resolve(ROOT, m[1]));
  assert.equal(reports.length, 6);
  for (const report of reports) assert.ok(existsSync(report), `${report} was written`);
  assert.match(stdout, /Demo passed/);
});

void test('the demo stops with a clear message when the CLI has not been built', async () => {
  const missing = path.join(os.tmpdir(), 'conclens-no-such-build', 'cli.js');
  await assert.rejects(run(process.execPath, [DEMO, '--cli', missing], { cwd: ROOT }), (error: { code: number; stderr: string }) => {
    assert.equal(error.code, 1);
    assert.match(error.stderr, /cli\.js is missing: run "npm run build" first/);
    return true;
  });
});
