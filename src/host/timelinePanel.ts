/**
 * The "Concurrency Lens: Timeline" webview: one panel reused for every profile, restored after
 * a window reload, and a read-only custom editor for exported trace files. Every webview gets
 * the same wiring: the strict-CSP page from html-report.ts with the dist folder as its only
 * resource root, the trace streamed in protocol chunks after the page's `ready`, and every
 * incoming message validated before the host acts on it.
 */
import * as vscode from 'vscode';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { buildPanelHtml, createNonce } from '../profiler/html-report';
import type { ProfileTrace } from '../shared/trace';
import { checkTrace } from '../shared/trace-schema';
import { traceMessages, validateWebviewMessage, type RevealSourceMessage } from '../shared/webview-protocol';
import { isNodeDocument, nodeFunctions } from './nodeFunctions';
import { topLevelFunctions } from './pythonFunctions';
import { parseTrace, readTraceFile, type TraceHistory } from './traceFiles';

export const TIMELINE_VIEW_TYPE = 'concurrencyLens.timeline';
export const TRACE_EDITOR_VIEW_TYPE = 'concurrencyLens.traceViewer';
/** Context key: some timeline (the panel or a trace-file editor) shows a trace, so Export Chrome Trace has one. */
export const TRACE_OPEN_CONTEXT = 'concurrencyLens.traceOpen';
/** workspaceState key: which trace the panel shows, so a reload restores it. */
const SHOWN_TRACE_KEY = 'concurrencyLens.timeline.shown';

/** Where the shown trace came from: the history (by id) or a file. */
export type TraceSource = { kind: 'stored'; id: string } | { kind: 'file'; path: string };

export interface TraceLoaded {
  runs: number;
  tasks: number;
}

let nextStreamId = 1;

/** Opens `file` from a trace (workspace-relative or absolute) at `line`; refuses anything outside the workspace. */
export async function revealSource(message: RevealSourceMessage, log: vscode.LogOutputChannel): Promise<vscode.TextEditor | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  // Real paths on both sides, so a symbolic link in the workspace cannot lead outside it.
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return undefined;
    }
  };
  const roots = folders.map((folder) => real(folder.uri.fsPath)).filter((root): root is string => root !== undefined);
  const inside = (candidate: string) =>
    roots.some((root) => {
      const relative = path.relative(root, candidate);
      return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
    });
  const candidates = path.isAbsolute(message.file) ? [message.file] : folders.map((f) => path.join(f.uri.fsPath, message.file));
  const file = candidates.map(real).find((candidate): candidate is string => candidate !== undefined && inside(candidate));
  if (!file) {
    log.warn(`Timeline asked to open ${message.file}, which is not a file in the workspace; ignored.`);
    return undefined;
  }
  const document = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  let line = message.line !== undefined ? message.line - 1 : undefined;
  if (line === undefined && message.symbol) {
    const name = message.symbol.split('.').pop();
    line = (isNodeDocument(document) ? nodeFunctions(document) : topLevelFunctions(document.getText())).find((f) => f.name === name)?.line;
  }
  const at = new vscode.Position(Math.min(Math.max(line ?? 0, 0), document.lineCount - 1), 0);
  const range = document.lineAt(at.line).range;
  return vscode.window.showTextDocument(document, {
    viewColumn: vscode.ViewColumn.One,
    selection: new vscode.Range(range.start, range.end),
    preserveFocus: false,
  });
}

/**
 * One webview showing one trace at a time. `show` replaces the trace; it is streamed as soon as
 * the page said `ready` (again after the page reloads, e.g. when a hidden panel is shown).
 */
