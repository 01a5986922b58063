import type { AnalysisResult, Finding, Range, Severity } from '../shared/findings';
import { escapeForDisplay } from '../shared/display-text';
import { displayPath } from './paths';

export interface RunStats {
  durationMs: number;
}

function position(file: string, range: Range, cwd: string): string {
  return `${escapeForDisplay(displayPath(file, cwd))}:${range.start.line + 1}:${range.start.character + 1}`;
}

function formatFinding(finding: Finding, cwd: string): string {
  const head = `${position(finding.file, finding.range, cwd)}: ${finding.severity} ${finding.ruleId} ${escapeForDisplay(finding.message)}`;
  const related = finding.related.map((r) => `    ${position(r.file, r.range, cwd)}: ${escapeForDisplay(r.message)}`);
  return [head, ...related].join('\n');
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function summaryLine(result: AnalysisResult, stats: RunStats): string {
  const bySeverity = new Map<Severity, number>();
  for (const f of result.findings) bySeverity.set(f.severity, (bySeverity.get(f.severity) ?? 0) + 1);
  const breakdown = [...bySeverity].map(([severity, count]) => (severity === 'information' ? `${count} information` : plural(count, severity))).join(', ');
  const findings = result.findings.length === 0 ? 'No findings' : `${plural(result.findings.length, 'finding')} (${breakdown})`;
  const notices = result.notices.length > 0 ? `, ${plural(result.notices.length, 'notice')}` : '';
  const incomplete = result.notAnalyzed > 0 ? `; ${result.notAnalyzed} not analyzed (see the notices)` : '';
  return `${findings}${notices} in ${plural(result.files, 'file')} (${plural(result.lines, 'line')}, ${Math.round(stats.durationMs)} ms)${incomplete}.`;
}

/**
 * `file:line:col: severity RULE-ID message`, one-based, related locations indented below. Paths
 * and messages (which quote the user's code) are escaped, so each finding is exactly its lines.
 */
export function formatText(result: AnalysisResult, stats: RunStats, cwd: string, options: { quiet: boolean }): string {
  const lines = result.findings.map((finding) => formatFinding(finding, cwd));
  if (!options.quiet) lines.push(summaryLine(result, stats));
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/** Notices go to stderr so the findings on stdout stay machine-readable; one line each. */
export function formatNotices(result: AnalysisResult, cwd: string): string {
  return result.notices.map((n) => `${escapeForDisplay(displayPath(n.file, cwd)) || 'conclens'}: notice: ${escapeForDisplay(n.message)}\n`).join('');
}
