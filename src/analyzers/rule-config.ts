import type { RuleSetting } from '../shared/config';
import { SEVERITIES, type Finding, type Severity } from '../shared/findings';
import { findRule } from './rules';

function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}

/**
 * Applies per-rule settings: `"off"` drops the rule's findings, a severity replaces the
 * analyzer's, `{ enabled, severity }` does either. Rules without a setting are unchanged.
 */
export function applyRuleSettings(findings: Finding[], rules: Record<string, RuleSetting>): Finding[] {
  const kept: Finding[] = [];
  for (const finding of findings) {
    const setting = Object.hasOwn(rules, finding.ruleId) ? rules[finding.ruleId] : undefined;
    if (setting === undefined) {
      kept.push(finding);
    } else if (setting === 'off') {
      continue;
    } else if (isSeverity(setting)) {
      kept.push({ ...finding, severity: setting });
    } else if (setting.enabled !== false) {
      kept.push(setting.severity ? { ...finding, severity: setting.severity } : finding);
    }
  }
  return kept;
}

/** Rule ids in a configuration that the catalogue does not know (typos, removed rules). */
export function unknownRuleIds(rules: Record<string, RuleSetting>): string[] {
  return Object.keys(rules).filter((id) => !findRule(id));
}
