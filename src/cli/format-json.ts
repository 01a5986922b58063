import type { AnalysisResult, Range } from '../shared/findings';
import { ruleHelpUri } from '../analyzers/rules';
import type { RunStats } from './format-text';
import { portablePath } from './paths';
import { TOOL_NAME, TOOL_VERSION } from './version';

/** One-based lines and UTF-16 columns, end exclusive: see docs/cli-json.md. */
function jsonRange(range: Range) {
  return {
    start: { line: range.start.line + 1, column: range.start.character + 1 },
    end: { line: range.end.line + 1, column: range.end.character + 1 },
  };
}

/** The stable machine-readable shape documented in docs/cli-json.md (version 1). */
export function toJsonReport(result: AnalysisResult, stats: RunStats, cwd: string) {
  return {
    version: 1 as const,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    findings: result.findings.map((f) => ({
      ruleId: f.ruleId,
      severity: f.severity,
      message: f.message,
      file: portablePath(f.file, cwd),
      range: jsonRange(f.range),
      related: f.related.map((r) => ({ file: portablePath(r.file, cwd), range: jsonRange(r.range), message: r.message })),
      fixes: f.fixes.map((fix) => ({
        title: fix.title,
        edits: fix.edits.map((e) => ({ file: portablePath(e.file, cwd), range: jsonRange(e.range), newText: e.newText })),
      })),
      helpUri: ruleHelpUri(f.ruleId),
    })),
    notices: result.notices.map((n) => ({ file: portablePath(n.file, cwd), message: n.message })),
    stats: { files: result.files, lines: result.lines, notAnalyzed: result.notAnalyzed, durationMs: Math.round(stats.durationMs) },
  };
}

export function formatJson(result: AnalysisResult, stats: RunStats, cwd: string): string {
  return `${JSON.stringify(toJsonReport(result, stats, cwd), null, 2)}\n`;
}
