import * as vscode from 'vscode';
import { AnalysisSession } from '../analyzers/session';
import { DEFAULT_MAX_FILE_BYTES, readSource } from '../analyzers/decode';
import { discoverSources, excludeMatcher } from '../analyzers/discover';
import type { SourceFile } from '../analyzers/language';
import { escapeForDisplay } from '../shared/display-text';
import type { AnalysisConfig } from '../shared/config';
import type { AnalysisResult } from '../shared/findings';
import { readSettings, resolveConfig, type ExtensionSettings } from './configuration';
import type { FindingsView } from './findingsView';
import { isAnalyzable } from './languages';

/** Files per `update` call of a workspace run: small enough for timely progress and cancel. */
const WORKSPACE_BATCH = 64;
const TYPING_DEBOUNCE_MS = 300;

export interface WorkspaceProgress {
  (analyzedFiles: number, totalFiles: number): void;
}

/** A workspace run under way: files analyzed so far of those found. */
export interface WorkspaceActivity {
  done: number;
  total: number;
}

/**
 * Keeps one AnalysisSession in step with the editor: open documents (their unsaved text),
 * workspace runs and configuration. Session calls are serialized so results always reflect
 * the latest completed update, and every change republishes the diagnostics.
 */
export class AnalysisController implements vscode.Disposable {
  private session: AnalysisSession | undefined;
  private sessionWorkers = 0;
  private settings: ExtensionSettings = readSettings();
  private config: AnalysisConfig = { rules: {}, exclude: [] };
  private queue: Promise<unknown> = Promise.resolve();
  /** Counts reconfigure() calls, so a slow one cannot overwrite the result of a newer one. */
  private configGeneration = 0;
  private readonly typingTimers = new Map<string, NodeJS.Timeout>();
  private readonly loggedNotices = new Set<string>();
  /** Paths currently held by the session, so "Clear" and file deletion can drop them. */
  private readonly sessionPaths = new Set<string>();
  private readonly activity = new vscode.EventEmitter<WorkspaceActivity | undefined>();
  /** Fires while a workspace run progresses, and with undefined when it ends. */
  readonly onDidChangeActivity = this.activity.event;

