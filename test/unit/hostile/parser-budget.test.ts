import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { threadUnusable } from '../../../src/analyzers/analyzer-signals';
import { analyzePaths } from '../../../src/analyzers/engine';
import { RACE_FIXTURE } from '../engine/helpers';
import { hostileCases } from './tally';
import { hostileWorkspace } from './workspace';

// A 64 MB parser memory puts the parse budget at 32 MB, so a file of 100,000 statements meets
// it as a 9.9 MB file meets the full 1 GB budget (parser-memory.test.ts), in a fraction of the time.
process.env.CONCLENS_PARSER_MEMORY_MB = '64';

const hostile = hostileCases('parser budget');
const race = readFileSync(RACE_FIXTURE, 'utf8');

hostile('in-process: a file over the parse budget gets a notice and the same parser goes on', async () => {
  const files: Record<string, string> = { 'a_dense.py': 'a;'.repeat(100_000) };
  for (let i = 0; i < 3; i++) files[`racy_${i}.py`] = race;
  const result = await analyzePaths(['.'], { config: { rules: {}, exclude: [] }, root: hostileWorkspace(files), workers: 0 });
  assert.deepEqual(
    result.notices.map((n) => [path.basename(n.file), n.message]),
    [['a_dense.py', 'not analyzed: parsing it needs more than 32 MB of parser memory']],
  );
  assert.equal(new Set(result.findings.filter((f) => f.ruleId === 'PY-RACE-001').map((f) => f.file)).size, 3);
  assert.equal(threadUnusable(), undefined, 'a cancelled parse leaves the parser usable: no abort, no fresh thread');
  assert.equal(result.notAnalyzed, 1);
});
