import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { promisify } from 'node:util';
import { CLEAN_FIXTURE, copyFixture, RACE_FIXTURE, RACE_LINE, tempWorkspace } from '../engine/helpers';
import { buildCli } from './build-cli';
import { assertValidSarif } from './sarif-schema';

const run = promisify(execFile);
let cli: string;

before(async () => {
  cli = await buildCli();
});

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

async function conclens(args: string[], cwd: string, env: Record<string, string> = {}): Promise<CliRun> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { cwd, env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

function workspace(withRace: boolean, files: Record<string, string> = {}): string {
  const root = tempWorkspace(files);
  copyFixture(CLEAN_FIXTURE, root, 'src/clean.py');
  if (withRace) copyFixture(RACE_FIXTURE, root, 'src/race.py');
  return root;
}

void test('exit 0 and a clean summary without findings', async () => {
  const result = await conclens(['analyze'], workspace(false));
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^No findings in 1 file \(\d+ lines, \d+ ms\)\.\n$/);
  assert.equal(result.stderr, '');
});

void test('exit 1 with findings: text lines are file:line:col: severity RULE-ID message', async () => {
  const root = workspace(true);
  const result = await conclens(['analyze', 'src'], root);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stdout, new RegExp(`^src/race\\.py:${RACE_LINE + 1}:\\d+: warning PY-RACE-001 .+`, 'm'));
  assert.match(result.stdout, /finding.* in 2 files/);
});

void test('--format json writes the documented shape, --output writes a file', async () => {
  const root = workspace(true);
  const result = await conclens(['analyze', '--format', 'json', '--output', 'report.json'], root);
  assert.equal(result.code, 1, result.stderr);
  assert.equal(result.stdout, '', 'nothing on stdout when --output is given');
  const report = JSON.parse(readFileSync(path.join(root, 'report.json'), 'utf8'));
  assert.equal(report.version, 1);
  assert.equal(report.stats.files, 2);
  const race = report.findings.find((f: { ruleId: string }) => f.ruleId === 'PY-RACE-001');
  assert.equal(race.file, 'src/race.py');
  assert.equal(race.range.start.line, RACE_LINE + 1);
});

void test('--format sarif prints a SARIF log that validates against the schema', async () => {
  const result = await conclens(['analyze', '--format', 'sarif'], workspace(true));
  assert.equal(result.code, 1, result.stderr);
  const log = JSON.parse(result.stdout);
  assertValidSarif(log);
  assert.equal(log.version, '2.1.0');
  assert.ok(log.runs[0].results.some((r: { ruleId: string }) => r.ruleId === 'PY-RACE-001'));
});

void test('the nearest conclens.json applies, with a notice for an unknown rule id', async () => {
  const root = workspace(true, { 'conclens.json': JSON.stringify({ rules: { 'PY-RACE-001': 'off', 'PY-NOPE-001': 'off' } }) });
  const result = await conclens(['analyze'], path.join(root, 'src'));
  assert.equal(result.code, 0, result.stdout);
  assert.match(result.stderr, /conclens\.json: notice: unknown rule id "PY-NOPE-001"/);
});

void test('--config names the file; exclude globs are relative to its directory', async () => {
  const root = workspace(true, { 'lens.json': JSON.stringify({ exclude: ['src/race.py'] }), 'cfg/lens.json': JSON.stringify({ exclude: ['src/race.py'] }) });
  const excluded = await conclens(['analyze', '--config', 'lens.json'], root);
  assert.equal(excluded.code, 0, excluded.stdout);
  assert.match(excluded.stdout, /No findings in 1 file/);
  const elsewhere = await conclens(['analyze', '--config', 'cfg/lens.json'], root);
  assert.equal(elsewhere.code, 1, 'cfg/src/race.py does not exist, so src/race.py is analyzed');
});

