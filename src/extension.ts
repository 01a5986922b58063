import * as vscode from 'vscode';
import { AnalysisController } from './host/analysisController';
import { registerCodeActions } from './host/codeActions';
import { registerCommands } from './host/registerCommands';
import { registerDocumentAnalysis } from './host/documentAnalysis';
import { registerProfiling } from './host/registerProfiling';
import { FindingsView } from './host/findingsView';
import { registerStatusBar } from './host/statusBar';

/** Composition root: builds the services once and hands them to each feature's register function. */
export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Concurrency Lens', { log: true });
  const view = new FindingsView();
  const controller = new AnalysisController(view, log);
  context.subscriptions.push(log, view, controller);

  registerStatusBar(context, view, controller);
  registerCodeActions(context, view);
  registerCommands(context, { controller, log });
  registerDocumentAnalysis(context, controller);
  registerProfiling(context, log);
}

export function deactivate(): void {}
