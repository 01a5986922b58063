import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Finding } from '../../../src/shared/findings';
import {
  findSuppressions,
  isSuppressed,
  suppressionCommentFor,
  suppressionInsertion,
} from '../../../src/analyzers/suppression';

function findingAt(line: number, ruleId = 'PY-RACE-001'): Finding {
  const range = { start: { line, character: 4 }, end: { line, character: 12 } };
  return { ruleId, severity: 'warning', message: 'm', file: '/p/a.py', range, related: [], fixes: [] };
}

async function scan(language: 'python' | 'javascript', text: string) {
  return findSuppressions(language, { path: language === 'python' ? '/p/a.py' : '/p/a.ts', text });
}

async function suppressed(language: 'python' | 'javascript', text: string, line: number, ruleId?: string): Promise<boolean> {
  return isSuppressed(findingAt(line, ruleId), (await scan(language, text)).suppressions);
}

void test('python: ignore[id] on the finding line suppresses that rule', async () => {
  const text = 'x = 1\nhits += 1  # conclens: ignore[PY-RACE-001]\n';
  assert.equal(await suppressed('python', text, 1), true);
  assert.equal(await suppressed('python', text, 1, 'PY-DL-001'), false, 'another rule is not suppressed');
  assert.equal(await suppressed('python', text, 0), false, 'the line above is not affected');
});

void test('python: a comment-only line suppresses the line below it', async () => {
  const text = '    # conclens: ignore[PY-RACE-001]\n    hits += 1\n    more += 1\n';
  assert.equal(await suppressed('python', text, 1), true);
  assert.equal(await suppressed('python', text, 2), false, 'only the next line');
});

void test('python: a trailing comment does not reach the next line', async () => {
  const text = 'a += 1  # conclens: ignore[PY-RACE-001]\nb += 1\n';
  assert.equal(await suppressed('python', text, 1), false);
});

void test('python: comma-separated ids suppress each of them', async () => {
  const text = 'hits += 1  # conclens: ignore[PY-RACE-001, PY-DL-003]\n';
  assert.equal(await suppressed('python', text, 0, 'PY-RACE-001'), true);
  assert.equal(await suppressed('python', text, 0, 'PY-DL-003'), true);
  assert.equal(await suppressed('python', text, 0, 'PY-DL-001'), false);
});

void test('python: bare ignore suppresses every rule on that line', async () => {
  const text = 'hits += 1  # conclens: ignore\n';
  assert.equal(await suppressed('python', text, 0, 'PY-RACE-001'), true);
  assert.equal(await suppressed('python', text, 0, 'PY-DL-004'), true);
});

void test('python: a wrong or empty id list suppresses nothing', async () => {
  assert.equal(await suppressed('python', 'hits += 1  # conclens: ignore[PY-RACE-002]\n', 0), false);
  assert.equal(await suppressed('python', 'hits += 1  # conclens: ignore[]\n', 0), false);
  assert.equal(await suppressed('python', 'hits += 1  # conclens: ignore[typo]\n', 0), false);
});

void test('python: CRLF line breaks keep line numbers', async () => {
  const text = 'x = 1\r\n# conclens: ignore[PY-RACE-001]\r\nhits += 1\r\n';
  assert.equal(await suppressed('python', text, 2), true);
});

void test('js: ignore-next-line with an id suppresses that rule on the next line only', async () => {
  const text = '// conclens-ignore-next-line JS-ASYNC-002\nif (!cache) cache = await load();\nx();\n';
  assert.equal(await suppressed('javascript', text, 1, 'JS-ASYNC-002'), true);
  assert.equal(await suppressed('javascript', text, 1, 'JS-ASYNC-001'), false);
  assert.equal(await suppressed('javascript', text, 0, 'JS-ASYNC-002'), false);
  assert.equal(await suppressed('javascript', text, 2, 'JS-ASYNC-002'), false);
});

void test('js: ignore-line without ids suppresses every rule on its own line', async () => {
  const text = 'count = count + (await f()); // conclens-ignore-line\nnext();\n';
  assert.equal(await suppressed('javascript', text, 0, 'JS-ASYNC-001'), true);
  assert.equal(await suppressed('javascript', text, 1, 'JS-ASYNC-001'), false);
});

void test('js: ignore-line with ids suppresses only those ids', async () => {
  const text = 'count += await f(); // conclens-ignore-line JS-ASYNC-001, JS-ASYNC-004\n';
  assert.equal(await suppressed('javascript', text, 0, 'JS-ASYNC-004'), true);
  assert.equal(await suppressed('javascript', text, 0, 'JS-ASYNC-002'), false);
});

void test('the python comment form does not work in javascript and vice versa', async () => {
  assert.equal(await suppressed('javascript', 'x++ # conclens: ignore\n', 0, 'JS-ASYNC-001'), false);
  assert.equal(await suppressed('python', 'x += 1  // conclens-ignore-line\n', 0), false);
});

void test('suppressionCommentFor gives text that findSuppressions honours on the line below', async () => {
  for (const [language, ruleId] of [['python', 'PY-DL-001'], ['javascript', 'JS-LOCK-001']] as const) {
    const comment = suppressionCommentFor(language, ruleId);
    assert.equal(comment.lineAbove, true);
    const text = `${comment.text}\nstatement\n`;
    assert.equal(await suppressed(language, text, 1, ruleId), true, `${language}: ${comment.text}`);
  }
});

void test('suppressionInsertion indents like the target line and keeps CRLF', async () => {
  const text = 'def f():\r\n    hits += 1\r\n';
  const insertion = suppressionInsertion('python', 'PY-RACE-001', text, 1);
  assert.deepEqual(insertion, { line: 1, character: 0, newText: '    # conclens: ignore[PY-RACE-001]\r\n' });
  const edited = text.replace('    hits', `${insertion.newText}    hits`);
  assert.equal(await suppressed('python', edited, 2), true);
});

void test('other conclens directives are not suppression attempts: no note', async () => {
  const result = await scan('python', '# conclens: lock-order Account._lock by id\nx = 1\n');
  assert.deepEqual(result, { suppressions: [], notes: [] });
});

void test('comment characters in strings, without the marker, give nothing', async () => {
  assert.deepEqual(await scan('javascript', 'const x = "//" + `#`;\n'), { suppressions: [], notes: [] });
});
