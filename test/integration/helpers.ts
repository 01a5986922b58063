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

/**
 * Records what the file watcher reports for one file, as the extension's own watcher sees it.
 * A test that creates a file and soon deletes it waits for the creation to be reported first:
 * the watcher merges a creation and a deletion still pending together into no event at all.
 */
export function watchFile(uri: vscode.Uri): { events: string[]; next(kind: 'created' | 'changed' | 'deleted', timeoutMs?: number): Promise<void>; dispose(): void } {
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  assert.ok(folder, `${uri.fsPath} is in the workspace`);
  const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, vscode.workspace.asRelativePath(uri, false)));
  const events: string[] = [];
  const waiters: { kind: string; resolve: () => void; timer: NodeJS.Timeout }[] = [];
  const record = (kind: string) => (changed: vscode.Uri) => {
    if (changed.toString() !== uri.toString()) return;
    events.push(kind);
    for (const waiter of waiters.filter((w) => w.kind === kind)) waiter.resolve();
  };
  const subscriptions = [watcher, watcher.onDidCreate(record('created')), watcher.onDidChange(record('changed')), watcher.onDidDelete(record('deleted'))];
  return {
    events,
    next(kind, timeoutMs = 15_000) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the file watcher did not report ${uri.path} ${kind} within ${timeoutMs} ms (events: ${events.join(', ') || 'none'})`)), timeoutMs);
        waiters.push({ kind, timer, resolve: () => { clearTimeout(timer); resolve(); } });
      });
    },
    dispose: () => {
      // A wait the test never reached (it failed earlier) must not reject later, unhandled.
      for (const waiter of waiters) clearTimeout(waiter.timer);
      for (const subscription of subscriptions) subscription.dispose();
    },
  };
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
