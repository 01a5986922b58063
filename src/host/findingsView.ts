import * as vscode from 'vscode';
import type { AnalysisResult, Finding, Range, Severity } from '../shared/findings';
import { ruleHelpUri } from '../analyzers/rules';

export const DIAGNOSTIC_SOURCE = 'Concurrency Lens';

const SEVERITY: Record<Severity, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  information: vscode.DiagnosticSeverity.Information,
  hint: vscode.DiagnosticSeverity.Hint,
};

export function toVscodeRange(range: Range): vscode.Range {
  return new vscode.Range(range.start.line, range.start.character, range.end.line, range.end.character);
}

export function toDiagnostic(finding: Finding): vscode.Diagnostic {
  const diagnostic = new vscode.Diagnostic(toVscodeRange(finding.range), finding.message, SEVERITY[finding.severity]);
  diagnostic.source = DIAGNOSTIC_SOURCE;
  diagnostic.code = { value: finding.ruleId, target: vscode.Uri.parse(ruleHelpUri(finding.ruleId)) };
  diagnostic.relatedInformation = finding.related.map(
    (related) =>
      new vscode.DiagnosticRelatedInformation(
        new vscode.Location(vscode.Uri.file(related.file), toVscodeRange(related.range)),
        related.message,
      ),
  );
  return diagnostic;
}

function ruleIdOf(diagnostic: vscode.Diagnostic): string | undefined {
  const code = diagnostic.code;
  if (typeof code === 'object' && code !== null) return String(code.value);
  return code === undefined ? undefined : String(code);
}

/**
 * Owns the one DiagnosticCollection and remembers which Finding each diagnostic came from.
 * Code actions receive copies of diagnostics (they cross the extension-host boundary), so the
 * lookup matches on rule, range and message instead of object identity.
 */
export class FindingsView implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('concurrencyLens');
  private findingsByUri = new Map<string, Finding[]>();
  private readonly changed = new vscode.EventEmitter<number>();
  /** Fires with the total number of findings after every publish or clear. */
  readonly onDidChange = this.changed.event;

  publish(result: AnalysisResult): void {
    const byUri = new Map<string, Finding[]>();
    for (const finding of result.findings) {
      const key = vscode.Uri.file(finding.file).toString();
      byUri.set(key, [...(byUri.get(key) ?? []), finding]);
    }
    this.collection.clear();
    for (const [uri, findings] of byUri) this.collection.set(vscode.Uri.parse(uri), findings.map(toDiagnostic));
    this.findingsByUri = byUri;
    this.changed.fire(this.count);
  }

  clear(): void {
    this.collection.clear();
    this.findingsByUri = new Map();
    this.changed.fire(0);
  }

  countsBySeverity(): Record<Severity, number> {
    const counts: Record<Severity, number> = { error: 0, warning: 0, information: 0, hint: 0 };
    for (const findings of this.findingsByUri.values()) for (const finding of findings) counts[finding.severity]++;
    return counts;
  }

  get count(): number {
    let total = 0;
    for (const findings of this.findingsByUri.values()) total += findings.length;
    return total;
  }

  findingFor(uri: vscode.Uri, diagnostic: vscode.Diagnostic): Finding | undefined {
    if (diagnostic.source !== DIAGNOSTIC_SOURCE) return undefined;
    const ruleId = ruleIdOf(diagnostic);
    return this.findingsByUri
      .get(uri.toString())
      ?.find(
        (finding) =>
          finding.ruleId === ruleId &&
          finding.message === diagnostic.message &&
          toVscodeRange(finding.range).isEqual(diagnostic.range),
      );
  }

  dispose(): void {
    this.collection.dispose();
    this.changed.dispose();
  }
}
