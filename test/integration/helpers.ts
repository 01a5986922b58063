import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

export const EXTENSION_ID = 'conclens.concurrency-lens';
export const SOURCE = 'Concurrency Lens';

export function fixtureUri(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the tests run with the fixture workspace open');
  return vscode.Uri.joinPath(folder.uri, name);
}

export function ours(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === SOURCE);
}

export function ruleOf(diagnostic: vscode.Diagnostic): string | undefined {
  const code = diagnostic.code;
  return typeof code === 'object' ? String(code.value) : undefined;
}

/** Resolves with our diagnostics of `uri` once `accept` holds; fails with what was seen last. */
export async function waitForDiagnostics(
  uri: vscode.Uri,
  accept: (diagnostics: vscode.Diagnostic[]) => boolean,
  timeoutMs = 15_000,
): Promise<vscode.Diagnostic[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const current = ours(uri);
    if (accept(current)) return current;
    if (Date.now() > deadline) {
      const seen = current.map((d) => `${ruleOf(d)}@${d.range.start.line}:${d.severity}`).join(', ') || 'none';
      assert.fail(`diagnostics of ${uri.path} did not reach the expected state within ${timeoutMs} ms (saw: ${seen})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export const hasRule = (ruleId: string) => (diagnostics: vscode.Diagnostic[]) => diagnostics.some((d) => ruleOf(d) === ruleId);
export const lacksRule = (ruleId: string) => (diagnostics: vscode.Diagnostic[]) => !diagnostics.some((d) => ruleOf(d) === ruleId);

export async function openFixture(name: string): Promise<vscode.TextEditor> {
  const document = await vscode.workspace.openTextDocument(fixtureUri(name));
  return vscode.window.showTextDocument(document);
}

/** Undoes the edits a test made, so the next test sees the fixture as shipped. */
export async function revertAll(): Promise<void> {
  for (const document of vscode.workspace.textDocuments) {
    if (!document.isDirty) continue;
    await vscode.window.showTextDocument(document);
    await vscode.commands.executeCommand('workbench.action.files.revert');
    assert.equal(document.isDirty, false, `${document.uri.path} could not be reverted`);
  }
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

/** Quick fixes offered at the diagnostic's range (by every provider: titles tell ours apart). */
export async function quickFixes(uri: vscode.Uri, diagnostic: vscode.Diagnostic): Promise<vscode.CodeAction[]> {
  return vscode.commands.executeCommand<vscode.CodeAction[]>(
    'vscode.executeCodeActionProvider',
    uri,
    diagnostic.range,
    vscode.CodeActionKind.QuickFix.value,
  );
}
