import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Finding } from '../../../src/shared/findings';
import { applyRuleSettings, unknownRuleIds } from '../../../src/analyzers/rule-config';

function finding(ruleId: string, severity: Finding['severity'] = 'warning'): Finding {
  const range = { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } };
  return { ruleId, severity, message: ruleId, file: '/p/a.py', range, related: [], fixes: [] };
}

const findings = [finding('PY-RACE-001'), finding('PY-DL-001', 'error'), finding('PY-RACE-002')];

void test('no settings leave findings unchanged', () => {
  assert.deepEqual(applyRuleSettings(findings, {}), findings);
});

void test('"off" drops a rule and keeps the others', () => {
  const kept = applyRuleSettings(findings, { 'PY-DL-001': 'off' });
  assert.deepEqual(kept.map((f) => f.ruleId), ['PY-RACE-001', 'PY-RACE-002']);
});

void test('a severity string overrides the severity', () => {
  const kept = applyRuleSettings(findings, { 'PY-RACE-001': 'error', 'PY-DL-001': 'hint' });
  assert.deepEqual(kept.map((f) => f.severity), ['error', 'hint', 'warning']);
});

void test('object form: enabled false drops, severity overrides, enabled true keeps', () => {
  const kept = applyRuleSettings(findings, {
    'PY-RACE-001': { enabled: false },
    'PY-DL-001': { severity: 'information' },
    'PY-RACE-002': { enabled: true },
  });
  assert.deepEqual(kept.map((f) => [f.ruleId, f.severity]), [['PY-DL-001', 'information'], ['PY-RACE-002', 'warning']]);
});

void test('settings never mutate the findings they are given', () => {
  applyRuleSettings(findings, { 'PY-RACE-001': 'error' });
  assert.equal(findings[0].severity, 'warning');
});

void test('unknownRuleIds names ids missing from the catalogue', () => {
  assert.deepEqual(unknownRuleIds({ 'PY-RACE-001': 'off', 'PY-RACE-999': 'off', nonsense: 'error' }), ['PY-RACE-999', 'nonsense']);
});
