import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it, test } from 'node:test';
import { promisify } from 'node:util';
import type { LanguageAnalyzer } from '../../../src/analyzers/language';
import { pythonAnalyzer } from '../../../src/analyzers/python/index';
import { RULES, findRule } from '../../../src/analyzers/rules';
import { typescriptAnalyzer } from '../../../src/analyzers/typescript/index';
import type { Finding } from '../../../src/shared/findings';
import {
  exampleLanguage,
  expectationsIn,
  fileRole,
  fixedCounterpart,
  listExampleFiles,
  scenarioOf,
  type Expectation,
} from '../../../scripts/example-expectations.mjs';

const REPO_ROOT = path.resolve(__dirname, '../../..');
const EXAMPLES_DIR = path.join(REPO_ROOT, 'examples');
const PROGRAM_TIMEOUT_MS = 30_000;

const files = listExampleFiles(EXAMPLES_DIR);
const expectations: Expectation[] = files.flatMap((file) => expectationsIn(file, readFileSync(file, 'utf8')));

let findingsOnce: Promise<Finding[]> | undefined;

/** Summarize every example file of one language, then check them together, as one analysis run would. */
async function analyzeLanguage<S>(analyzer: LanguageAnalyzer<S>): Promise<Finding[]> {
  const summaries: S[] = [];
  for (const file of files.filter((f) => exampleLanguage(f) === analyzer.language)) {
    summaries.push(await analyzer.summarize({ path: file, text: readFileSync(file, 'utf8') }));
  }
  return analyzer.check(summaries);
}

function analyzeExamples(): Promise<Finding[]> {
  findingsOnce ??= (async () => [
    ...(await analyzeLanguage(pythonAnalyzer)),
    ...(await analyzeLanguage(typescriptAnalyzer)),
  ])();
  return findingsOnce;
}

const isReported = (finding: Finding) => finding.severity === 'error' || finding.severity === 'warning';
const relative = (file: string) => path.relative(REPO_ROOT, file);
const describeFinding = (f: Finding) => `${relative(f.file)}:${f.range.start.line + 1} ${f.ruleId} (${f.severity}) ${f.message}`;
const describeExpectation = (e: Expectation) => `${relative(e.file)}:${e.line + 1} ${e.ruleId}`;
const matches = (f: Finding, e: Expectation) => f.file === e.file && f.ruleId === e.ruleId && f.range.start.line === e.line;

for (const language of ['python', 'javascript'] as const) {
  void test(`the examples cover every ${language} rule with a buggy file and a fixed counterpart`, () => {
    const ofLanguage = files.filter((file) => exampleLanguage(file) === language);
    const languageExpectations = expectations.filter((e) => exampleLanguage(e.file) === language);
    const rules = RULES.filter((rule) => rule.language === language).map((rule) => rule.id);
    const expected = new Set(languageExpectations.map((e) => e.ruleId));
    assert.deepEqual(rules.filter((id) => !expected.has(id)), [], 'rules without a buggy example');
    assert.deepEqual(
      languageExpectations.filter((e) => findRule(e.ruleId)?.language !== language).map(describeExpectation),
      [],
      `markers naming no ${language} rule of the catalogue`,
    );
    const withoutFix = ofLanguage.filter((file) => fileRole(file) === 'buggy' && !files.includes(fixedCounterpart(file)));
    assert.deepEqual(withoutFix.map(relative), [], 'buggy files without a fixed counterpart');
    const unmarked = ofLanguage.filter((file) => fileRole(file) === 'buggy' && !languageExpectations.some((e) => e.file === file));
    assert.deepEqual(unmarked.map(relative), [], 'buggy files that expect nothing');
  });
}

void test('the TypeScript/JavaScript examples include the scenarios of the brief, one in TypeScript', () => {
  const scenarios = new Set(files.filter((f) => exampleLanguage(f) === 'javascript').map((f) => scenarioOf(EXAMPLES_DIR, f)));
  for (const scenario of ['cache_stampede', 'request_handler', 'sab_counter', 'lock_order', 'db_client', 'catalogue']) {
    assert.ok(scenarios.has(`typescript/${scenario}`), `examples/typescript/${scenario}/`);
  }
});

