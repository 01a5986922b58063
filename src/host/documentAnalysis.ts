import * as vscode from 'vscode';
import type { AnalysisController } from './analysisController';
import { affectsAnalysis, CONFIG_FILE_NAMES } from './configuration';
import { isAnalyzable } from './languages';

/**
 * Analyzes documents as they are opened, edited (debounced, when `analyzeOnType` is on) and
 * saved, and re-checks everything when settings or the CLI's config file change.
 */
export function registerDocumentAnalysis(context: vscode.ExtensionContext, controller: AnalysisController): void {
  const analyze = (document: vscode.TextDocument) => {
    if (isAnalyzable(document)) void controller.analyzeDocument(document);
  };
  const reconfigure = async () => {
    await controller.reconfigure();
    for (const document of vscode.workspace.textDocuments) analyze(document);
  };

  const configWatchers = CONFIG_FILE_NAMES.map((name) => vscode.workspace.createFileSystemWatcher(`**/${name}`));
  for (const watcher of configWatchers) {
    context.subscriptions.push(
      watcher,
      watcher.onDidCreate(() => void reconfigure()),
      watcher.onDidChange(() => void reconfigure()),
      watcher.onDidDelete(() => void reconfigure()),
    );
  }

  context.subscriptions.push(
    vscode.workspace.onDidOpenTextDocument(analyze),
    vscode.workspace.onDidSaveTextDocument(analyze),
    vscode.workspace.onDidChangeTextDocument((event) => {
      if (event.contentChanges.length > 0 && controller.analyzeOnType && isAnalyzable(event.document)) {
        controller.scheduleDocument(event.document);
      }
    }),
    vscode.window.onDidChangeVisibleTextEditors((editors) => {
      for (const editor of editors) if (isAnalyzable(editor.document)) void controller.analyzeIfUnknown(editor.document);
    }),
    vscode.workspace.onDidCloseTextDocument((document) => void controller.documentClosed(document)),
    vscode.workspace.onDidDeleteFiles((event) => void controller.filesDeleted(event.files.map((uri) => uri.fsPath))),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (affectsAnalysis(event)) void reconfigure();
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => void reconfigure()),
  );

  void reconfigure();
}
