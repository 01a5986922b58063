import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { RULES, ruleHelpUri } from '../../../src/analyzers/rules';

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
