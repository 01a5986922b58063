import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { promisify } from 'node:util';
import { analyzePaths } from '../../../src/analyzers/engine';
import type { AnalysisConfig } from '../../../src/shared/config';
import type { AnalysisResult } from '../../../src/shared/findings';
import { buildCli } from '../cli/build-cli';
import { assertValidSarif } from '../cli/sarif-schema';
import { ALIASED_MUTEX_PROJECT, copyFixture, RACE_FIXTURE, tempWorkspace } from './helpers';

const config: AnalysisConfig = { rules: {}, exclude: [] };
const TYPED_PROJECT = path.resolve('test/fixtures/typescript/typed-project');
/** What only the type checker sees in the typed project (see test/unit/typescript/type-aware.test.ts). */
const TYPE_ONLY_FINDINGS = ['src/counter.ts:3:JS-SAB-001', 'src/store.ts:10:JS-LOCK-004', 'src/store.ts:15:JS-LOCK-004', 'src/tally.ts:4:JS-SAB-001'];
/** A lost update across `await` that syntax alone shows. */
const SYNTAX_RACE = 'let hits = 0;\nexport async function count(load: () => Promise<number>) {\n  hits += await load();\n}\n';

const listed = (result: AnalysisResult, root: string): string[] =>
  result.findings.map((f) => `${path.relative(root, f.file).split(path.sep).join('/')}:${f.range.start.line + 1}:${f.ruleId}`).sort();

function typedWorkspace(extra: Record<string, string> = {}): string {
  const root = tempWorkspace(extra);
  cpSync(TYPED_PROJECT, path.join(root, 'app'), { recursive: true });
  return root;
}

let cli: string;
before(async () => {
  cli = await buildCli();
});

void test('a run over a tsconfig project uses the type checker, on worker threads and in-process alike', async () => {
  const onWorkers = await analyzePaths([TYPED_PROJECT], { config, root: TYPED_PROJECT, workers: 2 });
  const inProcess = await analyzePaths([TYPED_PROJECT], { config, root: TYPED_PROJECT, workers: 0 });
  assert.deepEqual(onWorkers, inProcess);
  assert.deepEqual(listed(onWorkers, TYPED_PROJECT), TYPE_ONLY_FINDINGS);
  assert.equal(onWorkers.findings.find((f) => f.ruleId === 'JS-LOCK-004')?.fixes[0]?.title, 'Move release into finally');
  assert.deepEqual(onWorkers.notices, []);
});

void test('files outside every tsconfig are analyzed syntax-only in the same run', async () => {
  const root = typedWorkspace({ 'scripts/count.ts': SYNTAX_RACE, 'scripts/view.ts': 'export function f(v: Int32Array<SharedArrayBuffer>) {\n  v[0]++;\n}\n' });
  const result = await analyzePaths(['.'], { config, root, workers: 0 });
  assert.deepEqual(listed(result, root), [...TYPE_ONLY_FINDINGS.map((f) => `app/${f}`), 'scripts/count.ts:3:JS-ASYNC-001']);
});

void test('a file the tsconfig does not include stays syntax-only next to the covered ones', async () => {
  const root = typedWorkspace({ 'app/loose/view.ts': 'export function f(v: Int32Array<SharedArrayBuffer>) {\n  v[0]++;\n}\n' });
  const result = await analyzePaths(['.'], { config, root, workers: 0 });
  assert.deepEqual(listed(result, root), TYPE_ONLY_FINDINGS.map((f) => `app/${f}`), 'the view type is only visible to the type checker');
});

void test('an async-mutex lock behind a type alias from another module is found', async () => {
  const root = tempWorkspace(ALIASED_MUTEX_PROJECT);
  const result = await analyzePaths(['.'], { config, root, workers: 1 });
  assert.deepEqual(listed(result, root), ['store.ts:7:JS-LOCK-004']);
});

void test('the config search stops at the run root: a tsconfig above it is not used', async () => {
  const result = await analyzePaths([path.join(TYPED_PROJECT, 'src')], { config, root: path.join(TYPED_PROJECT, 'src'), workers: 0 });
  assert.deepEqual(result.findings, []);
});

void test('an unreadable tsconfig gives one notice and its files keep their syntax-only findings', async () => {
  const root = tempWorkspace({ 'tsconfig.json': '{ "compilerOptions": ', 'count.ts': SYNTAX_RACE });
  const result = await analyzePaths(['.'], { config, root, workers: 0 });
  assert.deepEqual(listed(result, root), ['count.ts:3:JS-ASYNC-001']);
  assert.equal(result.notices.length, 1);
  assert.equal(result.notices[0].file, path.join(root, 'tsconfig.json'));
  assert.match(result.notices[0].message, /type-aware analysis unavailable.*syntax-only/);
});

const runCli = promisify(execFile);

async function conclens(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await runCli(process.execPath, [cli, ...args], { cwd });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

void test('the CLI finds the type-only facts of a tsconfig project', async () => {
  const result = await conclens(['analyze', '--format', 'json'], TYPED_PROJECT);
  assert.equal(result.code, 1, result.stderr);
  const report = JSON.parse(result.stdout) as { findings: { ruleId: string; file: string }[] };
  const ids = report.findings.map((f) => `${path.basename(f.file)}:${f.ruleId}`).sort();
  assert.deepEqual(ids, ['counter.ts:JS-SAB-001', 'store.ts:JS-LOCK-004', 'store.ts:JS-LOCK-004', 'tally.ts:JS-SAB-001']);
});

void test('a mixed Python + TypeScript workspace gives one valid SARIF log with both languages', async () => {
  const root = typedWorkspace({ 'scripts/count.ts': SYNTAX_RACE });
  copyFixture(RACE_FIXTURE, root, 'py/race.py');
  writeFileSync(path.join(root, 'py', 'clean.py'), 'print("hello")\n');
  const result = await conclens(['analyze', '--format', 'sarif'], root);
  assert.equal(result.code, 1, result.stderr);
  const log = JSON.parse(result.stdout) as { runs: { results: { ruleId: string; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[] };
  assertValidSarif(log);
  const results = log.runs[0].results.map((r) => `${r.locations[0].physicalLocation.artifactLocation.uri}:${r.ruleId}`);
  assert.ok(results.some((r) => /py\/race\.py:PY-RACE-001$/.test(r)), results.join('\n'));
  assert.ok(results.some((r) => /scripts\/count\.ts:JS-ASYNC-001$/.test(r)), results.join('\n'));
  assert.ok(results.some((r) => /app\/src\/counter\.ts:JS-SAB-001$/.test(r)), 'type-aware through the CLI too');
});
