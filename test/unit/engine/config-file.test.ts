import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError, findConfigFile, loadConfigFile, parseConfig } from '../../../src/analyzers/config-file';
import { scratchDir } from '../scratch';

function tempDir(): string {
  return scratchDir('conclens-config-');
}

void test('a full configuration parses', () => {
  const { config, notices } = parseConfig(
    {
      rules: { 'PY-RACE-001': 'off', 'PY-DL-001': 'warning', 'PY-DL-003': { enabled: true, severity: 'error' } },
      exclude: ['build/**', '*_pb2.py'],
      maxFileBytes: 1000,
    },
    'conclens.json',
  );
  assert.deepEqual(config, {
    rules: { 'PY-RACE-001': 'off', 'PY-DL-001': 'warning', 'PY-DL-003': { enabled: true, severity: 'error' } },
    exclude: ['build/**', '*_pb2.py'],
    maxFileBytes: 1000,
  });
  assert.deepEqual(notices, []);
});

void test('an empty object is the default configuration', () => {
  assert.deepEqual(parseConfig({}, 'c.json').config, { rules: {}, exclude: [] });
});

void test('an unknown rule id is a warning notice, not an error', () => {
  const { config, notices } = parseConfig({ rules: { 'PY-RACE-042': 'off' } }, '/p/conclens.json');
  assert.deepEqual(config.rules, { 'PY-RACE-042': 'off' });
  assert.equal(notices.length, 1);
  assert.equal(notices[0].file, '/p/conclens.json');
  assert.match(notices[0].message, /unknown rule id "PY-RACE-042"/);
});

void test('an unknown top-level key is a warning notice', () => {
  const { notices } = parseConfig({ exlude: ['x'] }, 'c.json');
  assert.match(notices[0].message, /unknown configuration key "exlude"/);
});

void test('wrong shapes are ConfigErrors that name the file and the key', () => {
  const cases: [unknown, RegExp][] = [
    [[], /must be a JSON object/],
    [{ rules: [] }, /"rules" must be an object/],
    [{ rules: { 'PY-RACE-001': 'loud' } }, /rules\.PY-RACE-001 must be "off", "error"/],
    [{ rules: { 'PY-RACE-001': { severity: 'loud' } } }, /rules\.PY-RACE-001/],
    [{ rules: { 'PY-RACE-001': { enabled: 'yes' } } }, /rules\.PY-RACE-001/],
    [{ rules: { 'PY-RACE-001': { level: 'error' } } }, /rules\.PY-RACE-001/],
    [{ exclude: 'build' }, /"exclude" must be an array/],
    [{ exclude: [1] }, /"exclude" must be an array/],
    [{ maxFileBytes: -5 }, /"maxFileBytes" must be a positive integer/],
    [{ maxFileBytes: 1e300 }, /"maxFileBytes" must be a positive integer of at most 268435456 \(256 MB\); got 1e\+300/],
  ];
  for (const [json, message] of cases) {
    assert.throws(() => parseConfig(json, 'conf.json'), (error: unknown) => {
      assert.ok(error instanceof ConfigError, `${JSON.stringify(json)} throws ConfigError`);
      assert.match(error.message, /^conf\.json: /);
      assert.match(error.message, message);
      return true;
    });
  }
});

void test('malformed JSON is a ConfigError naming the file', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'conclens.json');
  writeFileSync(file, '{ "rules": { ');
  await assert.rejects(loadConfigFile(file), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.match(error.message, /conclens\.json: not valid JSON/);
    return true;
  });
});

void test('a missing config file is a ConfigError', async () => {
  await assert.rejects(loadConfigFile(path.join(tempDir(), 'nope.json')), /cannot use the configuration file: cannot read file \(ENOENT\)/);
});

void test('findConfigFile finds the nearest file upward, conclens.json before .conclensrc.json', () => {
  const root = tempDir();
  const nested = path.join(root, 'a', 'b');
  mkdirSync(nested, { recursive: true });
  writeFileSync(path.join(root, '.conclensrc.json'), '{}');
  assert.equal(findConfigFile(nested), path.join(root, '.conclensrc.json'));
  writeFileSync(path.join(root, 'a', 'conclens.json'), '{}');
  assert.equal(findConfigFile(nested), path.join(root, 'a', 'conclens.json'));
  writeFileSync(path.join(root, 'a', '.conclensrc.json'), '{}');
  assert.equal(findConfigFile(nested), path.join(root, 'a', 'conclens.json'));
});

void test('loadConfigFile returns config, file and notices', async () => {
  const file = path.join(tempDir(), '.conclensrc.json');
  writeFileSync(file, JSON.stringify({ rules: { 'JS-ASYNC-001': 'error', 'XX-1': 'off' } }));
  const loaded = await loadConfigFile(file);
  assert.equal(loaded.file, file);
  assert.deepEqual(loaded.config.rules, { 'JS-ASYNC-001': 'error', 'XX-1': 'off' });
  assert.equal(loaded.notices.length, 1);
});
