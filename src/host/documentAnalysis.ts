import * as vscode from 'vscode';
import type { AnalysisController } from './analysisController';
import { affectsAnalysis, CONFIG_FILE_NAMES } from './configuration';
import { analyzedFilesGlob, isAnalyzable } from './languages';

/**
 * Analyzes documents as they are opened, edited (debounced, when `analyzeOnType` is on) and
 * saved, and re-checks everything when settings or the CLI's config file change.
 */
export function registerDocumentAnalysis(context: vscode.ExtensionContext, controller: AnalysisController): void {
  // Unsaved text counts only when the user wants analysis while typing; the explicit
  // "Analyze Current File" command is the one way to analyze a dirty buffer otherwise.
  const wanted = (document: vscode.TextDocument) => isAnalyzable(document) && (controller.analyzeOnType || !document.isDirty);
  const analyze = (document: vscode.TextDocument) => {
    if (wanted(document)) void controller.analyzeDocument(document);
  };
  // Open documents are re-read because the new config may bring back excluded or disabled files.
  const reconfigure = async () => {
    if (!(await controller.reconfigure())) return;
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

  // Deletions and rewrites on disk (git, other tools) reach closed files the session holds.
  const sourceWatcher = vscode.workspace.createFileSystemWatcher(analyzedFilesGlob());
  context.subscriptions.push(
    sourceWatcher,
    sourceWatcher.onDidDelete((uri) => void controller.filesDeleted([uri.fsPath])),
    sourceWatcher.onDidChange((uri) => void controller.filesChangedOnDisk([uri.fsPath])),
  );

  context.subscriptions.push(
    vscode.workspace.onDidOpenTextDocument(analyze),
    vscode.workspace.onDidSaveTextDocument(analyze),
    vscode.workspace.onDidChangeTextDocument((event) => {
      if (event.contentChanges.length > 0 && controller.analyzeOnType && isAnalyzable(event.document)) {
        controller.scheduleDocument(event.document);
      }
    }),
    vscode.window.onDidChangeVisibleTextEditors((editors) => {
      for (const editor of editors) if (wanted(editor.document)) void controller.analyzeIfUnknown(editor.document);
    }),
    vscode.workspace.onDidCloseTextDocument((document) => void controller.documentClosed(document)),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (affectsAnalysis(event)) void reconfigure();
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => void reconfigure()),
  );

  void reconfigure();
}
