import * as vscode from 'vscode';
import type { Severity } from '../shared/findings';
import type { AnalysisController, WorkspaceActivity } from './analysisController';
import { BuiltinCommands } from './commands';
import type { FindingsView } from './findingsView';

/** Our own product icon (package.json `contributes.icons`): thread lanes, not a shield that reads as Workspace Trust. */
const ICON = '$(conclens-lanes)';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** "1 error, 12 warnings": our findings by severity, which the built-in problem count mixes with every other tool's. */
export function severitySummary(counts: Record<Severity, number>): string {
  const parts = [
    counts.error > 0 ? plural(counts.error, 'error') : '',
    counts.warning > 0 ? plural(counts.warning, 'warning') : '',
    counts.information > 0 ? `${counts.information} info` : '',
    counts.hint > 0 ? plural(counts.hint, 'hint') : '',
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : 'no findings';
}

/**
 * What only Concurrency Lens knows: its findings by severity, or how far a workspace run has
 * got. A click opens the Problems panel.
 */
export function registerStatusBar(context: vscode.ExtensionContext, view: FindingsView, controller: AnalysisController): vscode.StatusBarItem {
  const item = vscode.window.createStatusBarItem('concurrencyLens.findings', vscode.StatusBarAlignment.Left, 0);
  item.name = 'Concurrency Lens';
  item.command = BuiltinCommands.focusProblems;
  let activity: WorkspaceActivity | undefined;
  const render = () => {
    const counts = view.countsBySeverity();
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const findings = severitySummary(counts);
    const label = `Concurrency Lens: ${plural(total, 'finding')}${total > 0 ? ` (${findings})` : ''}`;
    if (activity) {
      const progress = activity.total > 0 ? ` ${activity.done}/${activity.total}` : '';
      item.text = `$(sync~spin) analyzing…${progress}`;
      item.tooltip = `Concurrency Lens is analyzing the workspace${progress ? ` (${activity.done} of ${activity.total} files)` : ''}. ${findings} so far. Click to open the Problems panel.`;
      item.accessibilityInformation = { label: `${label}, analyzing the workspace`, role: 'button' };
      return;
    }
    item.text = `${ICON} ${findings}`;
    item.tooltip = `${label}. Click to open the Problems panel.`;
    item.accessibilityInformation = { label, role: 'button' };
  };
  render();
  item.show();
  context.subscriptions.push(
    item,
    view.onDidChange(render),
    controller.onDidChangeActivity((next) => {
      activity = next;
      render();
    }),
  );
  return item;
}
