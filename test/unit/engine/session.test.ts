import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { AnalysisSession } from '../../../src/analyzers/session';
import { CLEAN_FIXTURE, RACE_FIXTURE, RACE_LINE } from './helpers';

const root = path.resolve('/work/project');
const racePath = path.join(root, 'app', 'counter.py');
const raceText = readFileSync(RACE_FIXTURE, 'utf8');
const cleanText = readFileSync(CLEAN_FIXTURE, 'utf8');
const config = { rules: {}, exclude: [] };
const raceFindings = (session: AnalysisSession) => session.results().findings.filter((f) => f.ruleId === 'PY-RACE-001');

void test('update, edit, remove: results follow the cached buffers', async () => {
  const session = new AnalysisSession({ config, root });
  try {
    await session.update([{ path: racePath, text: raceText }]);
    const [race] = raceFindings(session);
    assert.equal(race?.file, racePath);
    assert.equal(race.range.start.line, RACE_LINE);
    assert.equal(session.results().files, 1);

    await session.update([{ path: racePath, text: cleanText }]);
    assert.deepEqual(raceFindings(session), [], 'fixed buffer replaces the cached summary');

    await session.update([{ path: racePath, text: raceText }]);
    session.remove(racePath);
    assert.equal(session.results().files, 0);
  } finally {
    session.dispose();
  }
});

void test('setConfig re-applies rule settings and exclude without re-summarizing', async () => {
  const session = new AnalysisSession({ config, root });
  try {
    await session.update([{ path: racePath, text: raceText }]);
    session.setConfig({ rules: { 'PY-RACE-001': 'hint' }, exclude: [] });
    assert.equal(raceFindings(session)[0]?.severity, 'hint');
    session.setConfig({ rules: {}, exclude: ['app/**'] });
    assert.equal(session.results().files, 0);
    await session.update([{ path: racePath, text: raceText }]);
    assert.equal(session.results().files, 0, 'an excluded file is not taken in');
  } finally {
    session.dispose();
  }
});

void test('files of other types are ignored', async () => {
  const session = new AnalysisSession({ config, root });
  try {
    await session.update([{ path: path.join(root, 'notes.txt'), text: 'hits += 1' }]);
    assert.equal(session.results().files, 0);
  } finally {
    session.dispose();
  }
});

void test('a big file is summarized on a worker thread with the same result', async () => {
  const session = new AnalysisSession({ config, root, workerThresholdBytes: 100 });
  try {
    const started = performance.now();
    await session.update([{ path: racePath, text: raceText }]);
    console.log(`big-file update through a worker: ${(performance.now() - started).toFixed(0)} ms (includes worker start)`);
    assert.equal(raceFindings(session)[0]?.range.start.line, RACE_LINE);
  } finally {
    session.dispose();
  }
});

void test('only files over the threshold go to the worker', async () => {
  // The stand-in worker dies on files named "crash": a notice proves the worker was used.
  const workerScript = { file: path.resolve('test/fixtures/engine/fake-worker.mjs'), execArgv: [] };
  const session = new AnalysisSession({ config, root, workerThresholdBytes: 1000, workerScript });
  try {
    const crashPath = path.join(root, 'crash.py');
    await session.update([{ path: crashPath, text: 'x = 1\n' }]);
    assert.deepEqual(session.results().notices, [], 'small file analyzed in-process');
    await session.update([{ path: crashPath, text: 'x = 1\n'.repeat(500) }]);
    assert.match(session.results().notices[0]?.message ?? '', /worker crashed/);
  } finally {
    session.dispose();
  }
});

void test('an aborted update rejects with AbortError and leaves the cache as it was', async () => {
  const session = new AnalysisSession({ config, root });
  try {
    await session.update([{ path: racePath, text: raceText }]);
    await assert.rejects(session.update([{ path: racePath, text: cleanText }], AbortSignal.abort()), { name: 'AbortError' });
    assert.equal(raceFindings(session).length, 1);
  } finally {
    session.dispose();
  }
});

void test('files over maxFileBytes become a notice', async () => {
  const session = new AnalysisSession({ config: { ...config, maxFileBytes: 50 }, root });
  try {
    await session.update([{ path: racePath, text: raceText }]);
    assert.match(session.results().notices[0]?.message ?? '', /over the 50 bytes size limit/);
  } finally {
    session.dispose();
  }
});

void test('cancelling a big file stops its worker promptly; the next big file gets a fresh one', async () => {
  const workerScript = { file: path.resolve('test/fixtures/engine/fake-worker.mjs'), execArgv: [] };
  const session = new AnalysisSession({ config, root, workerThresholdBytes: 10, workerScript });
  try {
    const controller = new AbortController();
    const slow = session.update([{ path: path.join(root, 'slow.py'), text: 'x = 1\n'.repeat(100) }], controller.signal);
    setTimeout(() => controller.abort(), 100);
    const started = performance.now();
    await assert.rejects(slow, { name: 'AbortError' });
    assert.ok(performance.now() - started < 1500, 'did not wait for the slow file');
    assert.equal(session.results().files, 0, 'nothing cached from the cancelled update');
    await session.update([{ path: path.join(root, 'crash.py'), text: 'x = 1\n'.repeat(100) }]);
    assert.match(session.results().notices[0]?.message ?? '', /worker crashed/, 'a new worker took the next file');
  } finally {
    session.dispose();
  }
});

void test('results are computed once per change: the same object until an update, remove or setConfig', async () => {
  const session = new AnalysisSession({ config, root });
  try {
    await session.update([{ path: racePath, text: raceText }]);
    const first = session.results();
    assert.equal(session.results(), first, 'unchanged session: no second check');
    await session.update([{ path: path.join(root, 'notes.txt'), text: 'irrelevant' }]);
    assert.equal(session.results(), first, 'an ignored file changes nothing');
    await session.update([{ path: racePath, text: cleanText }]);
    const second = session.results();
    assert.notEqual(second, first);
    session.setConfig({ rules: { 'PY-RACE-001': 'off' }, exclude: [] });
    assert.notEqual(session.results(), second);
    const third = session.results();
    session.remove(path.join(root, 'never-added.py'));
    assert.equal(session.results(), third, 'removing an unknown file changes nothing');
    session.remove(racePath);
    assert.equal(session.results().files, 0);
  } finally {
    session.dispose();
  }
});

void test('an exclude glob minimatch refuses (from the editor settings) is a notice; the other globs still apply', async () => {
  const session = new AnalysisSession({ config: { rules: {}, exclude: ['a'.repeat(100_000), 'app/**'] }, root });
  try {
    await session.update([{ path: racePath, text: raceText }]);
    assert.equal(session.results().files, 0, 'app/** still excludes');
    assert.deepEqual(session.results().notices, [{ file: '', message: 'exclude[0] (a glob of 100000 characters): pattern is too long; the glob is ignored' }]);
  } finally {
    session.dispose();
  }
});
