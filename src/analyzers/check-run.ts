import type { AnalysisConfig } from '../shared/config';
import type { AnalysisResult, Finding, Notice } from '../shared/findings';
import type { FileOutcome } from './file-outcome';
import { ANALYZERS } from './index';
import type { LanguageAnalyzer } from './language';
import { applyRuleSettings } from './rule-config';
import { isSuppressed, type LineSuppression } from './suppression';

function compareFindings(a: Finding, b: Finding): number {
  return (
    (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
    a.range.start.line - b.range.start.line ||
    a.range.start.character - b.range.start.character ||
    (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0)
  );
}

/**
 * The whole-run phase: each analyzer checks every summary of its language at once (so
 * cross-file reasoning sees the whole run), then configuration and suppression comments
 * are applied and findings are sorted by file and position.
 */
export function checkRun(
  outcomes: Iterable<FileOutcome>,
  config: AnalysisConfig,
  analyzers: readonly LanguageAnalyzer[] = ANALYZERS,
): AnalysisResult {
  const notices: Notice[] = [];
  const suppressionsByFile = new Map<string, LineSuppression[]>();
  const summariesByLanguage = new Map<string, unknown[]>();
  let files = 0;
  let lines = 0;
  let notAnalyzed = 0;
  for (const outcome of outcomes) {
    files++;
    lines += outcome.lines;
    if (outcome.kind === 'notice') {
      notices.push({ file: outcome.path, message: outcome.message });
      notAnalyzed++;
      continue;
    }
    for (const note of outcome.notes) notices.push({ file: outcome.path, message: note });
    suppressionsByFile.set(outcome.path, outcome.suppressions);
    const summaries = summariesByLanguage.get(outcome.language) ?? [];
    summaries.push(outcome.summary);
    summariesByLanguage.set(outcome.language, summaries);
  }

  let findings: Finding[] = [];
  for (const analyzer of analyzers) {
    const summaries = summariesByLanguage.get(analyzer.language);
    if (!summaries) continue;
    try {
      findings.push(...analyzer.check(summaries));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      notices.push({ file: '', message: `the ${analyzer.language} cross-file check failed, the findings of its ${summaries.length} file${summaries.length === 1 ? '' : 's'} are missing (${reason})` });
      notAnalyzed += summaries.length;
    }
  }
  findings = applyRuleSettings(findings, config.rules).filter(
    (finding) => !isSuppressed(finding, suppressionsByFile.get(finding.file) ?? []),
  );
  findings.sort(compareFindings);
  notices.sort(compareNotices);
  return { findings, notices, files, lines, notAnalyzed };
}

/** By file; a file's own notices keep the order they were reported in (the sort is stable). */
export function compareNotices(a: Notice, b: Notice): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : 0;
}
