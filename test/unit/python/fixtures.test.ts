import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { pythonAnalyzer } from '../../../src/analyzers/python/index';
import { assertMessageShape } from '../message-shape';

const FIXTURES = path.join(__dirname, '../../fixtures/python');

/** Runs one fixture file and compares warnings/errors with its `# expect: RULE` markers. */
async function check(name: string): Promise<void> {
  const file = path.join(FIXTURES, name);
  const text = readFileSync(file, 'utf8');
  const expected = text
    .split('\n')
    .flatMap((line, i) => [...line.matchAll(/# expect: ([A-Z]+-[A-Z]+-\d+)/g)].map((m) => `${i + 1} ${m[1]}`));
  const summary = await pythonAnalyzer.summarize({ path: file, text });
  const actual = pythonAnalyzer
    .check([summary])
    .filter((f) => f.severity === 'warning' || f.severity === 'error')
    .map((f) => `${f.range.start.line + 1} ${f.ruleId}`);
  assert.deepEqual(actual, expected);
}

void it('reports every marked race in tricky_races.py and nothing else', () => check('tricky_races.py'));
void it('reports nothing in tricky_safe.py', () => check('tricky_safe.py'));

void it('words every finding on the examples and fixtures in the one message shape', async () => {
  const examples = path.join(__dirname, '../../../examples');
  const files = [
    ...readdirSync(FIXTURES).map((f) => path.join(FIXTURES, f)),
    ...readdirSync(examples, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.py')).map((f) => path.join(examples, f)),
  ];
  const summaries = [];
  for (const file of files) summaries.push(await pythonAnalyzer.summarize({ path: file, text: readFileSync(file, 'utf8') }));
  const findings = pythonAnalyzer.check(summaries);
  assert.ok(findings.length >= 20, `${findings.length} findings`);
  for (const finding of findings) assertMessageShape(finding);
});
