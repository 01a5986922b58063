import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { analyzePaths } from '../../../src/analyzers/engine';
import type { AnalysisConfig } from '../../../src/shared/config';
import { CLEAN_FIXTURE, copyFixture, RACE_FIXTURE, RACE_LINE, tempWorkspace } from './helpers';

const config: AnalysisConfig = { rules: {}, exclude: [] };

function raceWorkspace(extra: Record<string, string | Uint8Array> = {}): string {
  const root = tempWorkspace(extra);
  copyFixture(RACE_FIXTURE, root, 'race.py');
  copyFixture(CLEAN_FIXTURE, root, 'clean.py');
  return root;
}

const raceIds = (result: { findings: { ruleId: string }[] }) => result.findings.map((f) => f.ruleId).filter((id) => id === 'PY-RACE-001');

void test('finds the two-thread lost update on worker threads and in-process alike', async () => {
  const root = raceWorkspace();
  const onWorkers = await analyzePaths(['.'], { config, root, workers: 2 });
  const inProcess = await analyzePaths(['.'], { config, root, workers: 0 });
  assert.deepEqual(onWorkers, inProcess);
  const race = onWorkers.findings.find((f) => f.ruleId === 'PY-RACE-001');
  assert.ok(race, JSON.stringify(onWorkers.findings));
  assert.equal(race.file, path.join(root, 'race.py'));
  assert.equal(race.range.start.line, RACE_LINE);
  assert.ok(!onWorkers.findings.some((f) => f.file.endsWith('clean.py')), 'the locked version is clean');
  assert.equal(onWorkers.files, 2);
  const lines = readFileSync(RACE_FIXTURE, 'utf8').trimEnd().split('\n').length + readFileSync(CLEAN_FIXTURE, 'utf8').trimEnd().split('\n').length;
  assert.equal(onWorkers.lines, lines);
  assert.deepEqual(onWorkers.notices, []);
});

void test('rule settings: off removes, a severity overrides', async () => {
  const root = raceWorkspace();
  const off = await analyzePaths(['.'], { config: { ...config, rules: { 'PY-RACE-001': 'off' } }, root, workers: 0 });
  assert.deepEqual(raceIds(off), []);
  const loud = await analyzePaths(['.'], { config: { ...config, rules: { 'PY-RACE-001': { severity: 'error' } } }, root, workers: 0 });
  assert.equal(loud.findings.find((f) => f.ruleId === 'PY-RACE-001')?.severity, 'error');
});

void test('a suppression comment above the line hides the finding; a wrong id does not', async () => {
  const text = readFileSync(RACE_FIXTURE, 'utf8').split('\n');
  const withComment = (id: string) => [...text.slice(0, RACE_LINE), `        # conclens: ignore[${id}]`, ...text.slice(RACE_LINE)].join('\n');
  const root = tempWorkspace({ 'right.py': withComment('PY-RACE-001'), 'wrong.py': withComment('PY-RACE-002') });
  const result = await analyzePaths(['.'], { config, root, workers: 0 });
  const files = result.findings.filter((f) => f.ruleId === 'PY-RACE-001').map((f) => path.basename(f.file));
  assert.deepEqual(files, ['wrong.py']);
});

void test('exclude globs keep files out of the run', async () => {
  const root = raceWorkspace();
  const result = await analyzePaths(['.'], { config: { ...config, exclude: ['race.py'] }, root, workers: 0 });
  assert.equal(result.files, 1);
  assert.deepEqual(raceIds(result), []);
});

void test('unanalyzable files get one notice each and the rest of the run proceeds', async () => {
  const root = raceWorkspace({ 'blob.py': Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1]), 'huge.py': 'x = 1\n'.repeat(400) });
  const result = await analyzePaths(['.'], { config: { ...config, maxFileBytes: 1000 }, root, workers: 2 });
  assert.deepEqual(
    result.notices.map((n) => [path.basename(n.file), /binary|size limit/.exec(n.message)?.[0]]),
    [['blob.py', 'binary'], ['huge.py', 'size limit']],
  );
  assert.equal(result.files, 4);
  assert.deepEqual(raceIds(result), ['PY-RACE-001']);
});

void test('progress is reported once per file', async () => {
  const root = raceWorkspace();
  const calls: [number, number][] = [];
  await analyzePaths(['.'], { config, root, workers: 2, onProgress: (done, total) => calls.push([done, total]) });
  assert.deepEqual(calls, [[1, 2], [2, 2]]);
});

void test('an aborted signal rejects with AbortError before and during the run', async () => {
  const root = raceWorkspace();
  await assert.rejects(analyzePaths(['.'], { config, root, signal: AbortSignal.abort() }), { name: 'AbortError' });

  const slowRoot = tempWorkspace({ 'slow.py': 'x = 1\n' });
  const controller = new AbortController();
  const slowWorker = { file: path.resolve('test/fixtures/engine/fake-worker.mjs'), execArgv: [] };
  const run = analyzePaths(['.'], { config, root: slowRoot, workers: 1, signal: controller.signal, workerScript: slowWorker });
  setTimeout(() => controller.abort(), 100);
  const started = performance.now();
  await assert.rejects(run, { name: 'AbortError' });
  assert.ok(performance.now() - started < 1500, 'stopped without waiting for the slow file');
});

void test('a path that does not exist rejects clearly', async () => {
  await assert.rejects(analyzePaths(['missing-dir'], { config, root: tempWorkspace(), workers: 0 }), /path not found: missing-dir/);
});

void test('TypeScript/JavaScript files go to their analyzer; its suppression comments apply', async () => {
  const lostUpdate = 'let hits = 0;\nexport async function hit() {\n  hits += await weight();\n}\n';
  const suppressed = lostUpdate.replace('  hits +=', '  // conclens-ignore-next-line JS-ASYNC-001\n  hits +=');
  const root = tempWorkspace({ 'web/hit.ts': lostUpdate, 'web/quiet.mjs': suppressed, 'node_modules/dep/index.js': lostUpdate });
  for (const workers of [0, 1]) {
    const result = await analyzePaths(['.'], { config, root, workers });
    assert.equal(result.files, 2, 'node_modules is skipped');
    assert.deepEqual(
      result.findings.map((f) => [path.relative(root, f.file), f.ruleId, f.range.start.line]),
      [[path.join('web', 'hit.ts'), 'JS-ASYNC-001', 2]],
    );
  }
});
