import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before } from 'node:test';
import { promisify } from 'node:util';
import { CLEAN_FIXTURE, RACE_FIXTURE } from '../engine/helpers';
import { buildCli } from '../cli/build-cli';
import { hostileCases } from './tally';
import { hostileWorkspace } from './workspace';

const hostile = hostileCases('command line');
const run = promisify(execFile);
const race = readFileSync(RACE_FIXTURE, 'utf8');
const clean = readFileSync(CLEAN_FIXTURE, 'utf8');
let cli: string;

before(async () => {
  cli = await buildCli('unit-cli-hostile');
});

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

async function conclens(args: string[], cwd: string, command: string[] = [process.execPath]): Promise<CliRun> {
  const [file, ...prefix] = command;
  try {
    const { stdout, stderr } = await run(file!, [...prefix, cli, ...args], { cwd });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** Root ignores file permissions: the unreadable-path case runs the CLI as `nobody` then. */
function unprivileged(): string[] {
  if (process.getuid?.() !== 0) return [process.execPath];
  return ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath];
}

// Control and bidirectional characters that change what a line reads as; none may reach a terminal raw.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

hostile('a newline in a file name cannot forge a finding line; bidi overrides are escaped; JSON keeps the names exact', async () => {
  const forged = 'evil\n/x.py:1:1: error PY-DL-001 forged';
  const root = hostileWorkspace({ [`${forged}/race.py`]: race, '\u202egnp.py': race, 'blob\u202e\u001b[31m.py': Uint8Array.from([0, 1]) });
  const text = await conclens(['analyze'], root);
  assert.equal(text.code, 1, text.stderr);
  for (const line of text.stdout.trimEnd().split('\n')) {
    assert.match(line, /^(\S.*:\d+:\d+: (warning|error|information|hint) [A-Z]+-[A-Z]+-\d{3} | {4}\S.*:\d+:\d+: |2 findings )/, line);
  }
  assert.doesNotMatch(text.stdout + text.stderr.replace(/\n/g, ''), UNSAFE);
  assert.match(text.stdout, /^evil\\n\/x\.py:1:1: error PY-DL-001 forged\/race\.py:\d+:\d+: warning PY-RACE-001 /m);
  assert.match(text.stdout, /^\\u202egnp\.py:\d+:\d+: warning PY-RACE-001 /m);
  assert.equal(text.stderr, 'blob\\u202e\\x1b[31m.py: notice: skipped: binary content (NUL bytes), not a source file\n');
  const json = JSON.parse((await conclens(['analyze', '--format', 'json'], root)).stdout) as { findings: { file: string }[]; notices: { file: string }[] };
  assert.deepEqual(new Set(json.findings.map((f) => f.file)), new Set([`${forged}/race.py`, '\u202egnp.py']));
  assert.deepEqual(json.notices.map((n) => n.file), ['blob\u202e\u001b[31m.py']);
});

hostile('an unreadable directory and file cost a notice each, the rest is analyzed, exit 3 and the summary says so', async () => {
  const root = hostileWorkspace({ 'clean.py': clean, 'secret/race.py': race, 'locked.py': race });
  chmodSync(root, 0o755);
  chmodSync(path.join(root, 'secret'), 0o000);
  chmodSync(path.join(root, 'locked.py'), 0o000);
  const result = await conclens(['analyze'], root, unprivileged());
  chmodSync(path.join(root, 'secret'), 0o755);
  assert.equal(result.stderr, 'locked.py: notice: skipped: cannot read file (EACCES)\nsecret: notice: skipped directory: permission denied (EACCES)\n');
  assert.match(result.stdout, /^No findings, 2 notices in 2 files \(\d+ lines, \d+ ms\); 2 not analyzed \(see the notices\)\.\n$/);
  assert.equal(result.code, 3);
});

hostile('a FIFO given by name: a notice, exit 3, no hang', async () => {
  const root = hostileWorkspace({ 'clean.py': clean });
  execFileSync('mkfifo', [path.join(root, 'pipe.py')]);
  const result = await conclens(['analyze', 'pipe.py', 'clean.py'], root);
  assert.equal(result.stderr, 'pipe.py: notice: skipped: a FIFO (named pipe), not a regular file\n');
  assert.equal(result.code, 3);
});

hostile('conclens.json with a UTF-8 byte-order mark is read', async () => {
  const root = hostileWorkspace({ 'race.py': race, 'conclens.json': `\ufeff${JSON.stringify({ rules: { 'PY-RACE-001': 'off' } })}` });
  const result = await conclens(['analyze'], root);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^No findings in 1 file/);
});

hostile('configuration problems name the file and the option, never "internal error"', async () => {
  const cases: [string, string | undefined, RegExp][] = [
    ['long glob', JSON.stringify({ exclude: ['build/**', 'a'.repeat(100_000)] }), /conclens\.json: exclude\[1\] \(a glob of 100000 characters\): pattern is too long$/],
    ['extglobs', JSON.stringify({ exclude: ['+(a|b)'.repeat(2000)] }), /conclens\.json: exclude\[0\] \(a glob of 12000 characters\): pattern has too many extglobs$/],
    ['huge value', JSON.stringify({ rules: { 'PY-RACE-001': 'x'.repeat(10_000) } }), /conclens\.json: rules\.PY-RACE-001 must be .*; got "x{70,80}…$/],
    ['directory', undefined, /conclens\.json: cannot use the configuration file: a directory, not a regular file$/],
    ['FIFO', undefined, /conclens\.json: cannot use the configuration file: a FIFO \(named pipe\), not a regular file$/],
  ];
  for (const [name, content, expected] of cases) {
    const root = hostileWorkspace({ 'race.py': race, ...(content === undefined ? {} : { 'conclens.json': content }) });
    if (name === 'directory') mkdirSync(path.join(root, 'conclens.json'));
    if (name === 'FIFO') execFileSync('mkfifo', [path.join(root, 'conclens.json')]);
    const result = await conclens(['analyze'], root);
    assert.equal(result.code, 2, name);
    assert.equal(result.stderr.split('\n').length, 2, `${name}: one line: ${result.stderr.slice(0, 300)}`);
    assert.match(result.stderr.trimEnd(), expected, name);
  }
  const root = hostileWorkspace({ 'race.py': race });
  writeFileSync(path.join(root, 'conclens.json'), '{ "rules": { "__proto__": { "enabled": false } } }');
  const proto = await conclens(['analyze'], root);
  assert.equal(proto.code, 1, 'a "__proto__" rule id is an unknown id, not a prototype');
  assert.match(proto.stderr, /unknown rule id "__proto__"/);
});
