// Precision on real code nobody here wrote: analyzes a pinned set of real packages (Debian's
// python3-* packages; npm packages at exact versions) with the built CLI and compares every
// warning and error with a committed triage file. Prints precision TP/(TP+FP), the true
// positives and every finding not yet triaged; exits 1 when one is untriaged. Not part of
// `npm test` (it installs packages and takes minutes).
//
//   npm run eval:real                       both languages
//   npm run eval:real -- --lang python      one of them (python, js)
//   npm run eval:real -- --add-untriaged    also append untriaged findings to the triage file
//                                           with verdict "?" (still counted as untriaged)
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { pythonPackageRoots } from './eval-real/debian.mjs';
import { npmPackageRoots } from './eval-real/npm.mjs';
import { matchTriage, readTriage, summarize, untriagedEntry } from './eval-real/triage.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const evalDir = path.join(repoRoot, 'eval', 'real');

const LANGUAGES = {
  python: { label: 'Python (Debian packages)', dir: path.join(evalDir, 'python'), roots: pythonPackageRoots },
  js: { label: 'TS/JS (npm packages)', dir: path.join(evalDir, 'npm'), roots: npmPackageRoots },
};

const { values } = parseArgs({
  options: {
    lang: { type: 'string' },
    'add-untriaged': { type: 'boolean', default: false },
  },
});
const chosen = values.lang ? [values.lang] : Object.keys(LANGUAGES);
for (const lang of chosen) {
  if (!Object.hasOwn(LANGUAGES, lang)) {
    console.error(`eval:real: --lang must be one of ${Object.keys(LANGUAGES).join(', ')}; got "${lang}"`);
    process.exit(2);
  }
}

const cli = path.join(repoRoot, 'dist', 'cli.js');
const build = spawnSync('npm', ['run', 'build'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
if (build.status !== 0) process.exit(build.status ?? 1);

/** Runs `conclens analyze --format json` on the roots; file names come back relative to `base`. */
function analyze(roots, base) {
  const started = Date.now();
  const run = spawnSync(process.execPath, [cli, 'analyze', '--format', 'json', ...roots], {
    cwd: base,
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
  });
  if (run.status !== 0 && run.status !== 1) {
    throw new Error(`conclens analyze exited ${run.status ?? run.signal}: ${run.stderr.trim().split('\n')[0]}`);
  }
  const report = JSON.parse(run.stdout);
  return { report, seconds: (Date.now() - started) / 1000 };
}

function sourceLine(base, file, line) {
  try {
    return readFileSync(path.join(base, file), 'utf8').split(/\r\n|\r|\n/)[line - 1]?.trim() ?? '';
  } catch {
    return '';
  }
}

let failed = false;
for (const lang of chosen) {
  const spec = LANGUAGES[lang];
  const { base, roots, description } = spec.roots(spec.dir);
  const { report, seconds } = analyze(roots, base);
  const gated = report.findings.filter((f) => f.severity === 'warning' || f.severity === 'error');
  const triageFile = path.join(spec.dir, 'triage.json');
  const triage = readTriage(triageFile);
  const findings = gated.map((f) => ({
    file: f.file,
    line: f.range.start.line,
    rule: f.ruleId,
    code: sourceLine(base, f.file, f.range.start.line),
    message: f.message,
  }));
  const matched = matchTriage(findings, triage.entries);
  const result = summarize(matched);

  console.log(`\n== ${spec.label}: ${description}`);
  console.log(`   ${report.stats.files} files, ${report.stats.lines} lines in ${seconds.toFixed(1)} s; ` +
    `${report.findings.length} findings, ${gated.length} at warning/error`);
  for (const { finding, entry } of matched.filter((m) => m.entry?.verdict === 'TP')) {
    console.log(`   TP  ${finding.file}:${finding.line} ${finding.rule}  ${entry.why}`);
  }
  for (const { finding, entry } of matched.filter((m) => m.entry?.verdict === 'FP')) {
    console.log(`   FP  ${finding.file}:${finding.line} ${finding.rule}  ${entry.why}`);
  }
  const untriaged = matched.filter((m) => !m.entry || m.entry.verdict === '?');
  for (const { finding } of untriaged) {
    console.log(`   ??  ${finding.file}:${finding.line} ${finding.rule}  ${finding.code}\n       ${finding.message}`);
  }
  console.log(`   precision ${result.precision === null ? 'n/a' : result.precision.toFixed(3)} ` +
    `(TP ${result.tp}, FP ${result.fp}, debatable ${result.debatable}, untriaged ${result.untriaged}); ` +
    `triage entries no longer reported: ${triage.entries.length - matched.filter((m) => m.entry).length}`);
  if (values['add-untriaged'] && untriaged.some((m) => !m.entry)) {
    const added = untriaged.filter((m) => !m.entry).map((m) => untriagedEntry(m.finding));
    writeFileSync(triageFile, `${JSON.stringify({ ...triage, entries: [...triage.entries, ...added] }, null, 2)}\n`);
    console.log(`   appended ${added.length} entries with verdict "?" to ${path.relative(repoRoot, triageFile)}`);
  }
  if (result.untriaged > 0) failed = true;
}
process.exit(failed ? 1 : 0);

