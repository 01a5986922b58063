import type { Finding } from '../shared/findings';
import { findComments, type SourceComment } from './comments';
import type { LanguageAnalyzer, SourceFile } from './language';
import { findRule } from './rules';

type Language = LanguageAnalyzer['language'];

/** Rules suppressed on one zero-based line; `null` means every rule. Plain data: crosses threads. */
export interface LineSuppression {
  line: number;
  ruleIds: string[] | null;
}

export interface SuppressionScan {
  suppressions: LineSuppression[];
  /** Suppression comments that suppress less than they seem to (malformed, unknown ids), one line each. */
  notes: string[];
}

/** A comment that tries to suppress, well formed or not (`ignored`, `ignore [X]`, `conclens ignore`…). */
const ATTEMPT = /^conclens\W*ignore/i;
// The documented forms, nothing else: `# conclens: ignore` and `# conclens: ignore[ID, ID]`…
const PYTHON_FORM = /^conclens:[ \t]*ignore(?:\[([^\]]*)\])?$/;
const PYTHON_IDS = /^[ \t]*[A-Z]+-[A-Z]+-\d{3}(?:[ \t]*,[ \t]*[A-Z]+-[A-Z]+-\d{3})*[ \t]*$/;
// …and `// conclens-ignore-next-line [IDs]`, `// conclens-ignore-line [IDs]` (spaces or commas between ids).
const SCRIPT_FORM = /^conclens-ignore-(next-line|line)(?:[ \t]+(.*))?$/;
const SCRIPT_IDS = /^[A-Z]+-[A-Z]+-\d{3}(?:(?:[ \t]*,[ \t]*|[ \t]+)[A-Z]+-[A-Z]+-\d{3})*$/;
const RULE_ID = /[A-Z]+-[A-Z]+-\d{3}/g;

const LANGUAGE_NAME: Record<Language, string> = { python: 'Python', javascript: 'TypeScript/JavaScript' };
const FORMS: Record<Language, string> = {
  python: '"# conclens: ignore" or "# conclens: ignore[RULE-ID, …]"',
  javascript: '"// conclens-ignore-next-line [RULE-ID …]" or "// conclens-ignore-line [RULE-ID …]"',
};

/** Comment text quoted in a note: one line, short. */
function quote(text: string): string {
  const line = text.trim();
  return JSON.stringify(line.length > 80 ? `${line.slice(0, 77)}…` : line);
}

interface Directive {
  /** Zero-based line the comment starts on. */
  line: number;
  /** Nothing but whitespace before the comment on its line. */
  alone: boolean;
  /** The text that may be a directive: after `#` (each `#`-separated part) or `//`. */
  bodies: string[];
  comment: string;
  kind: SourceComment['kind'];
}

/** Lines and texts of the comments, found in one pass over the line breaks before them. */
function directives(text: string, comments: readonly SourceComment[]): Directive[] {
  const found: Directive[] = [];
  let line = 0;
  let lineStart = 0;
  let scanned = 0;
  for (const comment of comments) {
    for (; scanned < comment.start; scanned++) {
      const c = text.charCodeAt(scanned);
      if (c === 10 || (c === 13 && text.charCodeAt(scanned + 1) !== 10)) {
        line++;
        lineStart = scanned + 1;
      }
    }
    const raw = text.slice(comment.start, comment.end);
    const bodies = comment.kind === '#' ? raw.split('#').slice(1) : comment.kind === '//' ? [raw.slice(2)] : [raw.slice(2, -2)];
    found.push({ line, alone: text.slice(lineStart, comment.start).trim() === '', bodies: bodies.map((b) => b.trim()), comment: raw, kind: comment.kind });
  }
  return found;
}

/** The listed ids this language knows; a note for each one it does not. */
function knownIds(language: Language, listed: string[], line: number, notes: string[]): string[] {
  return listed.filter((id) => {
    const rule = findRule(id);
    if (rule?.language === language) return true;
    notes.push(
      rule
        ? `line ${line + 1}: ${id} is not a ${LANGUAGE_NAME[language]} rule; the suppression comment ignores it`
        : `line ${line + 1}: unknown rule id ${id} in a suppression comment, ignored`,
    );
    return false;
  });
}

function malformed(language: Language, directive: Directive): string {
  return `line ${directive.line + 1}: suppression comment ${quote(directive.comment)} is not one of the forms ${FORMS[language]} and suppresses nothing`;
}

function pythonSuppressions(found: Directive[], scan: SuppressionScan): void {
  for (const directive of found) {
    for (const body of directive.bodies) {
      if (!ATTEMPT.test(body)) continue;
      const form = PYTHON_FORM.exec(body);
      const list = form?.[1];
      if (!form || (list !== undefined && !PYTHON_IDS.test(list))) {
        scan.notes.push(malformed('python', directive));
        continue;
      }
      const ruleIds = list === undefined ? null : knownIds('python', list.match(RULE_ID) ?? [], directive.line, scan.notes);
      scan.suppressions.push({ line: directive.line, ruleIds });
      // A comment alone on its line speaks about the statement below it.
      if (directive.alone) scan.suppressions.push({ line: directive.line + 1, ruleIds });
    }
  }
}

function scriptSuppressions(found: Directive[], scan: SuppressionScan): void {
  for (const directive of found) {
    const body = directive.bodies[0] ?? '';
    if (!ATTEMPT.test(body)) continue;
    const form = directive.kind === '//' ? SCRIPT_FORM.exec(body) : null;
    const list = form?.[2]?.trim();
    if (!form || (list && !SCRIPT_IDS.test(list))) {
      scan.notes.push(malformed('javascript', directive));
      continue;
    }
    const ruleIds = list ? knownIds('javascript', list.match(RULE_ID) ?? [], directive.line, scan.notes) : null;
    scan.suppressions.push({ line: form[1] === 'next-line' ? directive.line + 1 : directive.line, ruleIds });
  }
}

/**
 * Finds the suppression comments of one file: only real comments (the language's parser says
 * what a comment is, so a suppression inside a string does not count) in the documented forms.
 * Anything else that tries to suppress, and unknown rule ids, get a note and suppress nothing.
 */
export async function findSuppressions(language: Language, file: SourceFile): Promise<SuppressionScan> {
  const scan: SuppressionScan = { suppressions: [], notes: [] };
  const found = directives(file.text, await findComments(language, file, 'conclens'));
  if (language === 'python') pythonSuppressions(found, scan);
  else scriptSuppressions(found, scan);
  return scan;
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
