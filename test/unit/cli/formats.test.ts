import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toJsonReport } from '../../../src/cli/format-json';
import { formatNotices, formatText } from '../../../src/cli/format-text';
import { CWD, sampleResult } from './sample-result';

const stats = { durationMs: 41.6 };

void test('text: one line per finding, one-based, relative paths, related indented, summary', () => {
  const lines = formatText(sampleResult, stats, CWD, { quiet: false }).split('\n');
  assert.deepEqual(lines, [
    'src/counter.py:5:5: warning PY-RACE-001 `hits += 1` in worker() is an unsynchronised read-modify-write; worker() runs on two threads',
    '    src/counter.py:9:1: thread 1 started here',
    '    src/main file.py:10:1: thread 2 started here',
    'src/counter.py:13:9: error PY-DL-001 lock order inversion between a and b',
    '/elsewhere/outside.py:1:1: information PY-DL-005 wait outside a loop',
    '3 findings (1 warning, 1 error, 1 information), 2 notices in 4 files (120 lines, 42 ms); 1 not analyzed (see the notices).',
    '',
  ]);
});

void test('text --quiet: findings only', () => {
  const text = formatText(sampleResult, stats, CWD, { quiet: true });
  assert.equal(text.trimEnd().split('\n').length, 5);
  assert.doesNotMatch(text, /findings \(/);
});

void test('text: a clean run says so', () => {
  const text = formatText({ findings: [], notices: [], files: 1, lines: 1, notAnalyzed: 0 }, stats, CWD, { quiet: false });
  assert.equal(text, 'No findings in 1 file (1 line, 42 ms).\n');
});

void test('notices: `file: notice: message`, run-wide ones under the tool name', () => {
  assert.equal(
    formatNotices(sampleResult, CWD),
    'data/blob.py: notice: skipped: binary content (NUL bytes), not a source file\nconclens: notice: the python cross-file check failed\n',
  );
});

void test('json: the documented version 1 shape', () => {
  const report = toJsonReport(sampleResult, stats, CWD);
  assert.deepEqual(Object.keys(report), ['version', 'tool', 'findings', 'notices', 'stats']);
  assert.equal(report.version, 1);
  assert.equal(report.tool.name, 'conclens');
  assert.match(report.tool.version, /^\d+\.\d+\.\d+/);
  assert.deepEqual(report.stats, { files: 4, lines: 120, notAnalyzed: 1, durationMs: 42 });
  assert.deepEqual(report.findings[0], {
    ruleId: 'PY-RACE-001',
    severity: 'warning',
    message: sampleResult.findings[0].message,
    file: 'src/counter.py',
    range: { start: { line: 5, column: 5 }, end: { line: 5, column: 14 } },
    related: [
      { file: 'src/counter.py', range: { start: { line: 9, column: 1 }, end: { line: 9, column: 41 } }, message: 'thread 1 started here' },
      { file: 'src/main file.py', range: { start: { line: 10, column: 1 }, end: { line: 10, column: 41 } }, message: 'thread 2 started here' },
    ],
    fixes: [
      {
        title: 'Guard the update with a lock',
        edits: [
          { file: 'src/counter.py', range: { start: { line: 5, column: 5 }, end: { line: 5, column: 14 } }, newText: 'with hits_lock:\n        hits += 1' },
          { file: 'src/counter.py', range: { start: { line: 1, column: 1 }, end: { line: 1, column: 1 } }, newText: 'hits_lock = threading.Lock()\n' },
        ],
      },
    ],
    helpUri: 'https://github.com/conclens/concurrency-lens/blob/main/README.md#py-race-001',
  });
  assert.deepEqual(report.notices, [
    { file: 'data/blob.py', message: 'skipped: binary content (NUL bytes), not a source file' },
    { file: '', message: 'the python cross-file check failed' },
  ]);
  assert.doesNotThrow(() => JSON.parse(JSON.stringify(report)));
});
