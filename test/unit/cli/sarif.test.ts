import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RULES } from '../../../src/analyzers/rules';
import { toSarifLog } from '../../../src/cli/format-sarif';
import type { AnalysisResult } from '../../../src/shared/findings';
import { assertValidSarif as assertValid, validateSarif as validate } from './sarif-schema';
import { CWD, sampleResult } from './sample-result';

const stats = { durationMs: 12 };

void test('a log with findings, related locations, fixes and notices validates against SARIF 2.1.0', () => {
  assertValid(toSarifLog(sampleResult, stats, CWD));
});

void test('an empty run validates too', () => {
  const empty: AnalysisResult = { findings: [], notices: [], files: 0, lines: 0, notAnalyzed: 0 };
  const log = toSarifLog(empty, stats, CWD);
  assertValid(log);
  assert.deepEqual(log.runs[0].results, []);
});

void test('the schema check can fail: a broken log is rejected', () => {
  const log = toSarifLog(sampleResult, stats, CWD) as unknown as { runs: { results: { level: string }[] }[] };
  log.runs[0].results[0].level = 'severe';
  assert.equal(validate(log), false);
});

void test('header and driver carry the catalogue', () => {
  const log = toSarifLog(sampleResult, stats, CWD);
  assert.equal(log.$schema, 'https://json.schemastore.org/sarif-2.1.0.json');
  assert.equal(log.version, '2.1.0');
  assert.equal(log.runs.length, 1);
  const driver = log.runs[0].tool.driver;
  assert.equal(driver.name, 'Concurrency Lens');
  assert.match(driver.version, /^\d+\.\d+\.\d+/);
  assert.deepEqual(driver.rules.map((r) => r.id), RULES.map((r) => r.id));
  const dl001 = driver.rules.find((r) => r.id === 'PY-DL-001')!;
  assert.equal(dl001.defaultConfiguration.level, 'error');
  assert.match(dl001.helpUri, /#py-dl-001$/);
  assert.equal(log.runs[0].originalUriBaseIds.SRCROOT.uri, 'file:///work/project/');
});

void test('results: rule index, level, one-based region, SRCROOT-relative uri', () => {
  const [race, deadlock, outside] = toSarifLog(sampleResult, stats, CWD).runs[0].results;
  assert.equal(race.ruleId, 'PY-RACE-001');
  assert.equal(RULES[race.ruleIndex!].id, 'PY-RACE-001');
  assert.equal(race.level, 'warning');
  assert.equal(deadlock.level, 'error');
  assert.equal(outside.level, 'note');
  assert.deepEqual(race.locations[0].physicalLocation, {
    artifactLocation: { uri: 'src/counter.py', uriBaseId: 'SRCROOT' },
    region: { startLine: 5, startColumn: 5, endLine: 5, endColumn: 14 },
  });
  assert.deepEqual(outside.locations[0].physicalLocation.artifactLocation, { uri: 'file:///elsewhere/outside.py' });
});

void test('related locations have ids, messages and encoded uris', () => {
  const related = toSarifLog(sampleResult, stats, CWD).runs[0].results[0].relatedLocations;
  assert.deepEqual(related.map((r) => [r.id, r.message.text, r.physicalLocation.artifactLocation.uri]), [
    [0, 'thread 1 started here', 'src/counter.py'],
    [1, 'thread 2 started here', 'src/main%20file.py'],
  ]);
});

void test('fixes become artifactChanges with replacements', () => {
  const [fix] = toSarifLog(sampleResult, stats, CWD).runs[0].results[0].fixes;
  assert.equal(fix.description.text, 'Guard the update with a lock');
  assert.equal(fix.artifactChanges.length, 1, 'edits of one file are grouped');
  assert.deepEqual(fix.artifactChanges[0].replacements[1], {
    deletedRegion: { startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 },
    insertedContent: { text: 'hits_lock = threading.Lock()\n' },
  });
});

void test('notices become tool execution notifications', () => {
  const [invocation] = toSarifLog(sampleResult, stats, CWD).runs[0].invocations;
  assert.equal(invocation.executionSuccessful, true);
  const notes = invocation.toolExecutionNotifications;
  assert.equal(notes.length, 2);
  assert.equal(notes[0].level, 'warning');
  assert.deepEqual(notes[0].locations?.[0].physicalLocation.artifactLocation, { uri: 'data/blob.py', uriBaseId: 'SRCROOT' });
  assert.equal(notes[1].locations, undefined, 'a run-wide notice has no location');
});
