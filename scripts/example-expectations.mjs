// The contract of the example workspace (examples/README.md), shared by the demo and the
// unit test: a buggy file marks each expected finding with a trailing `# expect: RULE-ID`
// (comma-separated for several) on the line where the finding starts; fixed files and
// support modules must produce no warning or error at all.
import { readdirSync } from 'node:fs';
import path from 'node:path';

const RULE_ID = '[A-Z]+-[A-Z]+-\\d{3}';
const MARKER = new RegExp(`#\\s*expect:\\s*(${RULE_ID}(?:\\s*,\\s*${RULE_ID})*)\\s*$`);
const LOOSE_MARKER = /#\s*expect\b/;

/** Every .py file under `dir`, sorted, skipping bytecode caches. */
export function listPythonFiles(dir) {
  const found = [];
  const pending = [dir];
  while (pending.length > 0) {
    const current = pending.pop();
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory() && entry.name !== '__pycache__') pending.push(full);
      else if (entry.isFile() && entry.name.endsWith('.py')) found.push(full);
    }
  }
  return found.sort();
}

/** `buggy` and `fixed` programs by their names (`buggy.py`, `py_dl_002_fixed.py`); anything else is `support`. */
export function fileRole(file) {
  const stem = path.basename(file, '.py');
  if (stem === 'buggy' || stem.endsWith('_buggy')) return 'buggy';
  if (stem === 'fixed' || stem.endsWith('_fixed')) return 'fixed';
  return 'support';
}

/** The scenario a file belongs to: its first folder under `examplesDir`. */
export function scenarioOf(examplesDir, file) {
  return path.relative(examplesDir, file).split(path.sep)[0];
}

/**
 * The expected findings of one file: `{ file, line, ruleId }` with zero-based lines.
 * A malformed marker, or any marker outside a buggy file, is an error in the examples.
 */
export function expectationsIn(file, text) {
  const expectations = [];
  text.split(/\r?\n/).forEach((lineText, line) => {
    if (!LOOSE_MARKER.test(lineText)) return;
    const match = MARKER.exec(lineText);
    if (!match) throw new Error(`${file}:${line + 1}: malformed marker, write "# expect: RULE-ID[, RULE-ID]"`);
    if (fileRole(file) !== 'buggy') throw new Error(`${file}:${line + 1}: only buggy files may carry "# expect:" markers`);
    for (const ruleId of match[1].split(',')) expectations.push({ file, line, ruleId: ruleId.trim() });
  });
  return expectations;
}
