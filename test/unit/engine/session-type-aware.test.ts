import assert from 'node:assert/strict';
import { cpSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { AnalysisSession } from '../../../src/analyzers/session';
import type { SourceFile } from '../../../src/analyzers/language';
import { ALIASED_MUTEX_PROJECT, PLAIN_GUARD, RACE_FIXTURE, tempWorkspace } from './helpers';

const config = { rules: {}, exclude: [] };
const TYPED_PROJECT = path.resolve('test/fixtures/typescript/typed-project');
const SOURCES = ['src/counter.ts', 'src/store.ts', 'src/prompt.ts'];
const TYPE_ONLY_FINDINGS = ['src/counter.ts:3:JS-SAB-001', 'src/store.ts:10:JS-LOCK-004', 'src/store.ts:15:JS-LOCK-004'];
const SYNTAX_RACE = 'let hits = 0;\nexport async function count(load: () => Promise<number>) {\n  hits += await load();\n}\n';

function typedCopy(): string {
  const root = tempWorkspace();
  cpSync(TYPED_PROJECT, root, { recursive: true });
  return root;
}

const load = (root: string, relative: string): SourceFile => {
  const file = path.join(root, relative);
  return { path: file, text: readFileSync(file, 'utf8') };
};

const listed = (session: AnalysisSession, root: string): string[] =>
  session
    .results()
    .findings.map((f) => `${path.relative(root, f.file).split(path.sep).join('/')}:${f.range.start.line + 1}:${f.ruleId}`)
    .sort();

void test('the session finds type-only facts and follows unsaved edits through the kept project', async () => {
  const root = typedCopy();
  const session = new AnalysisSession({ config, root });
  try {
    await session.update(SOURCES.map((s) => load(root, s)));
    assert.deepEqual(listed(session, root), TYPE_ONLY_FINDINGS);

    const counter = load(root, 'src/counter.ts');
    const atomic = counter.text.replace('view[0]++;', 'Atomics.add(view, 0, 1);');
    assert.notEqual(atomic, counter.text);
    await session.update([{ path: counter.path, text: atomic }]);
    assert.deepEqual(listed(session, root), TYPE_ONLY_FINDINGS.slice(1), 'the editor text wins over the disk');

    // The type change in an unsaved buffer is what decides: a private buffer is not shared memory.
    const privateView = counter.text.replace('Int32Array<SharedArrayBuffer>', 'Int32Array<ArrayBuffer>');
    await session.update([{ path: counter.path, text: privateView }]);
    assert.deepEqual(listed(session, root), TYPE_ONLY_FINDINGS.slice(1));

    await session.update([counter]);
    assert.deepEqual(listed(session, root), TYPE_ONLY_FINDINGS);
    assert.deepEqual(session.results().notices, []);
  } finally {
    session.dispose();
  }
});

void test('files outside the tsconfig, and Python files, are analyzed in the same session', async () => {
  const root = typedCopy();
  writeFileSync(path.join(root, 'loose.ts'), SYNTAX_RACE);
  const session = new AnalysisSession({ config, root });
  try {
    await session.update([
      ...SOURCES.map((s) => load(root, s)),
      { path: path.join(root, 'loose.ts'), text: SYNTAX_RACE },
      { path: path.join(root, 'tools', 'race.py'), text: readFileSync(RACE_FIXTURE, 'utf8') },
      { path: path.join(root, 'view.ts'), text: 'export function f(v: Int32Array<SharedArrayBuffer>) {\n  v[0]++;\n}\n' },
    ]);
    const found = listed(session, root);
    assert.ok(found.includes('loose.ts:3:JS-ASYNC-001'), found.join('\n'));
    assert.ok(found.some((f) => /^tools\/race\.py:\d+:PY-RACE-001$/.test(f)), found.join('\n'));
    assert.ok(!found.some((f) => f.startsWith('view.ts')), 'not covered by the tsconfig: syntax-only, and syntax cannot see the view type');
    for (const expected of TYPE_ONLY_FINDINGS) assert.ok(found.includes(expected), expected);
  } finally {
    session.dispose();
  }
});

void test('a broken tsconfig gives a notice and syntax-only results until it is fixed', async () => {
  const root = typedCopy();
  const configPath = path.join(root, 'tsconfig.json');
  const good = readFileSync(configPath, 'utf8');
  writeFileSync(configPath, '{ "compilerOptions": ');
  const session = new AnalysisSession({ config, root });
  try {
    await session.update(SOURCES.map((s) => load(root, s)));
    assert.deepEqual(listed(session, root), []);
    const [notice] = session.results().notices;
    assert.equal(notice?.file, configPath);
    assert.match(notice.message, /type-aware analysis unavailable/);

    writeFileSync(configPath, good);
    const later = new Date(Date.now() + 5_000);
    utimesSync(configPath, later, later);
    await session.update(SOURCES.map((s) => load(root, s)));
    assert.deepEqual(listed(session, root), TYPE_ONLY_FINDINGS);
    assert.deepEqual(session.results().notices, []);
  } finally {
    session.dispose();
  }
});

void test('a removed file goes back to its text on disk for the files that import its types', async () => {
  const root = tempWorkspace(ALIASED_MUTEX_PROJECT);
  const store = { path: path.join(root, 'store.ts'), text: ALIASED_MUTEX_PROJECT['store.ts'] };
  const guard = path.join(root, 'guard.ts');
  const session = new AnalysisSession({ config, root });
  try {
    await session.update([store]);
    assert.deepEqual(listed(session, root), ['store.ts:7:JS-LOCK-004'], 'the lock is an async-mutex only behind the alias of another file');

    await session.update([{ path: guard, text: PLAIN_GUARD }]);
    await session.update([store]);
    assert.deepEqual(listed(session, root), [], 'the unsaved alias in the other buffer decides');

    session.remove(guard);
    await session.update([store]);
    assert.deepEqual(listed(session, root), ['store.ts:7:JS-LOCK-004']);
  } finally {
    session.dispose();
  }
});

void test('files big enough for a worker thread stay syntax-only in the editor', async () => {
  const root = typedCopy();
  // store.ts (494 bytes) is over the threshold, counter.ts (229 bytes) under it.
  const session = new AnalysisSession({ config, root, workerThresholdBytes: 300 });
  try {
    await session.update(SOURCES.map((s) => load(root, s)));
    assert.deepEqual(listed(session, root), ['src/counter.ts:3:JS-SAB-001']);
  } finally {
    session.dispose();
  }
});
