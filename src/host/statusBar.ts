import * as vscode from 'vscode';
import { BuiltinCommands } from './commands';
import type { FindingsView } from './findingsView';

/** "$(shield) 3": the number of findings; a click opens the Problems panel. */
export function registerStatusBar(context: vscode.ExtensionContext, view: FindingsView): vscode.StatusBarItem {
  const item = vscode.window.createStatusBarItem('concurrencyLens.findings', vscode.StatusBarAlignment.Left, 0);
  item.name = 'Concurrency Lens';
  item.command = BuiltinCommands.focusProblems;
  const render = (count: number) => {
    const summary = `Concurrency Lens: ${count} finding${count === 1 ? '' : 's'}`;
    item.text = `$(shield) ${count}`;
    item.tooltip = `${summary}. Click to open the Problems panel.`;
    item.accessibilityInformation = { label: summary, role: 'button' };
  };
  render(view.count);
  item.show();
  context.subscriptions.push(item, view.onDidChange(render));
  return item;
}
