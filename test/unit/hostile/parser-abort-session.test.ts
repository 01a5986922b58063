import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { threadUnusable } from '../../../src/analyzers/analyzer-signals';
import { AnalysisSession } from '../../../src/analyzers/session';
import { RACE_FIXTURE } from '../engine/helpers';
import { hostileCases } from './tally';
import { hostileWorkspace } from './workspace';

// As in parser-abort.test.ts, in a process of its own: the abort must happen on the thread
// that runs the session (the extension host's), which no other case here has touched.
process.env.CONCLENS_PARSER_MEMORY_MB = '32';

const hostile = hostileCases('parser abort, editor session');
const race = readFileSync(RACE_FIXTURE, 'utf8');
const ABORTING = 'a;'.repeat(100_000);
const config = { rules: {}, exclude: [] };

hostile('editor session: after an abort on the extension host thread, files go to a worker', async () => {
  const root = hostileWorkspace();
  const session = new AnalysisSession({ config, root });
  try {
    await session.update([{ path: path.join(root, 'a_abort.py'), text: ABORTING }]);
    assert.ok(threadUnusable(), 'the abort happened on this thread');
    await session.update([0, 1].map((i) => ({ path: path.join(root, `racy_${i}.py`), text: race })));
    const result = session.results();
    assert.deepEqual(result.notices.map((n) => [path.basename(n.file), n.message]), [['a_abort.py', 'not analyzed: the Python parser (tree-sitter) aborted on this file']]);
    assert.equal(new Set(result.findings.filter((f) => f.ruleId === 'PY-RACE-001').map((f) => f.file)).size, 2);
    assert.equal(result.notAnalyzed, 1);
  } finally {
    session.dispose();
  }
});
