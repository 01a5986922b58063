import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { pythonAnalyzer } from '../../../src/analyzers/python/index';

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