void test('exit 2: malformed config, with a clear one-line message', async () => {
  const root = workspace(true, { '.conclensrc.json': '{ "rules": ' });
  const result = await conclens(['analyze'], root);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /^conclens: .*\.conclensrc\.json: not valid JSON/);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
});

void test('exit 2: usage errors point at --help', async () => {
  const root = workspace(false);
  for (const args of [['analyze', '--format', 'xml'], ['analyze', '--bogus'], ['analyse'], ['analyze', '--workers', 'many']]) {
    const result = await conclens(args, root);
    assert.equal(result.code, 2, args.join(' '));
    assert.match(result.stderr, /Run "conclens --help" for usage\./, args.join(' '));
  }
});

void test('exit 2: a path that does not exist, an unwritable --output', async () => {
  const root = workspace(false);
  const missing = await conclens(['analyze', 'nowhere'], root);
  assert.equal(missing.code, 2);
  assert.equal(missing.stderr, 'conclens: path not found: nowhere\n');
  const unwritable = await conclens(['analyze', '--output', 'no/such/dir/out.txt'], root);
  assert.equal(unwritable.code, 2);
  assert.match(unwritable.stderr, /cannot write no\/such\/dir\/out\.txt \(ENOENT\)/);
});

void test('--help and --version exit 0', async () => {
  const root = workspace(false);
  const help = await conclens(['--help'], root);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /analyze/);
  const analyzeHelp = await conclens(['analyze', '--help'], root);
  assert.match(analyzeHelp.stdout, /--format text\|json\|sarif/);
  const version = await conclens(['--version'], root);
  assert.equal(version.stdout.trim(), JSON.parse(readFileSync('package.json', 'utf8')).version);
});

void test('notices go to stderr and the run goes on; --quiet silences them', async () => {
  const root = workspace(true);
  writeFileSync(path.join(root, 'src', 'blob.py'), Uint8Array.from([0, 1, 2, 3]));
  const loud = await conclens(['analyze', '--workers', '1'], root);
  assert.equal(loud.code, 1);
  assert.equal(loud.stderr, 'src/blob.py: notice: skipped: binary content (NUL bytes), not a source file\n');
  const quiet = await conclens(['analyze', '--quiet'], root);
  assert.equal(quiet.stderr, '');
  assert.doesNotMatch(quiet.stdout, /in 3 files/);
  assert.match(quiet.stdout, /PY-RACE-001/);
});

void test('exit 2: an internal error is one line with a debug hint; CONCLENS_DEBUG=1 shows the stack', async () => {
  // A CLI bundle copied away from its worker bundle cannot start analyzer threads.
  const lonely = tempWorkspace({ 'cli.js': readFileSync(cli, 'utf8') });
  const root = workspace(true);
  const brief = await run(process.execPath, [path.join(lonely, 'cli.js'), 'analyze', '--workers', '1'], { cwd: root }).catch((e) => e);
  assert.equal(brief.code, 2);
  assert.match(brief.stderr, /^conclens: internal error: analyzer worker not found .* \(rerun with CONCLENS_DEBUG=1 for details\)\n$/);
  const debug = await run(process.execPath, [path.join(lonely, 'cli.js'), 'analyze', '--workers', '1'], {
    cwd: root,
    env: { ...process.env, CONCLENS_DEBUG: '1' },
  }).catch((e) => e);
  assert.equal(debug.code, 2);
  assert.match(debug.stderr, /\n\s+at /, 'stack trace shown on request');
});

void test('SARIF of the examples workspace (every rule family, related locations) validates', async () => {
  const result = await conclens(['analyze', 'examples', '--format', 'sarif'], process.cwd());
  assert.equal(result.code, 1, result.stderr);
  const log = JSON.parse(result.stdout);
  assertValidSarif(log);
  const results = log.runs[0].results as { ruleId: string; relatedLocations: unknown[] }[];
  assert.ok(results.length >= 10, `${results.length} results`);
  assert.ok(results.some((r) => r.relatedLocations.length > 0));
});
