/** Wires the profiler into the editor: commands, CodeLens, the timeline panel and the trace history. */
import * as vscode from 'vscode';
import { Commands } from './commands';
import { NODE_LANGUAGE_IDS } from './nodeFunctions';
import { SECTION } from './configuration';
import { ProfileCodeLensProvider } from './profileCodeLens';
import { profileFunction, type ProfileArgs } from './profileCommand';
import { readProfilerSettings } from './profilerSettings';
import { TimelinePanels } from './timelinePanel';
import { exportChromeTrace, openTrace, type OpenTraceArgs } from './traceCommands';
import { TraceHistory } from './traceFiles';

export function registerProfiling(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): void {
  const storage = context.storageUri ?? context.globalStorageUri;
  const history = new TraceHistory(vscode.Uri.joinPath(storage, 'traces').fsPath, readProfilerSettings().historySize);
  const panels = new TimelinePanels(context, history, log);
  const lenses = new ProfileCodeLensProvider(history);
  const deps = { context, history, panels, log };
  context.subscriptions.push(
    history,
    panels,
    lenses,
    history.onDidChange(() => lenses.refresh()),
    vscode.workspace.onDidGrantWorkspaceTrust(() => lenses.refresh()),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(`${SECTION}.profiler`)) {
        history.setLimit(readProfilerSettings().historySize);
        lenses.refresh();
      }
    }),
    vscode.languages.registerCodeLensProvider(
      [{ language: 'python', scheme: 'file' }, ...NODE_LANGUAGE_IDS.map((language) => ({ language, scheme: 'file' }))],
      lenses,
    ),
    vscode.commands.registerCommand(Commands.profileFunction, (args?: ProfileArgs | vscode.Uri) =>
      // Editor menus pass the file's Uri; the cursor decides the function then.
      profileFunction(args instanceof vscode.Uri ? undefined : args, deps),
    ),
    vscode.commands.registerCommand(Commands.openTrace, (args?: OpenTraceArgs) => openTrace(args, deps)),
    vscode.commands.registerCommand(Commands.exportChromeTrace, (target?: vscode.Uri) => exportChromeTrace(target, panels)),
  );
}
