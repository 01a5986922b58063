/**
 * "Profile under pools" above every top-level function of a Python file and every exported
 * top-level function of a JavaScript or TypeScript file, followed by the newest verdict of
 * that function when it was profiled. Hidden in Restricted Mode (profiling runs workspace
 * code) and when `concurrencyLens.profiler.codeLens` is off.
 */
import * as vscode from 'vscode';
import path from 'node:path';
import { Commands } from './commands';
import { isNodeDocument, nodeFunctions } from './nodeFunctions';
import { readProfilerSettings } from './profilerSettings';
import { topLevelFunctions } from './pythonFunctions';
import type { TraceHistory } from './traceFiles';

export class ProfileCodeLensProvider implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(private readonly history: TraceHistory) {}

  refresh(): void {
    this.changed.fire();
  }

  async provideCodeLenses(document: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    if (!vscode.workspace.isTrusted || !readProfilerSettings(document.uri).codeLens) return [];
    const folder = vscode.workspace.getWorkspaceFolder(document.uri);
    const file = folder ? path.relative(folder.uri.fsPath, document.uri.fsPath).split(path.sep).join('/') : undefined;
    const lenses: vscode.CodeLens[] = [];
    const node = isNodeDocument(document);
    const functions = node ? nodeFunctions(document) : document.languageId === 'python' ? topLevelFunctions(document.getText()) : [];
    for (const fn of functions) {
      const range = new vscode.Range(fn.line, 0, fn.line, 0);
      lenses.push(
        new vscode.CodeLens(range, {
          title: 'Profile under pools',
          tooltip: node
            ? `Run ${fn.name} serially, with several calls in flight on the event loop, in worker threads and in child processes, and say which to use`
            : `Run ${fn.name} serially and under thread and process pools, and say which to use`,
          command: Commands.profileFunction,
          arguments: [{ uri: document.uri, functionName: fn.name }],
        }),
      );
      const latest = file ? await this.history.latestFor(file, fn.name) : undefined;
      if (latest) {
        lenses.push(
          new vscode.CodeLens(range, {
            title: latest.headline,
            tooltip: 'The last profile of this function: open its timeline',
            command: Commands.openTrace,
            arguments: [{ traceId: latest.id }],
          }),
        );
      }
    }
    return lenses;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
