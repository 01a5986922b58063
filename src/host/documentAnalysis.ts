import * as vscode from 'vscode';
import type { AnalysisController } from './analysisController';
import { affectsAnalysis, CONFIG_FILE_NAMES } from './configuration';
import { analyzedFilesGlob, isAnalyzable } from './languages';

/**
 * Analyzes documents as they are opened, edited (debounced, when `analyzeOnType` is on) and
 * saved, and re-checks everything when settings or the CLI's config file change.
 */
/** How long settings must stay unchanged before the analysis follows them. */
const CONFIG_SETTLE_MS = 250;

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

  // Settings arrive in bursts (a settings.json write, the Settings UI while typing), and
  // within a burst the extension host can briefly see an older snapshot of them: act once
  // the burst is over, on what the settings say then.
  let settling: NodeJS.Timeout | undefined;
  const reconfigureSoon = () => {
    clearTimeout(settling);
    settling = setTimeout(() => void reconfigure(), CONFIG_SETTLE_MS);
  };
  context.subscriptions.push({ dispose: () => clearTimeout(settling) });

  const configWatchers = CONFIG_FILE_NAMES.map((name) => vscode.workspace.createFileSystemWatcher(`**/${name}`));
  for (const watcher of configWatchers) {
    context.subscriptions.push(
      watcher,
      watcher.onDidCreate(reconfigureSoon),
      watcher.onDidChange(reconfigureSoon),
      watcher.onDidDelete(reconfigureSoon),
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
      if (affectsAnalysis(event)) reconfigureSoon();
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(reconfigureSoon),
  );

  void reconfigure();
}
