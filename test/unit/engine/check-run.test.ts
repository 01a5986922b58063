import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkRun } from '../../../src/analyzers/check-run';
import { summarizeSource, type FileOutcome } from '../../../src/analyzers/file-outcome';
import type { LanguageAnalyzer } from '../../../src/analyzers/language';
import { findSuppressions } from '../../../src/analyzers/suppression';
import type { Finding } from '../../../src/shared/findings';

/** Reports PY-RACE-001 on every line containing `+= 1`, in whichever file it saw. */
const plusEqualsAnalyzer: LanguageAnalyzer<{ path: string; lines: number[] }> = {
  language: 'python',
  extensions: ['.py'],
  async summarize(file) {
    return { path: file.path, lines: file.text.split('\n').flatMap((text, line) => (text.includes('+= 1') ? [line] : [])) };
  },
  check(summaries) {
    return summaries.flatMap(({ path, lines }) =>
      lines.map(
        (line): Finding => ({
          ruleId: 'PY-RACE-001',
          severity: 'warning',
          message: 'lost update',
          file: path,
          range: { start: { line, character: 0 }, end: { line, character: 6 } },
          related: [],
          fixes: [],
        }),
      ),
    );
  },
};

async function outcome(path: string, text: string): Promise<FileOutcome> {
  return summarizeSource({ path, text }, plusEqualsAnalyzer as LanguageAnalyzer);
}

void test('findings from every file are sorted by file and line, counts include notices', async () => {
  const outcomes = [
    await outcome('/p/b.py', 'x += 1\n'),
    await outcome('/p/a.py', 'y = 0\ny += 1\nx += 1\n'),
    { kind: 'notice', path: '/p/c.py', message: 'skipped', lines: 0 } as const,
  ];
  const result = checkRun(outcomes, { rules: {}, exclude: [] }, [plusEqualsAnalyzer as LanguageAnalyzer]);
  assert.deepEqual(result.findings.map((f) => `${f.file}:${f.range.start.line}`), ['/p/a.py:1', '/p/a.py:2', '/p/b.py:0']);
  assert.deepEqual(result.notices, [{ file: '/p/c.py', message: 'skipped' }]);
  assert.equal(result.files, 3);
  assert.equal(result.lines, 4);
});

void test('rule settings and suppression comments are applied to the checked findings', async () => {
  const text = 'a += 1  # conclens: ignore[PY-RACE-001]\nb += 1\n';
  const outcomes = [await outcome('/p/a.py', text)];
  assert.ok(outcomes[0].kind === 'summary' && outcomes[0].suppressions.length === 1);
  assert.deepEqual(outcomes[0].kind === 'summary' ? outcomes[0].suppressions : [], (await findSuppressions('python', { path: '/p/a.py', text })).suppressions);
  const analyzers = [plusEqualsAnalyzer as LanguageAnalyzer];
  const plain = checkRun(outcomes, { rules: {}, exclude: [] }, analyzers);
  assert.deepEqual(plain.findings.map((f) => f.range.start.line), [1]);
  const severe = checkRun(outcomes, { rules: { 'PY-RACE-001': 'error' }, exclude: [] }, analyzers);
  assert.equal(severe.findings[0].severity, 'error');
  assert.deepEqual(checkRun(outcomes, { rules: { 'PY-RACE-001': 'off' }, exclude: [] }, analyzers).findings, []);
});

void test('an analyzer that throws in summarize costs that file one notice', async () => {
  const exploding: LanguageAnalyzer = { ...plusEqualsAnalyzer, summarize: () => Promise.reject(new TypeError('node.child is undefined')) } as LanguageAnalyzer;
  const result = await summarizeSource({ path: '/p/x.py', text: 'a\nb\n' }, exploding);
  assert.deepEqual(result, {
    kind: 'notice',
    path: '/p/x.py',
    message: 'not analyzed: the python analyzer failed (node.child is undefined)',
    lines: 2,
  });
});

void test('a stack overflow in an analyzer reads as too-deep nesting', async () => {
  const recurse = (n: number): number => recurse(n + 1) + 1;
  const deep: LanguageAnalyzer = { ...plusEqualsAnalyzer, summarize: async () => recurse(0) } as LanguageAnalyzer;
  const result = await summarizeSource({ path: '/p/deep.py', text: '((((1))))' }, deep);
  assert.ok(result.kind === 'notice');
  assert.equal(result.message, 'not analyzed: the python analyzer failed (nesting too deep to analyze)');
});

void test('a cross-file check that throws becomes a run-wide notice, other languages still report', async () => {
  const brokenCheck = { ...plusEqualsAnalyzer, check: () => { throw new Error('graph exploded'); } } as LanguageAnalyzer;
  const jsAnalyzer = { ...plusEqualsAnalyzer, language: 'javascript', extensions: ['.js'] } as LanguageAnalyzer;
  const outcomes: FileOutcome[] = [
    await outcome('/p/a.py', 'x += 1\n'),
    { ...(await summarizeSource({ path: '/p/a.js', text: 'x += 1\n' }, jsAnalyzer)) },
  ];
  const result = checkRun(outcomes, { rules: {}, exclude: [] }, [brokenCheck, jsAnalyzer]);
  assert.deepEqual(result.findings.map((f) => f.file), ['/p/a.js']);
  assert.deepEqual(result.notices, [{ file: '', message: 'the python cross-file check failed, the findings of its 1 file are missing (graph exploded)' }]);
  assert.equal(result.notAnalyzed, 1, 'a file whose findings are missing was not analyzed');
});