  constructor(
    private readonly view: FindingsView,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  get enabled(): boolean {
    return this.settings.enable;
  }

  get analyzeOnType(): boolean {
    return this.settings.analyzeOnType;
  }

  /** The first local workspace folder: where conclens.json is read and exclude globs are anchored. */
  get root(): string | undefined {
    return vscode.workspace.workspaceFolders?.find((folder) => folder.uri.scheme === 'file')?.uri.fsPath;
  }

  /**
   * Re-reads settings and conclens.json, then re-checks what the session holds under the new
   * config. Returns false when a later call overtook this one (its reads are stale).
   */
  async reconfigure(): Promise<boolean> {
    const generation = ++this.configGeneration;
    const settings = readSettings();
    const resolved = await resolveConfig(settings, this.root);
    if (generation !== this.configGeneration) return false;
    this.settings = settings;
    if (resolved.file) this.log.info(`Using ${resolved.file} (settings override it).`);
    for (const problem of resolved.problems) this.log.warn(problem);
    this.config = resolved.config;
    let carriedOver: string[] = [];
    await this.enqueueLogged(() => {
      if (!this.settings.enable) {
        this.resetSession();
        this.view.clear();
        return;
      }
      if (this.session && this.sessionWorkers !== this.settings.maxWorkers) {
        // The worker count is fixed per session: start a new one and re-read what the old one held.
        carriedOver = [...this.sessionPaths];
        this.resetSession();
      }
      this.currentSession().setConfig(this.config);
      // With files carried over, the refresh publishes; publishing now would blank them for a moment.
      if (carriedOver.length === 0) this.publish();
    });
    if (carriedOver.length > 0) await this.refreshFromDisk(carriedOver);
    return true;
  }

  isExcluded(filePath: string): boolean {
    const root = this.root;
    return root !== undefined && excludeMatcher(this.config.exclude, root)(filePath);
  }

  /** Debounced analysis while typing. */
  scheduleDocument(document: vscode.TextDocument): void {
    const key = document.uri.toString();
    clearTimeout(this.typingTimers.get(key));
    this.typingTimers.set(
      key,
      setTimeout(() => {
        this.typingTimers.delete(key);
        // Settings may have turned typing analysis off since this edit was scheduled.
        if (this.settings.analyzeOnType) void this.analyzeDocument(document);
      }, TYPING_DEBOUNCE_MS),
    );
  }

  async analyzeDocument(document: vscode.TextDocument): Promise<void> {
    if (!this.settings.enable || !isAnalyzable(document) || this.isExcluded(document.uri.fsPath)) return;
    const file = { path: document.uri.fsPath, text: document.getText() };
    await this.enqueueLogged(async () => {
      await this.currentSession().update([file]);
      this.sessionPaths.add(file.path);
      this.publish();
    });
  }

  /** Shown documents the session does not hold yet (after "Clear Findings", say) get analyzed. */
  async analyzeIfUnknown(document: vscode.TextDocument): Promise<void> {
    // Checked when it runs, not when the editor became visible: an edit may have come between.
    const unsavedAllowed = this.settings.analyzeOnType || !document.isDirty;
    if (unsavedAllowed && !this.sessionPaths.has(document.uri.fsPath)) await this.analyzeDocument(document);
  }

  /**
   * A closed document keeps its findings; when it closes with unsaved edits the session goes
   * back to the text on disk (or forgets a file that is gone).
   */
  async documentClosed(document: vscode.TextDocument): Promise<void> {
    clearTimeout(this.typingTimers.get(document.uri.toString()));
    if (!document.isDirty || !this.sessionPaths.has(document.uri.fsPath)) return;
    await this.refreshFromDisk([document.uri.fsPath]);
  }

  /**
   * Files the session holds that changed on disk (git checkout, a formatter). Unsaved edits
   * win over the disk: a dirty document keeps its text until it is saved or reverted.
   */
  async filesChangedOnDisk(paths: readonly string[]): Promise<void> {
    const dirty = new Set(vscode.workspace.textDocuments.filter((d) => d.isDirty).map((d) => d.uri.fsPath));
    const stale = paths.filter((filePath) => this.sessionPaths.has(filePath) && !dirty.has(filePath));
    if (stale.length > 0) await this.refreshFromDisk(stale);
  }

  async filesDeleted(paths: readonly string[]): Promise<void> {
    await this.enqueueLogged(() => {
      for (const filePath of paths) this.forget(filePath);
      this.publish();
    });
  }

  private async refreshFromDisk(paths: readonly string[]): Promise<void> {
    await this.enqueueLogged(async () => {
      // Read in turn with the other session work: text read before a deletion that is queued
      // first would bring the deleted file, and its findings, back for good.
      const files = await this.readFiles(paths);
      for (const filePath of paths) if (!files.some((f) => f.path === filePath)) this.forget(filePath);
      await this.currentSession().update(files);
      for (const file of files) this.sessionPaths.add(file.path);
      this.publish();
    });
  }

  /** Analyzes every file of the workspace folders; open documents count with their unsaved text. */
  async analyzeWorkspace(signal: AbortSignal, progress: WorkspaceProgress): Promise<AnalysisResult | undefined> {
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
    if (!this.settings.enable || folders.length === 0) return undefined;
    const report = (done: number, total: number) => {
      this.activity.fire({ done, total });
      progress(done, total);
    };
    this.activity.fire({ done: 0, total: 0 });
    try {
      const { files: paths, notices } = await discoverSources(folders, { root: this.root, exclude: this.config.exclude });
      for (const notice of notices) this.logNotice(notice.file, notice.message);
      return await this.enqueue(async () => {
        const discovered = new Set(paths);
        for (const stale of [...this.sessionPaths].filter((p) => !discovered.has(p))) this.forget(stale);
        report(0, paths.length);
        try {
          for (let start = 0; start < paths.length; start += WORKSPACE_BATCH) {
            signal.throwIfAborted();
            const batch = await this.readFiles(paths.slice(start, start + WORKSPACE_BATCH));
            await this.currentSession().update(batch, signal);
            for (const file of batch) this.sessionPaths.add(file.path);
            report(Math.min(start + WORKSPACE_BATCH, paths.length), paths.length);
          }
        } finally {
          // A cancelled run still shows what it found so far.
          this.publish();
        }
        return this.currentSession().results();
      });
    } finally {
      this.activity.fire(undefined);
    }
  }

  /** Drops every finding and everything the session holds; the next edit or run starts over. */
  async clear(): Promise<void> {
    await this.enqueueLogged(() => {
      this.resetSession();
      this.view.clear();
    });
  }

  private async readFiles(paths: readonly string[]): Promise<SourceFile[]> {
    const openText = new Map(vscode.workspace.textDocuments.map((d) => [d.uri.fsPath, d] as const));
    const files = await Promise.all(
      paths.map(async (filePath): Promise<SourceFile | undefined> => {
        const open = openText.get(filePath);
        // Unsaved text counts only when the user wants analysis while typing.
        if (open?.isDirty && this.settings.analyzeOnType) return { path: filePath, text: open.getText() };
        // Only a regular file within the size limit is read: a path swapped for a FIFO since the
        // walk cannot hang the editor.
        const read = await readSource(filePath, this.config.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES);
        if (read.ok) return { path: filePath, text: read.text };
        // A file deleted since it was listed is simply gone; anything else is worth a line.
        if (!read.message.includes('ENOENT')) this.logNotice(filePath, read.message);
        return undefined;
      }),
    );
    return files.filter((file): file is SourceFile => file !== undefined);
  }

  private forget(filePath: string): void {
    this.session?.remove(filePath);
    this.sessionPaths.delete(filePath);
  }

  private currentSession(): AnalysisSession {
    if (!this.session) {
      this.sessionWorkers = this.settings.maxWorkers;
      this.session = new AnalysisSession({
        config: this.config,
        root: this.root,
        workers: this.settings.maxWorkers > 0 ? this.settings.maxWorkers : undefined,
      });
    }
    return this.session;
  }

  private resetSession(): void {
    this.session?.dispose();
    this.session = undefined;
    this.sessionPaths.clear();
  }

  private publish(): void {
    if (!this.session) return;
    const result = this.session.results();
    for (const notice of result.notices) this.logNotice(notice.file, notice.message);
    this.view.publish(result);
  }

  /** Each notice once in the output channel, escaped like every path the CLI shows. */
  private logNotice(file: string, message: string): void {
    const line = escapeForDisplay(`${file}: ${message}`);
    if (this.loggedNotices.has(line)) return;
    this.loggedNotices.add(line);
    this.log.warn(line);
  }

  /** Runs session work one task at a time; a failed task is logged and does not block the next. */
  private enqueue<T>(task: () => T | Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.catch((error: unknown) => {
      if (!(error instanceof Error && error.name === 'AbortError')) this.log.error(`Analysis failed: ${describe(error)}`);
    });
    return run;
  }

  /** For work started by editor events: failures are already in the log, nobody awaits a reason. */
  private async enqueueLogged(task: () => void | Promise<void>): Promise<void> {
    await this.enqueue(task).catch(() => undefined);
  }

  dispose(): void {
    for (const timer of this.typingTimers.values()) clearTimeout(timer);
    this.resetSession();
    this.activity.dispose();
  }
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
