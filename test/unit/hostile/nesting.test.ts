import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { analyzePaths } from '../../../src/analyzers/engine';
import { summarizeSource } from '../../../src/analyzers/file-outcome';
import { MAX_SCOPE_NESTING } from '../../../src/analyzers/python/parser';
import { RACE_FIXTURE, RACE_LINE } from '../engine/helpers';
import { hostileCases } from './tally';
import { hostileWorkspace } from './workspace';

const hostile = hostileCases('nesting');
const race = readFileSync(RACE_FIXTURE, 'utf8');
const lambdas = (depth: number) => `x = ${'lambda: '.repeat(depth)}1\n`;
const LOST_UPDATE = 'let n = 0;\nexport async function bump() { n = n + await step(); }\n';

async function pythonSummary(text: string) {
  const outcome = await summarizeSource({ path: '/work/deep.py', text });
  assert.equal(outcome.kind, 'summary', JSON.stringify(outcome));
  return outcome.kind === 'summary' ? { size: JSON.stringify(outcome.summary).length, notes: outcome.notes } : { size: 0, notes: [] };
}

hostile('50,000 nested lambdas (400 KB): analyzed to the depth limit with a notice, the race below still found', async () => {
  const root = hostileWorkspace({ 'deep.py': lambdas(50_000) + race });
  const result = await analyzePaths(['.'], { config: { rules: {}, exclude: [] }, root, workers: 0 });
  assert.deepEqual(result.notices.map((n) => [path.basename(n.file), n.message]), [
    ['deep.py', `functions, lambdas and classes nested deeper than ${MAX_SCOPE_NESTING} levels at line 1: analyzed to depth ${MAX_SCOPE_NESTING}`],
  ]);
  const [finding] = result.findings.filter((f) => f.ruleId === 'PY-RACE-001');
  assert.equal(finding?.range.start.line, RACE_LINE + 1);
  assert.equal(result.notAnalyzed, 0, 'analyzed, in part: not a lost file');
});

hostile('memory stays linear: twice the nesting, at most twice the summary', async () => {
  // Before the limit every lambda was named after all the lambdas around it: 4x the size for 2x the depth.
  const shallow = await pythonSummary(lambdas(1_000));
  const deep = await pythonSummary(lambdas(2_000));
  assert.ok(deep.size <= shallow.size * 2.1, `summary of 2,000 nested lambdas: ${deep.size} bytes, of 1,000: ${shallow.size}`);
  const many = await pythonSummary(lambdas(40).repeat(200));
  const twice = await pythonSummary(lambdas(40).repeat(400));
  assert.ok(twice.size <= many.size * 2.1, `400 chains: ${twice.size} bytes, 200 chains: ${many.size}`);
});

hostile('nesting as deep as real code gets (20 nested functions) is analyzed without a note', async () => {
  const text = Array.from({ length: 20 }, (_, depth) => `${'    '.repeat(depth)}def f${depth}():`).join('\n') + `\n${'    '.repeat(20)}return 1\n`;
  assert.deepEqual((await pythonSummary(text)).notes, []);
});

hostile('TS/JS: 50,000 nested arrow functions and parentheses cost a notice each, not the run', async () => {
  const root = hostileWorkspace({
    'arrows.ts': `export const f = ${'() => '.repeat(50_000)}1;\n${LOST_UPDATE}`,
    'parens.js': `export const x = ${'('.repeat(50_000)}1${')'.repeat(50_000)};\n${LOST_UPDATE}`,
    'ok.ts': LOST_UPDATE,
  });
  const result = await analyzePaths(['.'], { config: { rules: {}, exclude: [] }, root, workers: 0 });
  assert.deepEqual(
    result.notices.map((n) => [path.basename(n.file), /nested too deeply/.test(n.message)]),
    [['arrows.ts', true], ['parens.js', true]],
  );
  assert.deepEqual(result.findings.map((f) => [path.basename(f.file), f.ruleId]), [['ok.ts', 'JS-ASYNC-001']]);
  assert.equal(result.notAnalyzed, 2);
});
