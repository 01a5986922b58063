import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { RULES, ruleHelpUri } from '../../../src/analyzers/rules';
import { typescriptAnalyzer } from '../../../src/analyzers/typescript/index';
import type { Finding } from '../../../src/shared/findings';

// Diagnostics and SARIF link to README.md#<rule id>: every rule needs that anchor.
const readme = readFileSync(path.resolve(__dirname, '../../../README.md'), 'utf8');
const rulesSection = readme.slice(readme.indexOf('\n## Rules\n'));

void test('the README has a "## Rules" section', () => {
  assert.ok(readme.includes('\n## Rules\n'));
});

void test('every rule of the catalogue has the anchor its help link points to', () => {
  const missing = RULES.filter((rule) => {
    const fragment = new URL(ruleHelpUri(rule.id)).hash.slice(1);
    return !rulesSection.includes(`<a id="${fragment}"></a>`);
  });
  assert.deepEqual(missing.map((rule) => rule.id), []);
});

void test('every Python rule has a subsection titled as in the catalogue, with examples and its suppression', () => {
  const problems = RULES.filter((rule) => rule.language === 'python').flatMap((rule) => {
    const anchor = `<a id="${rule.id.toLowerCase()}"></a>\n### ${rule.id} — ${rule.title}\n`;
    const start = rulesSection.indexOf(anchor);
    if (start < 0) return [`${rule.id}: no "${anchor.trim()}"`];
    const nextRule = rulesSection.indexOf('<a id=', start + anchor.length);
    const body = rulesSection.slice(start, nextRule < 0 ? undefined : nextRule);
    const codeBlocks = body.split('```python').length - 1;
    return [
      codeBlocks >= 2 ? '' : `${rule.id}: needs a flagged and a fixed example`,
      body.includes('# flagged') ? '' : `${rule.id}: the flagged example marks its line with "# flagged"`,
      body.includes('**Not flagged**') ? '' : `${rule.id}: says what it does not flag`,
      body.includes(`# conclens: ignore[${rule.id}]`) ? '' : `${rule.id}: shows its suppression comment`,
    ].filter(Boolean);
  });
  assert.deepEqual(problems, []);
});

/** The body of a rule's subsection, from its anchor to the next anchor. */
function sectionOf(ruleId: string): string | undefined {
  const start = rulesSection.indexOf(`<a id="${ruleId.toLowerCase()}"></a>\n`);
  if (start < 0) return undefined;
  const nextRule = rulesSection.indexOf('<a id=', start + 1);
  return rulesSection.slice(start, nextRule < 0 ? undefined : nextRule);
}

const jsRules = RULES.filter((rule) => rule.language === 'javascript');
const codeBlocks = (body: string) => [...body.matchAll(/```js\n([^]*?)```/g)].map((match) => match[1]);

void test('every TypeScript/JavaScript rule has a subsection titled as in the catalogue, with examples and its suppression', () => {
  const problems = jsRules.flatMap((rule) => {
    const heading = `<a id="${rule.id.toLowerCase()}"></a>\n### ${rule.id} — ${rule.title}\n`;
    const body = sectionOf(rule.id);
    if (!body?.startsWith(heading)) return [`${rule.id}: no "${heading.trim()}"`];
    return [
      codeBlocks(body).length === 2 ? '' : `${rule.id}: needs a flagged and a fixed example (two js blocks)`,
      codeBlocks(body)[0]?.includes('// flagged') ? '' : `${rule.id}: the flagged example marks its line with "// flagged"`,
      body.includes('**Finds**') && body.includes('**Why it is a bug**') ? '' : `${rule.id}: says what it finds and why that is a bug`,
      body.includes('**Not flagged**') ? '' : `${rule.id}: says what it does not flag`,
      body.includes(`// conclens-ignore-next-line ${rule.id}`) ? '' : `${rule.id}: shows its suppression comment`,
    ].filter(Boolean);
  });
  assert.deepEqual(problems, []);
});

void test('the README examples of the JS rules are what the analyzer says: flagged on the marked line, fixed clean', async () => {
  const reported = (f: Finding) => f.severity === 'warning' || f.severity === 'error';
  const analyzeSnippet = async (name: string, code: string) =>
    typescriptAnalyzer.check([await typescriptAnalyzer.summarize({ path: `/readme/${name}.mjs`, text: code })]).filter(reported);
  const problems: string[] = [];
  for (const rule of jsRules) {
    const [flagged, fixed] = codeBlocks(sectionOf(rule.id) ?? '');
    if (flagged === undefined || fixed === undefined) {
      problems.push(`${rule.id}: missing examples`);
      continue;
    }
    const markedLine = flagged.split('\n').findIndex((line) => line.includes('// flagged'));
    const found = await analyzeSnippet(`${rule.id}-flagged`, flagged);
    const describe = (fs: Finding[]) => JSON.stringify(fs.map((f) => `${f.ruleId}@${f.range.start.line + 1}`));
    if (!found.some((f) => f.ruleId === rule.id && f.range.start.line === markedLine)) {
      problems.push(`${rule.id}: flagged example should report it on line ${markedLine + 1}, got ${describe(found)}`);
    }
    const afterFix = await analyzeSnippet(`${rule.id}-fixed`, fixed);
    if (afterFix.length > 0) problems.push(`${rule.id}: fixed example should be clean, got ${describe(afterFix)}`);
  }
  assert.deepEqual(problems, []);
});
