/** "Open Trace…" (history quick pick or a file) and "Export Chrome Trace…" for the shown trace. */
import * as vscode from 'vscode';
import { writeFile } from 'node:fs/promises';
import { toChromeTrace } from '../profiler/index';
import { Commands } from './commands';
import type { TimelinePanels, TraceLoaded } from './timelinePanel';
import { readTraceFile, type TraceHistory } from './traceFiles';

/** For automation: open a stored trace by id, or a trace file, without the quick pick. */
export interface OpenTraceArgs {
  traceId?: string;
  file?: string;
}

export type OpenTraceResult = { status: 'opened'; panelLoaded: Promise<TraceLoaded> } | { status: 'cancelled' } | { status: 'failed'; message: string };

const BROWSE = 'Browse…';

async function pick(history: TraceHistory): Promise<OpenTraceArgs | undefined> {
  const infos = await history.list();
  type Item = vscode.QuickPickItem & { args?: OpenTraceArgs };
  const items: Item[] = infos.map((info) => ({
    label: `${info.function} — ${info.file}`,
    description: new Date(info.createdAt).toLocaleString(),
    detail: info.summary ?? 'no verdict (the profile did not finish)',
    args: { traceId: info.id },
  }));
  items.push({ label: BROWSE, description: 'a trace file (.json) saved by conclens profile --out or exported' });
  const chosen = await vscode.window.showQuickPick(items, {
    title: 'Concurrency Lens: Open Trace',
    placeHolder: infos.length > 0 ? 'A recent profile, or browse for a trace file' : 'No profile in this workspace yet: browse for a trace file',
    matchOnDescription: true,
    matchOnDetail: true,
  });
  if (!chosen) return undefined;
  if (chosen.args) return chosen.args;
  const files = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'Profile traces': ['json'] }, openLabel: 'Open Trace' });
  return files?.[0] ? { file: files[0].fsPath } : undefined;
}

export async function openTrace(args: OpenTraceArgs | undefined, deps: { history: TraceHistory; panels: TimelinePanels; log: vscode.LogOutputChannel }): Promise<OpenTraceResult> {
  const chosen = args?.traceId !== undefined || args?.file !== undefined ? args : await pick(deps.history);
  if (!chosen) return { status: 'cancelled' };
  try {
    if (chosen.traceId !== undefined) {
      const trace = await deps.history.load(chosen.traceId);
      return { status: 'opened', panelLoaded: deps.panels.show(trace, { kind: 'stored', id: chosen.traceId }) };
    }
    const file = String(chosen.file);
    const trace = await readTraceFile(file);
    return { status: 'opened', panelLoaded: deps.panels.show(trace, { kind: 'file', path: file }) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    deps.log.error(`Open Trace: ${message}`);
    void vscode.window.showErrorMessage(`Concurrency Lens: cannot open the trace: ${message}`);
    return { status: 'failed', message };
  }
}

export const NO_TRACE_TO_EXPORT =
  'Concurrency Lens: no timeline is open, so there is no trace to export. Profile a function (Profile Function Under Pools) or open a saved trace first.';

/** Writes the trace of the timeline last active in the Chrome Trace Event format (Perfetto, chrome://tracing). */
export async function exportChromeTrace(target: vscode.Uri | undefined, panels: TimelinePanels): Promise<vscode.Uri | undefined> {
  const trace = panels.currentTrace;
  if (!trace) {
    void vscode.window.showInformationMessage(NO_TRACE_TO_EXPORT, 'Open Trace…').then((choice) => {
      if (choice) void vscode.commands.executeCommand(Commands.openTrace);
    });
    return undefined;
  }
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const uri =
    target ??
    (await vscode.window.showSaveDialog({
      title: 'Export Chrome Trace',
      defaultUri: folder ? vscode.Uri.joinPath(folder, `${trace.target.function}.chrome-trace.json`) : undefined,
      filters: { 'Chrome Trace Event JSON': ['json'] },
    }));
  if (!uri) return undefined;
  await writeFile(uri.fsPath, JSON.stringify(toChromeTrace(trace)));
  void vscode.window.showInformationMessage(`Concurrency Lens: Chrome trace written to ${vscode.workspace.asRelativePath(uri)} (open it in Perfetto or chrome://tracing).`);
  return uri;
}
