// The bundled CLI end to end: bundle src/cli.ts the way esbuild.mjs does (into a temporary
// folder, with the harness's modules copied next to it), then run `node cli.js profile …` as a
// user would.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { before, test } from 'node:test';
import { bundleCli, FIXTURES } from './helpers';

let cli: string;

before(async () => {
  cli = await bundleCli();
});

function conclens(...args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { cwd: FIXTURES, encoding: 'utf8', timeout: 60_000 });
}
void test('conclens profile: table and verdict, exit 0', () => {
  const result = conclens('profile', 'sleeping.py', '--function', 'nap', '--args', '[0.05]*4', '--kinds', 'serial,thread', '--workers', '4', '--repeat', '1');
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^thread x4 /m);
  assert.match(result.stdout, /^Verdict: /m);
});

void test('conclens profile: a crash exits non-zero and says so', () => {
  const result = conclens('profile', 'crashing.py', '--function', 'die', '--args', '[9]', '--kinds', 'process', '--workers', '1', '--repeat', '1');
  assert.equal(result.status, 3);
  assert.match(result.stderr, /the profile did not complete: a worker process of process x1 died abruptly \(pid \d+: exit code 9\)/);
});

void test('conclens profile: bad arguments exit 2', () => {
  const result = conclens('profile', 'sleeping.py', '--args', '[1]');
  assert.equal(result.status, 2);
  assert.match(result.stderr, /--function NAME is required/);
});
