import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { threadUnusable } from '../../../src/analyzers/analyzer-signals';
import { analyzePaths } from '../../../src/analyzers/engine';
import { RACE_FIXTURE } from '../engine/helpers';
import { hostileCases } from './tally';
import { hostileWorkspace } from './workspace';

// The parser's memory no larger than its initial 32 MB: the first file that needs more makes
// tree-sitter's malloc fail and the WebAssembly module abort for real, as a 2 GB file would at
// the full limit. Read when a thread creates its parser: this thread's and every worker's.
process.env.CONCLENS_PARSER_MEMORY_MB = '32';

const hostile = hostileCases('parser abort, CLI engine');
const race = readFileSync(RACE_FIXTURE, 'utf8');
const ABORTING = 'a;'.repeat(100_000);
const ABORTED = 'not analyzed: the Python parser (tree-sitter) aborted on this file';
const config = { rules: {}, exclude: [] };

function workspace(): string {
  const files: Record<string, string> = { 'a_abort.py': ABORTING, 'z_script.ts': 'let n = 0;\nexport async function bump() { n = n + await step(); }\n' };
  for (let i = 0; i < 4; i++) files[`racy_${i}.py`] = race;
  return hostileWorkspace(files);
}

const racyFiles = (findings: { ruleId: string; file: string }[]) =>
  new Set(findings.filter((f) => f.ruleId === 'PY-RACE-001').map((f) => path.basename(f.file)));

// In-process first: an abort makes this thread's parser unusable for the rest of the process.
for (const workers of [0, 2]) {
  hostile(`a parser abort costs its file only, the rest is analyzed (workers: ${workers})`, async () => {
    const result = await analyzePaths(['.'], { config, root: workspace(), workers });
    if (workers === 0) assert.ok(threadUnusable(), 'the abort happened on this thread, the other files went to a worker');
    assert.deepEqual(result.notices.map((n) => [path.basename(n.file), n.message]), [['a_abort.py', ABORTED]]);
    assert.equal(racyFiles(result.findings).size, 4, JSON.stringify(result.findings.map((f) => f.file)));
    assert.ok(result.findings.some((f) => f.ruleId === 'JS-ASYNC-001'), 'the TypeScript file too');
    assert.equal(result.notAnalyzed, 1);
  });
}
