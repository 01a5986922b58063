import * as vscode from 'vscode';
import { analyzerForPath } from '../analyzers/index';
import { suppressionInsertion } from '../analyzers/suppression';
import type { Finding, FixSuggestion } from '../shared/findings';
import { Commands } from './commands';
import { toVscodeRange, type FindingsView } from './findingsView';
import { ANALYZED_LANGUAGE_IDS } from './languages';

function fixToEdit(fix: FixSuggestion): vscode.WorkspaceEdit {
  const edit = new vscode.WorkspaceEdit();
  for (const change of fix.edits) edit.replace(vscode.Uri.file(change.file), toVscodeRange(change.range), change.newText);
  return edit;
}

function suppressAction(document: vscode.TextDocument, finding: Finding, diagnostic: vscode.Diagnostic): vscode.CodeAction | undefined {
  const analyzer = analyzerForPath(document.uri.fsPath);
  if (!analyzer) return undefined;
  const insertion = suppressionInsertion(analyzer.language, finding.ruleId, document.getText(), finding.range.start.line);
  const action = new vscode.CodeAction(`Suppress ${finding.ruleId} on this line`, vscode.CodeActionKind.QuickFix);
  action.edit = new vscode.WorkspaceEdit();
  action.edit.insert(document.uri, new vscode.Position(insertion.line, insertion.character), insertion.newText);
  action.diagnostics = [diagnostic];
  return action;
}

/** "Show documentation for RULE": opens the rule's README section beside the code. */
function documentationAction(finding: Finding, diagnostic: vscode.Diagnostic): vscode.CodeAction {
  const action = new vscode.CodeAction(`Show documentation for ${finding.ruleId}`, vscode.CodeActionKind.QuickFix);
  action.command = { command: Commands.showRuleDocumentation, title: action.title, arguments: [finding.ruleId] };
  action.diagnostics = [diagnostic];
  return action;
}

/**
 * Quick fixes for our diagnostics, in the order a person should meet them: the finding's real
 * fixes (the first one preferred, so Ctrl+. Enter fixes the race), then its documentation,
 * then suppression last. Without a real fix nothing is preferred, and the documentation comes
 * first: pressing Enter never silences a finding.
 */
export class FindingCodeActions implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] };

  constructor(private readonly view: FindingsView) {}

  provideCodeActions(document: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const fixes: vscode.CodeAction[] = [];
    const documentation: vscode.CodeAction[] = [];
    const suppressions: vscode.CodeAction[] = [];
    for (const diagnostic of context.diagnostics) {
      const finding = this.view.findingFor(document.uri, diagnostic);
      if (!finding) continue;
      finding.fixes.forEach((fix, index) => {
        const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
        action.edit = fixToEdit(fix);
        action.diagnostics = [diagnostic];
        action.isPreferred = index === 0;
        fixes.push(action);
      });
      if (!documentation.some((action) => action.title.endsWith(` ${finding.ruleId}`))) documentation.push(documentationAction(finding, diagnostic));
      const suppress = suppressAction(document, finding, diagnostic);
      if (suppress) suppressions.push(suppress);
    }
    return [...fixes, ...documentation, ...suppressions];
  }
}

export function registerCodeActions(context: vscode.ExtensionContext, view: FindingsView): void {
  const selector = ANALYZED_LANGUAGE_IDS.map((language) => ({ language, scheme: 'file' }));
  context.subscriptions.push(
    vscode.languages.registerCodeActionsProvider(selector, new FindingCodeActions(view), FindingCodeActions.metadata),
  );
}
