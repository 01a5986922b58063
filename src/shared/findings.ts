/**
 * What an analyzer reports. Positions are zero-based with UTF-16 columns and an exclusive end,
 * the convention of VS Code and of the TypeScript compiler API; text and SARIF output convert
 * to one-based lines and columns at the edge.
 */
export type Severity = 'error' | 'warning' | 'information' | 'hint';

export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'information', 'hint'];

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export interface RelatedLocation {
  file: string;
  range: Range;
  message: string;
}

export interface TextEdit {
  file: string;
  range: Range;
  newText: string;
}

/** A real code change that removes the problem (suppression comments are added by the host). */
export interface FixSuggestion {
  title: string;
  edits: TextEdit[];
}

export interface Finding {
  ruleId: string;
  severity: Severity;
  /** Names both accesses (or both acquisition orders) and the contexts that reach them. */
  message: string;
  /** Absolute path of the file the primary range is in. */
  file: string;
  range: Range;
  related: RelatedLocation[];
  fixes: FixSuggestion[];
}

/**
 * Something the user should know about a run: a file or directory that could not be analyzed
 * (unreadable, binary, over the size limit, analyzer failure), a file analyzed only in part,
 * a configuration or suppression comment that does less than it seems to.
 */
export interface Notice {
  file: string;
  message: string;
}

export interface AnalysisResult {
  findings: Finding[];
  notices: Notice[];
  /** Files analyzed (notices included) and their total line count. */
  files: number;
  lines: number;
  /**
   * Files and directories the run could not analyze, each with a notice (files whose findings
   * are missing because a cross-file check failed count too). A run with any is incomplete.
   */
  notAnalyzed: number;
}
