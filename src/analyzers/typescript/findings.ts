import type ts from 'typescript';
import type { Finding, FixSuggestion, Severity } from '../../shared/findings';
import { findRule } from '../rules';
import { rangeOf } from './syntax';

export interface Related {
  node: ts.Node;
  message: string;
}

export interface FindingInput {
  ruleId: string;
  node: ts.Node;
  message: string;
  related?: Related[];
  fixes?: FixSuggestion[];
  /** Overrides the rule's default level (for example `information` without overlap evidence). */
  severity?: Severity;
}

/** Builds findings for one file; positions follow the TypeScript convention of the shared types. */
export class FindingSink {
  readonly findings: Finding[] = [];
  private readonly seen = new Set<string>();

  constructor(
    readonly file: string,
    readonly sourceFile: ts.SourceFile,
  ) {}

  report(input: FindingInput): void {
    const range = rangeOf(input.node, this.sourceFile);
    const identity = `${input.ruleId}:${range.start.line}:${range.start.character}`;
    if (this.seen.has(identity)) return;
    this.seen.add(identity);
    this.findings.push({
      ruleId: input.ruleId,
      severity: input.severity ?? findRule(input.ruleId)?.defaultSeverity ?? 'warning',
      message: input.message,
      file: this.file,
      range,
      related: (input.related ?? []).map((r) => ({ file: this.file, range: rangeOf(r.node, this.sourceFile), message: r.message })),
      fixes: input.fixes ?? [],
    });
  }
}
