// The contract of the example workspace (examples/README.md), shared by the demo and the
// unit test: a buggy file marks each expected finding with a trailing marker comment on the
// line where the finding starts, `# expect: RULE-ID` in Python and `// expect: RULE-ID` in
// TypeScript/JavaScript (comma-separated for several); fixed files and support modules must
// produce no warning or error at all.
import { readdirSync } from 'node:fs';
import path from 'node:path';

const RULE_ID = '[A-Z]+-[A-Z]+-\\d{3}';
const RULE_IDS = `(${RULE_ID}(?:\\s*,\\s*${RULE_ID})*)`;

/** Each example language: its file extensions and the comment that carries a marker. */
const LANGUAGES = [
  { language: 'python', extensions: ['.py'], comment: '#' },
  { language: 'javascript', extensions: ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'], comment: '//' },
].map((spec) => ({
  ...spec,
  marker: new RegExp(`${spec.comment}\\s*expect:\\s*${RULE_IDS}\\s*$`),
  looseMarker: new RegExp(`${spec.comment}\\s*expect\\b`),
}));

// Folders that group the scenarios of one language (examples/typescript/cache_stampede/…).
const LANGUAGE_FOLDERS = new Set(['typescript']);
const SKIPPED_FOLDERS = new Set(['__pycache__', 'node_modules']);

function languageSpec(file) {
  const extension = path.extname(file);
  return LANGUAGES.find((spec) => spec.extensions.includes(extension));
}

/** The analyzer language of an example file (`python`, `javascript`), undefined for other files. */
export function exampleLanguage(file) {
  return languageSpec(file)?.language;
}

/** Every Python and TypeScript/JavaScript file under `dir`, sorted, skipping caches and node_modules. */
export function listExampleFiles(dir) {
  const found = [];
  const pending = [dir];
  while (pending.length > 0) {
    const current = pending.pop();
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory() && !SKIPPED_FOLDERS.has(entry.name)) pending.push(full);
      else if (entry.isFile() && languageSpec(full) && !entry.name.endsWith('.d.ts')) found.push(full);
    }
  }
  return found.sort();
}

/** `buggy` and `fixed` programs by their names (`buggy.py`, `js_lock_002_fixed.mjs`); anything else is `support`. */
export function fileRole(file) {
  const stem = path.basename(file, path.extname(file));
  if (stem === 'buggy' || stem.endsWith('_buggy')) return 'buggy';
  if (stem === 'fixed' || stem.endsWith('_fixed')) return 'fixed';
  return 'support';
}

/** The fixed program that answers a buggy one: same folder, same extension, `buggy` → `fixed`. */
export function fixedCounterpart(file) {
  const extension = path.extname(file);
  const stem = path.basename(file, extension);
  return path.join(path.dirname(file), `${stem.replace(/(^|_)buggy$/, '$1fixed')}${extension}`);
}

/**
 * The scenario a file belongs to: its first folder under `examplesDir`, or its first two when
 * the first is a language folder (`typescript/cache_stampede`).
 */
export function scenarioOf(examplesDir, file) {
  const parts = path.relative(examplesDir, file).split(path.sep);
  return LANGUAGE_FOLDERS.has(parts[0]) && parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts[0];
}

/**
 * The expected findings of one file: `{ file, line, ruleId }` with zero-based lines.
 * A malformed marker, or any marker outside a buggy file, is an error in the examples.
 */
export function expectationsIn(file, text) {
  const spec = languageSpec(file);
  if (!spec) throw new Error(`${file}: not an example source file (expected one of ${LANGUAGES.flatMap((l) => l.extensions).join(' ')})`);
  const expectations = [];
  text.split(/\r?\n/).forEach((lineText, line) => {
    if (!spec.looseMarker.test(lineText)) return;
    const match = spec.marker.exec(lineText);
    if (!match) throw new Error(`${file}:${line + 1}: malformed marker, write "${spec.comment} expect: RULE-ID[, RULE-ID]"`);
    if (fileRole(file) !== 'buggy') throw new Error(`${file}:${line + 1}: only buggy files may carry "${spec.comment} expect:" markers`);
    for (const ruleId of match[1].split(',')) expectations.push({ file, line, ruleId: ruleId.trim() });
  });
  return expectations;
}
