// The one shape every finding message has, in both languages (what a Problems row can show):
// one sentence that names the state or lock and both sides, then what to do; everything else
// (the other access, where threads or tasks start, the root a finding relies on) belongs in
// related information, not in the message.
import assert from 'node:assert/strict';
import { RULES } from '../../src/analyzers/rules';
import type { Finding } from '../../src/shared/findings';

/** Words a Problems row shows before the advice is cut off at ordinary widths. */
export const MAX_MESSAGE_WORDS = 40;

export function assertMessageShape(finding: Pick<Finding, 'ruleId' | 'message' | 'related'>): void {
  const { ruleId, message } = finding;
  const where = `${ruleId}: ${message}`;
  const rule = RULES.find((r) => r.id === ruleId);
  assert.ok(rule, `unknown rule ${ruleId}`);
  assert.ok(!message.toLowerCase().startsWith(rule.title.toLowerCase().slice(0, 20)), `starts with the rule title: ${where}`);
  assert.match(message, /^`[^`]+`/, `does not start with the state or lock it is about, in backticks: ${where}`);
  assert.match(message, /; [^;]+\.$/, `does not end with "; <what to do>.": ${where}`);
  const sentences = message.replace(/`[^`]*`/g, 'CODE').split(/[.!?](?:\s|$)/).filter((s) => s.trim() !== '');
  assert.equal(sentences.length, 1, `is not one sentence: ${where}`);
  const words = message.split(/\s+/).length;
  assert.ok(words <= MAX_MESSAGE_WORDS, `${words} words (at most ${MAX_MESSAGE_WORDS}): ${where}`);
  for (const related of finding.related) {
    assert.ok(!message.includes(related.message), `repeats its related information: ${where}`);
  }
}
