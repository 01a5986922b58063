import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it, test } from 'node:test';
import { promisify } from 'node:util';
import { pythonAnalyzer } from '../../../src/analyzers/python/index';
import { RULES, findRule } from '../../../src/analyzers/rules';
import type { Finding } from '../../../src/shared/findings';
import {
  expectationsIn,
  fileRole,
  listPythonFiles,
  type Expectation,
} from '../../../scripts/example-expectations.mjs';

const REPO_ROOT = path.resolve(__dirname, '../../..');
const EXAMPLES_DIR = path.join(REPO_ROOT, 'examples');
const PROGRAM_TIMEOUT_MS = 30_000;

const files = listPythonFiles(EXAMPLES_DIR);
const expectations: Expectation[] = files.flatMap((file) => expectationsIn(file, readFileSync(file, 'utf8')));

let findingsOnce: Promise<Finding[]> | undefined;

/** Summarize every example file, then check them together, as one analysis run would. */
function analyzeExamples(): Promise<Finding[]> {
  findingsOnce ??= (async () => {
    const summaries = [];
    for (const file of files) summaries.push(await pythonAnalyzer.summarize({ path: file, text: readFileSync(file, 'utf8') }));
    return pythonAnalyzer.check(summaries);
  })();
  return findingsOnce;
}

const isReported = (finding: Finding) => finding.severity === 'error' || finding.severity === 'warning';
const relative = (file: string) => path.relative(REPO_ROOT, file);
const describeFinding = (f: Finding) => `${relative(f.file)}:${f.range.start.line + 1} ${f.ruleId} (${f.severity}) ${f.message}`;
const describeExpectation = (e: Expectation) => `${relative(e.file)}:${e.line + 1} ${e.ruleId}`;
const matches = (f: Finding, e: Expectation) => f.file === e.file && f.ruleId === e.ruleId && f.range.start.line === e.line;

void test('the examples cover every Python rule with a buggy file and a fixed counterpart', () => {
  const pythonRules = RULES.filter((rule) => rule.language === 'python').map((rule) => rule.id);
  const expected = new Set(expectations.map((e) => e.ruleId));
  assert.deepEqual(pythonRules.filter((id) => !expected.has(id)), [], 'rules without a buggy example');
  assert.deepEqual(
    expectations.filter((e) => findRule(e.ruleId)?.language !== 'python').map(describeExpectation),
    [],
    'markers naming no Python rule of the catalogue',
  );
  const counterpart = (file: string) => file.replace(/(^|[_/\\])buggy\.py$/, '$1fixed.py');
  const withoutFix = files.filter((file) => fileRole(file) === 'buggy' && !files.includes(counterpart(file)));
  assert.deepEqual(withoutFix.map(relative), [], 'buggy files without a fixed counterpart');
  const unmarked = files.filter((file) => fileRole(file) === 'buggy' && !expectations.some((e) => e.file === file));
  assert.deepEqual(unmarked.map(relative), [], 'buggy files that expect nothing');
});

void test('every "# expect:" marker gets exactly that finding on that line, at the rule level', async () => {
  const findings = await analyzeExamples();
  const problems = expectations.flatMap((expectation) => {
    const hits = findings.filter((f) => matches(f, expectation));
    if (hits.length !== 1) {
      const near = findings.filter((f) => f.file === expectation.file).map(describeFinding);
      return [`${describeExpectation(expectation)}: ${hits.length} matching findings; findings in this file: ${JSON.stringify(near)}`];
    }
    const level = findRule(expectation.ruleId)?.defaultSeverity;
    return hits[0].severity === level ? [] : [`${describeFinding(hits[0])}: expected level ${level}`];
  });
  assert.deepEqual(problems, []);
});

void test('fixed examples and support modules get no warning or error', async () => {
  const findings = await analyzeExamples();
  const unexpected = findings.filter((f) => isReported(f) && fileRole(f.file) !== 'buggy');
  assert.deepEqual(unexpected.map(describeFinding), []);
});

void test('buggy examples get no warning or error beyond their markers', async () => {
  const findings = await analyzeExamples();
  const unexpected = findings.filter(
    (f) => isReported(f) && fileRole(f.file) === 'buggy' && !expectations.some((e) => matches(f, e)),
  );
  assert.deepEqual(unexpected.map(describeFinding), []);
});

void describe('every example program runs to completion with python3', { concurrency: 2 }, () => {
  const run = promisify(execFile);
  for (const program of files.filter((file) => fileRole(file) !== 'support')) {
    void it(relative(program), async () => {
      // execFile rejects on a non-zero exit or when the timeout kills the program.
      // No bytecode caches: running the tests must leave the example workspace as it was.
      const env = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };
      const { stdout } = await run('python3', [program], { cwd: REPO_ROOT, env, timeout: PROGRAM_TIMEOUT_MS });
      assert.notEqual(stdout.trim(), '', 'the program should print what happened');
    });
  }
});

void describe('example markers', () => {
  void it('reads several comma-separated ids on one line, with zero-based lines', () => {
    const text = 'x = 1\nhits += 1  # expect: PY-RACE-001, PY-RACE-006\n';
    assert.deepEqual(expectationsIn('/w/buggy.py', text), [
      { file: '/w/buggy.py', line: 1, ruleId: 'PY-RACE-001' },
      { file: '/w/buggy.py', line: 1, ruleId: 'PY-RACE-006' },
    ]);
  });

  void it('rejects a malformed marker with its location', () => {
    assert.throws(() => expectationsIn('/w/buggy.py', 'a\nb += 1  # expect: race\n'), /buggy\.py:2: malformed marker/);
  });

  void it('rejects markers outside buggy files', () => {
    assert.throws(() => expectationsIn('/w/x_fixed.py', 'b += 1  # expect: PY-RACE-001\n'), /only buggy files/);
  });

  void it('tells buggy, fixed and support files apart by name', () => {
    assert.deepEqual(
      ['buggy.py', 'py_dl_002_buggy.py', 'fixed.py', 'py_dl_002_fixed.py', 'local_server.py'].map(fileRole),
      ['buggy', 'buggy', 'fixed', 'fixed', 'support'],
    );
  });
});
