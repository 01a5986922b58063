import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { RULES } from '../../../src/analyzers/rules';
import { typescriptAnalyzer } from '../../../src/analyzers/typescript/index';
import { assertMessageShape } from '../message-shape';

function sourcesUnder(dir: string): { path: string; text: string }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourcesUnder(full);
    return /\.[cm]?[jt]s$/.test(entry.name) ? [{ path: full, text: readFileSync(full, 'utf8') }] : [];
  });
}

void test('every TypeScript/JavaScript finding has the one message shape (examples of every rule, the Node event fixtures)', async () => {
  const files = [...sourcesUnder(path.resolve('examples/typescript')), ...sourcesUnder(path.resolve('test/fixtures/typescript/node-events'))];
  const summaries = await Promise.all(files.map((file) => typescriptAnalyzer.summarize(file)));
  const findings = typescriptAnalyzer.check(summaries);
  const rulesSeen = new Set(findings.map((f) => f.ruleId));
  assert.deepEqual(RULES.filter((r) => r.language === 'javascript' && !rulesSeen.has(r.id)).map((r) => r.id), [], 'every JS rule is exercised');
  for (const finding of findings) assertMessageShape(finding);
});
