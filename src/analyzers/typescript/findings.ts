import ts from 'typescript';
import type { Finding, FixSuggestion, Severity } from '../../shared/findings';
import { findRule } from '../rules';
import type { OwnershipFacts } from './ownership';
import { functionLabel, nearestFunction, rangeOf } from './syntax';

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
  /** For races that rest on overlap evidence: what the whole run's object creations can refute. */
  ownership?: OwnershipFacts;
}

/** Compiled code renames imports (`(0, utils_1.f)`, `_a`): only the names people wrote identify a site. */
const GENERATED_NAME = /^(_[a-z]|[\w$]+_\d+|void|\d.*)$/;

/**
 * What a finding says independent of where its file lives: the rule, the function and the names
 * in the flagged code. The same source shipped as `src/` TypeScript and `dist/cjs`, `dist/esm`
 * JavaScript gives each copy the same fingerprint.
 */
function fingerprintOf(ruleId: string, node: ts.Node, sourceFile: ts.SourceFile): string {
  const fn = nearestFunction(node);
  const names = (node.getText(sourceFile).match(/[A-Za-z_$#][\w$]*/g) ?? []).filter((name) => !GENERATED_NAME.test(name));
  return [ruleId, (fn && functionLabel(fn)) ?? '', ...names].join(' ');
}

/** Builds findings for one file; positions follow the TypeScript convention of the shared types. */
export class FindingSink {
  readonly findings: Finding[] = [];
  readonly fingerprints: string[] = [];
  readonly ownership: (OwnershipFacts | null)[] = [];
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
    this.fingerprints.push(fingerprintOf(input.ruleId, input.node, this.sourceFile));
    this.ownership.push(input.ownership ?? null);
  }
}
