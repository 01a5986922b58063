import * as vscode from 'vscode';
import { describe, type AnalysisController } from './analysisController';
import { BuiltinCommands, Commands } from './commands';
import { isAnalyzable } from './languages';
import { showRuleDocumentation } from './ruleDocumentation';
import type { AnalysisResult } from '../shared/findings';

const SHOW_PROBLEMS = 'Show Problems';

function summary(result: AnalysisResult): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const skipped = result.notices.length > 0 ? `, ${plural(result.notices.length, 'file')} skipped (see Output › Concurrency Lens)` : '';
  return `Concurrency Lens: ${plural(result.findings.length, 'finding')} in ${plural(result.files, 'file')} (${result.lines} lines)${skipped}.`;
}

async function analyzeWorkspace(controller: AnalysisController, log: vscode.LogOutputChannel): Promise<AnalysisResult | undefined> {
  if (!controller.enabled) {
    void vscode.window.showInformationMessage('Concurrency Lens is disabled. Set "concurrencyLens.enable" to true to analyze.');
    return undefined;
  }
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Concurrency Lens: analyzing workspace', cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      const cancelled = token.onCancellationRequested(() => abort.abort());
      let reported = 0;
      try {
        return await controller.analyzeWorkspace(abort.signal, (done, total) => {
          if (total === 0) return;
          progress.report({ message: `${done} of ${total} files`, increment: ((done - reported) / total) * 100 });
          reported = done;
        });
      } catch (error) {
        if (abort.signal.aborted) {
          log.info('Workspace analysis cancelled; findings so far are shown.');
          return undefined;
        }
        log.error(`Workspace analysis failed: ${describe(error)}`);
        void vscode.window.showErrorMessage('Concurrency Lens could not analyze the workspace. See Output › Concurrency Lens for details.');
        return undefined;
      } finally {
        cancelled.dispose();
      }
    },
  );
  // Announced once the progress notification has closed, so the two never stand together.
  if (result) {
    void vscode.window.showInformationMessage(summary(result), SHOW_PROBLEMS).then((choice) => {
      if (choice === SHOW_PROBLEMS) void vscode.commands.executeCommand(BuiltinCommands.focusProblems);
    });
  }
  return result;
}

async function analyzeCurrentFile(controller: AnalysisController): Promise<void> {
  const document = vscode.window.activeTextEditor?.document;
  if (!document || !isAnalyzable(document)) {
    void vscode.window.showInformationMessage('Concurrency Lens: open a Python, TypeScript or JavaScript file saved on disk to analyze it.');
    return;
  }
  if (controller.isExcluded(document.uri.fsPath)) {
    void vscode.window.showInformationMessage('Concurrency Lens: this file matches "concurrencyLens.exclude" and is not analyzed.');
    return;
  }
  await controller.analyzeDocument(document);
}

export function registerCommands(
  context: vscode.ExtensionContext,
  deps: { controller: AnalysisController; log: vscode.LogOutputChannel },
): void {
  const { controller, log } = deps;
  context.subscriptions.push(
    vscode.commands.registerCommand(Commands.analyzeWorkspace, () => analyzeWorkspace(controller, log)),
    vscode.commands.registerCommand(Commands.analyzeFile, () => analyzeCurrentFile(controller)),
    vscode.commands.registerCommand(Commands.clearFindings, () => controller.clear()),
    vscode.commands.registerCommand(Commands.showRuleDocumentation, (ruleId?: unknown) =>
      showRuleDocumentation(context.extensionUri, ruleId),
    ),
  );
}
