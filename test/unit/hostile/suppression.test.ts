import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { analyzePaths } from '../../../src/analyzers/engine';
import { RACE_FIXTURE, RACE_LINE } from '../engine/helpers';
import { hostileCases } from './tally';
import { hostileWorkspace } from './workspace';

const hostile = hostileCases('suppression comments');
const raceLines = readFileSync(RACE_FIXTURE, 'utf8').split('\n');
const config = { rules: {}, exclude: [] };

/** The racy fixture with `comment` at the end of the racy line (`hits += 1`). */
const trailing = (comment: string) => raceLines.map((line, i) => (i === RACE_LINE ? `${line}  ${comment}` : line)).join('\n');
/** The racy fixture with `line` inserted above the racy line. */
const above = (line: string) => [...raceLines.slice(0, RACE_LINE), `        ${line}`, ...raceLines.slice(RACE_LINE)].join('\n');

async function run(files: Record<string, string>) {
  const result = await analyzePaths(['.'], { config, root: hostileWorkspace(files), workers: 0 });
  return {
    flagged: result.findings.filter((f) => f.ruleId === 'PY-RACE-001' || f.ruleId === 'JS-ASYNC-001').map((f) => path.basename(f.file)).sort(),
    notices: result.notices.map((n) => [path.basename(n.file), n.message]),
  };
}

// Each of these silenced every rule on the line before: none is a documented form.
const NOT_A_SUPPRESSION = [
  '# conclens: ignore [PY-RACE-001]',
  '# conclens: ignore(PY-RACE-001)',
  '# conclens: ignore: PY-RACE-001',
  '# conclens: ignore=PY-RACE-001',
  '# conclens: ignore[PY-RACE-001',
  '# conclens: ignored',
  '# conclens: ignore everything',
  '# conclens: ignore[]',
  '# conclens: ignore[PY-RACE-001 PY-DL-001]',
];

hostile(`${NOT_A_SUPPRESSION.length} malformed Python suppressions suppress nothing and each get a notice`, async () => {
  const files = Object.fromEntries(NOT_A_SUPPRESSION.map((comment, i) => [`m${i}.py`, trailing(comment)]));
  const { flagged, notices } = await run(files);
  assert.deepEqual(flagged, Object.keys(files).sort());
  assert.equal(notices.length, NOT_A_SUPPRESSION.length);
  for (const [file, message] of notices) {
    assert.match(message, new RegExp(`^line ${RACE_LINE + 1}: suppression comment ".*" is not one of the forms`), file);
  }
});

hostile('the documented Python forms still suppress: bare, with ids, on the line above, with a reason after another #', async () => {
  const { flagged, notices } = await run({
    'bare.py': trailing('# conclens: ignore'),
    'ids.py': trailing('# conclens: ignore[PY-DL-001, PY-RACE-001]'),
    'above.py': above('# conclens: ignore[PY-RACE-001]'),
    'reason.py': trailing('# conclens: ignore[PY-RACE-001]  # reviewed: counter is advisory'),
    'other.py': trailing('# conclens: ignore[PY-RACE-002]'),
  });
  assert.deepEqual(flagged, ['other.py']);
  assert.deepEqual(notices, []);
});

hostile('a suppression inside a string literal is not a comment', async () => {
  const { flagged } = await run({
    'string.py': raceLines.map((line, i) => (i === RACE_LINE ? `${line}; note = "# conclens: ignore"` : line)).join('\n'),
    'docstring.py': above('"""# conclens: ignore[PY-RACE-001]"""'),
  });
  assert.deepEqual(flagged, ['docstring.py', 'string.py']);
});

hostile('unknown and other-language rule ids get a notice; the known ids of the list still apply', async () => {
  const { flagged, notices } = await run({
    'unknown.py': trailing('# conclens: ignore[PY-RACE-999]'),
    'mixed.py': trailing('# conclens: ignore[PY-RACE-999, PY-RACE-001]'),
    'script.py': trailing('# conclens: ignore[JS-ASYNC-001]'),
  });
  assert.deepEqual(flagged, ['script.py', 'unknown.py']);
  assert.deepEqual(notices, [
    ['mixed.py', `line ${RACE_LINE + 1}: unknown rule id PY-RACE-999 in a suppression comment, ignored`],
    ['script.py', `line ${RACE_LINE + 1}: JS-ASYNC-001 is not a Python rule; the suppression comment ignores it`],
    ['unknown.py', `line ${RACE_LINE + 1}: unknown rule id PY-RACE-999 in a suppression comment, ignored`],
  ]);
});

const LOST_UPDATE = ['let n = 0;', 'export async function bump() {', '  n = n + await step();', '}', ''];
const script = (lineAbove: string, trailingText = '') =>
  [LOST_UPDATE[0], LOST_UPDATE[1], ...(lineAbove ? [`  ${lineAbove}`] : []), `${LOST_UPDATE[2]}${trailingText}`, LOST_UPDATE[3], ''].join('\n');

hostile('TS/JS: only // comments in the documented forms suppress; strings, templates and block comments do not', async () => {
  const { flagged, notices } = await run({
    'next.ts': script('// conclens-ignore-next-line JS-ASYNC-001'),
    'line.ts': script('', ' // conclens-ignore-line'),
    'ids.ts': script('// conclens-ignore-next-line JS-ASYNC-002, JS-ASYNC-001'),
    'string.ts': script('const s = "// conclens-ignore-next-line";'),
    'template.ts': script('', ' const t = `${n} // conclens-ignore-line`;'),
    'block.ts': script('/* conclens-ignore-next-line */'),
    'colon.ts': script('// conclens-ignore-next-line: JS-ASYNC-001'),
    'typo.ts': script('// conclens-ignore JS-ASYNC-001'),
  });
  assert.deepEqual(flagged, ['block.ts', 'colon.ts', 'string.ts', 'template.ts', 'typo.ts']);
  assert.deepEqual(notices.map(([file]) => file), ['block.ts', 'colon.ts', 'typo.ts']);
});
