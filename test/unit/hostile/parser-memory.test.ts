import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { analyzePaths } from '../../../src/analyzers/engine';
import { RACE_FIXTURE } from '../engine/helpers';
import { hostileCases } from './tally';
import { hostileWorkspace } from './workspace';

const hostile = hostileCases('parser memory');
const race = readFileSync(RACE_FIXTURE, 'utf8');

// Under the 10 MB size limit, yet tree-sitter needs more than its 2 GB of memory for it: before
// the memory budget, malloc aborted the WebAssembly module and every later file on that worker
// was lost, and the run still exited 0.
const ABORTING = 'a;'.repeat(Math.floor((9.9 * 1024 * 1024) / 2));

hostile('two 9.9 MB files of `a;a;…` on two workers cost two notices; all 10 racy files are analyzed', async () => {
  const files: Record<string, string> = { 'a_first.py': ABORTING, 'b_second.py': ABORTING };
  for (let i = 0; i < 10; i++) files[`racy_${i}.py`] = race;
  const root = hostileWorkspace(files);
  const result = await analyzePaths(['.'], { config: { rules: {}, exclude: [] }, root, workers: 2 });
  const racy = new Set(result.findings.filter((f) => f.ruleId === 'PY-RACE-001').map((f) => path.basename(f.file)));
  assert.equal(racy.size, 10, `racy files analyzed: ${[...racy].join(', ')}`);
  assert.deepEqual(
    result.notices.map((n) => [path.basename(n.file), n.message]),
    [
      ['a_first.py', 'not analyzed: parsing it needs more than 1024 MB of parser memory'],
      ['b_second.py', 'not analyzed: parsing it needs more than 1024 MB of parser memory'],
    ],
  );
  assert.equal(result.notAnalyzed, 2, 'the run says it is incomplete');
});