void test('every "expect:" marker gets exactly that finding on that line, at the rule level', async () => {
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

void test('type-aware mode (examples/typescript/jsconfig.json) reports exactly the JS markers too', () => {
  const jsFiles = files.filter((file) => exampleLanguage(file) === 'javascript');
  const sources = jsFiles.map((file) => ({ path: file, text: readFileSync(file, 'utf8') }));
  const configPath = path.join(EXAMPLES_DIR, 'typescript', 'jsconfig.json');
  const reported = typescriptAnalyzer.checkProject(sources, configPath).filter(isReported);
  const jsExpectations = expectations.filter((e) => exampleLanguage(e.file) === 'javascript');
  const key = (file: string, line: number, ruleId: string) => `${relative(file)}:${line + 1} ${ruleId}`;
  assert.deepEqual(
    reported.map((f) => key(f.file, f.range.start.line, f.ruleId)).sort(),
    jsExpectations.map((e) => key(e.file, e.line, e.ruleId)).sort(),
  );
});

const TYPESCRIPT_SOURCE = /\.[cm]?tsx?$/;

/** How an example program is started: Python with python3, JavaScript with node, TypeScript through the repository's tsx. */
function commandFor(program: string): [string, string[]] {
  if (exampleLanguage(program) === 'python') return ['python3', [program]];
  return [process.execPath, TYPESCRIPT_SOURCE.test(program) ? ['--import', 'tsx', program] : [program]];
}

void describe('every example program runs to completion (python3, node, node with tsx)', { concurrency: 2 }, () => {
  const run = promisify(execFile);
  for (const program of files.filter((file) => fileRole(file) !== 'support')) {
    void it(relative(program), async () => {
      // execFile rejects on a non-zero exit or when the timeout kills the program.
      // No bytecode caches: running the tests must leave the example workspace as it was.
      const env = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };
      const [command, args] = commandFor(program);
      const { stdout } = await run(command, args, { cwd: REPO_ROOT, env, timeout: PROGRAM_TIMEOUT_MS });
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
      ['buggy.py', 'py_dl_002_buggy.py', 'fixed.py', 'py_dl_002_fixed.py', 'local_server.py', 'buggy.mjs', 'js_lock_002_fixed.ts', 'mutex.mjs'].map(fileRole),
      ['buggy', 'buggy', 'fixed', 'fixed', 'support', 'buggy', 'fixed', 'support'],
    );
  });

  void it('reads "// expect:" markers in TypeScript and JavaScript files', () => {
    const text = 'let n = 0;\nn = n + await f(); // expect: JS-ASYNC-001, JS-ASYNC-005\n';
    assert.deepEqual(expectationsIn('/w/buggy.mjs', text), [
      { file: '/w/buggy.mjs', line: 1, ruleId: 'JS-ASYNC-001' },
      { file: '/w/buggy.mjs', line: 1, ruleId: 'JS-ASYNC-005' },
    ]);
    assert.throws(() => expectationsIn('/w/buggy.ts', 'x++; // expect: lost update\n'), /buggy\.ts:1: malformed marker, write "\/\/ expect:/);
    assert.throws(() => expectationsIn('/w/fixed.js', 'x++; // expect: JS-SAB-001\n'), /only buggy files may carry "\/\/ expect:"/);
  });

  void it('ignores the other language\'s marker comment and rejects files of no example language', () => {
    assert.deepEqual(expectationsIn('/w/buggy.mjs', "const s = '# expect: PY-RACE-001';\n"), []);
    assert.throws(() => expectationsIn('/w/notes.txt', ''), /notes\.txt: not an example source file/);
  });

  void it('pairs a buggy file with its fixed counterpart and groups TypeScript scenarios by their folder', () => {
    assert.equal(fixedCounterpart('/w/js_lock_002_buggy.mjs'), '/w/js_lock_002_fixed.mjs');
    assert.equal(fixedCounterpart('/w/buggy.py'), '/w/fixed.py');
    assert.equal(scenarioOf('/w', '/w/typescript/cache_stampede/buggy.mjs'), 'typescript/cache_stampede');
    assert.equal(scenarioOf('/w', '/w/typescript/mutex.mjs'), 'typescript');
    assert.equal(scenarioOf('/w', '/w/downloader/buggy.py'), 'downloader');
  });
});