class TimelineWebview implements vscode.Disposable {
  private trace: ProfileTrace | undefined;
  private error: string | undefined;
  private ready = false;
  private loadedWaiters: { streamId: number; resolve: (loaded: TraceLoaded) => void }[] = [];
  private streamId = 0;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly webview: vscode.Webview,
    extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly changed: () => void,
  ) {
    const dist = vscode.Uri.joinPath(extensionUri, 'dist');
    webview.options = { enableScripts: true, localResourceRoots: [dist] };
    webview.html = buildPanelHtml({
      cspSource: webview.cspSource,
      nonce: createNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.css')).toString(),
    });
    this.disposables.push(webview.onDidReceiveMessage((raw: unknown) => this.receive(raw)));
  }

  get current(): ProfileTrace | undefined {
    return this.trace;
  }

  /** Shows `trace`; resolves when the page reports it loaded. */
  show(trace: ProfileTrace): Promise<TraceLoaded> {
    this.trace = trace;
    this.error = undefined;
    this.changed();
    this.streamId = nextStreamId++;
    const streamId = this.streamId;
    const loaded = new Promise<TraceLoaded>((resolve) => this.loadedWaiters.push({ streamId, resolve }));
    if (this.ready) void this.stream();
    return loaded;
  }

  /** Shows why there is no trace (an unreadable file) instead of one. */
  showError(message: string): void {
    this.trace = undefined;
    this.error = message;
    this.changed();
    if (this.ready) void this.stream();
  }

  private async stream(): Promise<void> {
    if (this.error !== undefined) {
      await this.webview.postMessage({ type: 'traceError', message: this.error });
      return;
    }
    const trace = this.trace;
    if (!trace) return;
    const streamId = this.streamId;
    try {
      for (const message of traceMessages(trace, streamId)) {
        // A newer trace replaced this one, or the page went away: stop sending the old one.
        if (streamId !== this.streamId || !(await this.webview.postMessage(message))) return;
      }
    } catch (error) {
      // The page would wait for the rest of the stream forever: tell it why none is coming.
      const message = error instanceof Error ? error.message : String(error);
      this.log.error(`Could not send the trace to the timeline: ${message}`);
      if (streamId === this.streamId) await this.webview.postMessage({ type: 'traceError', message });
    }
  }

  private receive(raw: unknown): void {
    const message = validateWebviewMessage(raw);
    if (!message) {
      this.log.warn(`Ignored an invalid message from the timeline webview: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    switch (message.type) {
      case 'ready':
        this.ready = true;
        void this.stream();
        break;
      case 'revealSource':
        revealSource(message, this.log).catch((error: unknown) => this.log.error(`Could not open ${message.file}: ${String(error)}`));
        break;
      case 'traceLoaded': {
        const loaded = { runs: message.runs, tasks: message.tasks };
        for (const waiter of this.loadedWaiters.filter((w) => w.streamId === message.streamId)) waiter.resolve(loaded);
        this.loadedWaiters = this.loadedWaiters.filter((w) => w.streamId !== message.streamId);
        break;
      }
      case 'error':
        this.log.error(`Timeline webview: ${message.message}`);
        break;
      case 'viewState':
        // The page keeps its own view state (setState); the host has nothing to store.
        break;
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/**
 * Every open timeline, the panel and trace-file editors alike: the trace of the one last
 * active is what Export Chrome Trace writes, focused or not, and TRACE_OPEN_CONTEXT says
 * whether there is one.
 */
class OpenTimelines {
  private readonly open = new Map<vscode.WebviewPanel, TimelineWebview>();
  private active: vscode.WebviewPanel | undefined;

  /** A webview for `panel`, tracked until the panel closes. */
  create(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, log: vscode.LogOutputChannel): TimelineWebview {
    const view = new TimelineWebview(panel.webview, extensionUri, log, () => this.update());
    this.open.set(panel, view);
    if (panel.active) this.active = panel;
    const viewState = panel.onDidChangeViewState(() => {
      if (panel.active) this.active = panel;
    });
    panel.onDidDispose(() => {
      viewState.dispose();
      view.dispose();
      this.open.delete(panel);
      if (this.active === panel) this.active = undefined;
      this.update();
    });
    return view;
  }

  get current(): ProfileTrace | undefined {
    const active = this.active ? this.open.get(this.active)?.current : undefined;
    return active ?? [...this.open.values()].reverse().find((view) => view.current)?.current;
  }

  private update(): void {
    void vscode.commands.executeCommand('setContext', TRACE_OPEN_CONTEXT, this.current !== undefined);
  }
}

/** The reused timeline panel, its serializer and the custom editor for trace files. */
export class TimelinePanels implements vscode.Disposable {
  private panel: { panel: vscode.WebviewPanel; view: TimelineWebview } | undefined;
  private readonly timelines = new OpenTimelines();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly history: TraceHistory,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      vscode.window.registerWebviewPanelSerializer(TIMELINE_VIEW_TYPE, {
        deserializeWebviewPanel: (panel) => this.restore(panel),
      }),
      vscode.window.registerCustomEditorProvider(TRACE_EDITOR_VIEW_TYPE, new TraceEditorProvider(context.extensionUri, log, this.timelines), {
        supportsMultipleEditorsPerDocument: true,
      }),
    );
  }

  /** The trace of the timeline last active (the panel or a trace-file editor), if one is open. */
  get currentTrace(): ProfileTrace | undefined {
    return this.timelines.current;
  }

  /**
   * Shows `trace` in the panel (created or revealed); resolves when the page loaded it. A
   * trace that breaks the schema throws here, before any panel opens.
   */
  show(trace: ProfileTrace, source: TraceSource): Promise<TraceLoaded> {
    checkTrace(trace, source.kind === 'file' ? path.basename(source.path) : 'the profile trace');
    return this.showChecked(trace, source);
  }

  private async showChecked(trace: ProfileTrace, source: TraceSource): Promise<TraceLoaded> {
    await this.context.workspaceState.update(SHOWN_TRACE_KEY, source);
    const { panel, view } = this.panel ?? this.adopt(vscode.window.createWebviewPanel(TIMELINE_VIEW_TYPE, 'Concurrency Lens: Timeline', vscode.ViewColumn.Beside, {}));
    panel.title = `Timeline: ${trace.target.function}`;
    panel.reveal(undefined, true);
    return view.show(trace);
  }

  private adopt(panel: vscode.WebviewPanel): { panel: vscode.WebviewPanel; view: TimelineWebview } {
    this.panel?.panel.dispose();
    const view = this.timelines.create(panel, this.context.extensionUri, this.log);
    const entry = { panel, view };
    this.panel = entry;
    panel.onDidDispose(() => {
      if (this.panel === entry) this.panel = undefined;
    });
    return entry;
  }

  private async restore(panel: vscode.WebviewPanel): Promise<void> {
    const { view } = this.adopt(panel);
    const source = this.context.workspaceState.get<TraceSource>(SHOWN_TRACE_KEY);
    try {
      if (!source) throw new Error('no trace was recorded for the panel');
      const trace = source.kind === 'stored' ? await this.history.load(source.id) : await readTraceFile(source.path);
      panel.title = `Timeline: ${trace.target.function}`;
      void view.show(trace);
    } catch (error) {
      this.log.warn(`The timeline panel could not be restored: ${error instanceof Error ? error.message : String(error)}`);
      panel.dispose();
    }
  }

  dispose(): void {
    this.panel?.panel.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

/** Opens `*.conclens-trace.json` files in the timeline instead of as text. */
class TraceEditorProvider implements vscode.CustomReadonlyEditorProvider {
  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly timelines: OpenTimelines,
  ) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  async resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): Promise<void> {
    const view = this.timelines.create(panel, this.extensionUri, this.log);
    try {
      const bytes = await vscode.workspace.fs.readFile(document.uri);
      void view.show(parseTrace(new TextDecoder().decode(bytes), path.basename(document.uri.path)));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.log.error(message);
      view.showError(message);
    }
  }
}
