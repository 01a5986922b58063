import type { Finding } from '../shared/findings';
import type { LanguageAnalyzer } from './language';

type Language = LanguageAnalyzer['language'];

/** Rules suppressed on one zero-based line; `null` means every rule. Plain data: crosses threads. */
export interface LineSuppression {
  line: number;
  ruleIds: string[] | null;
}

// `# conclens: ignore` or `# conclens: ignore[PY-RACE-001, PY-DL-001]`
const PYTHON_COMMENT = /#\s*conclens:\s*ignore(?:\[([^\]]*)\])?/;
// `// conclens-ignore-next-line JS-ASYNC-002` or `// conclens-ignore-line` (ids optional)
const JS_COMMENT = /\/\/\s*conclens-ignore-(next-line|line)\b([^\n]*)/;
const RULE_ID = /[A-Z]+-[A-Z]+-\d{3}/g;

function ruleIdsIn(list: string | undefined): string[] | null {
  const ids = list?.match(RULE_ID) ?? [];
  return ids.length > 0 ? ids : null;
}

function pythonSuppressions(lines: string[]): LineSuppression[] {
  const found: LineSuppression[] = [];
  lines.forEach((text, line) => {
    const match = PYTHON_COMMENT.exec(text);
    if (!match) return;
    const ruleIds = match[1] === undefined ? null : ruleIdsIn(match[1]);
    if (match[1] !== undefined && ruleIds === null) return; // `ignore[]` or a typo names no rule: suppress nothing
    found.push({ line, ruleIds });
    // A comment alone on its line speaks about the statement below it.
    if (text.trimStart().startsWith('#')) found.push({ line: line + 1, ruleIds });
  });
  return found;
}

function jsSuppressions(lines: string[]): LineSuppression[] {
  const found: LineSuppression[] = [];
  lines.forEach((text, line) => {
    const match = JS_COMMENT.exec(text);
    if (!match) return;
    found.push({ line: match[1] === 'next-line' ? line + 1 : line, ruleIds: ruleIdsIn(match[2]) });
  });
  return found;
}

/** Finds the suppression comments of one file. */
export function findSuppressions(language: Language, text: string): LineSuppression[] {
  if (!text.includes('conclens')) return [];
  const lines = text.split(/\r\n|\r|\n/);
  return language === 'python' ? pythonSuppressions(lines) : jsSuppressions(lines);
}

export function isSuppressed(finding: Finding, suppressions: readonly LineSuppression[]): boolean {
  const line = finding.range.start.line;
  return suppressions.some((s) => s.line === line && (s.ruleIds === null || s.ruleIds.includes(finding.ruleId)));
}

export interface SuppressionComment {
  /** The comment text, without indentation or line break. */
  text: string;
  /** Always true today: the comment goes on its own line above the finding's first line. */
  lineAbove: boolean;
}

/** The comment the "Suppress this finding" quick fix inserts for `ruleId`. */
export function suppressionCommentFor(language: Language, ruleId: string): SuppressionComment {
  return language === 'python'
    ? { text: `# conclens: ignore[${ruleId}]`, lineAbove: true }
    : { text: `// conclens-ignore-next-line ${ruleId}`, lineAbove: true };
}

/**
 * Where and what to insert to suppress `ruleId` at zero-based `line` of `text`: a new line
 * above it, indented like it, using the file's own line break.
 */
export function suppressionInsertion(
  language: Language,
  ruleId: string,
  text: string,
  line: number,
): { line: number; character: number; newText: string } {
  const lineText = text.split(/\r\n|\r|\n/)[line] ?? '';
  const indent = /^[ \t]*/.exec(lineText)?.[0] ?? '';
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  return { line, character: 0, newText: `${indent}${suppressionCommentFor(language, ruleId).text}${eol}` };
}
