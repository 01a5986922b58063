import path from 'node:path';
import type { AnalysisConfig } from '../shared/config';
import type { AnalysisResult, Notice } from '../shared/findings';
import { threadUnusable } from './analyzer-signals';
import { checkRun } from './check-run';
import { DEFAULT_MAX_FILE_BYTES, formatBytes } from './decode';
import { excludeMatcher } from './discover';
import { throwIfAborted } from './engine';
import { summarizeSource, type FileOutcome } from './file-outcome';
import { analyzerForPath } from './index';
import type { SourceFile } from './language';
import { SessionProjects } from './session-projects';
import { WorkerPool, type WorkerScript } from './worker-pool';

export interface AnalysisSessionOptions {
  config: AnalysisConfig;
  root?: string;
  /** Worker threads for big files (default 1: edits arrive one file at a time). */
  workers?: number;
  /** Files larger than this (UTF-8 bytes) are summarized on a worker thread (default 256 KiB). */
  workerThresholdBytes?: number;
  /** Test seam: another worker entry point speaking the same protocol. */
  workerScript?: WorkerScript;
}

/**
 * The editor's incremental engine: keeps one summary per open or saved file and re-runs
 * only the cheap cross-file check when something changes. Small files are summarized on
 * the calling thread (a worker round trip costs more than parsing them); big ones go to a
 * worker so the extension host's main thread never stalls on them. JS/TS files a
 * tsconfig.json / jsconfig.json covers are then summarized type-aware against a Program kept
 * per project (see SessionProjects for the measurements behind that choice).
 */
export class AnalysisSession {
  private config: AnalysisConfig;
  private readonly root: string;
  private isExcluded: (file: string) => boolean;
  /** Exclude globs that cannot be used: reported with the results, left out of the matcher. */
  private excludeNotices: Notice[] = [];
  private readonly outcomes = new Map<string, FileOutcome>();
  private readonly projects: SessionProjects;
  private pool: WorkerPool | undefined;
  /** The last results, valid until the files or the configuration change. */
  private latest: AnalysisResult | undefined;

  constructor(private readonly options: AnalysisSessionOptions) {
    this.config = options.config;
    this.root = path.resolve(options.root ?? process.cwd());
    this.isExcluded = this.excludeMatcher(this.config.exclude);
    this.projects = new SessionProjects(this.root);
  }

  setConfig(config: AnalysisConfig): void {
    this.config = config;
    this.latest = undefined;
    this.isExcluded = this.excludeMatcher(config.exclude);
    for (const file of this.outcomes.keys()) if (this.isExcluded(file)) this.outcomes.delete(file);
  }

  /** Summarizes `files` and caches the results; nothing is cached if the signal aborts. */
  async update(files: SourceFile[], signal?: AbortSignal): Promise<void> {
    const relevant = files.filter((file) => analyzerForPath(file.path) && !this.isExcluded(file.path));
    const threshold = this.options.workerThresholdBytes ?? 256 * 1024;
    const maxBytes = this.config.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    let fresh: FileOutcome[] = [];
    for (const file of relevant) {
      throwIfAborted(signal);
      const bytes = Buffer.byteLength(file.text, 'utf8');
      if (bytes > maxBytes) {
        fresh.push({ kind: 'notice', path: file.path, message: `skipped: ${formatBytes(bytes)} is over the ${formatBytes(maxBytes)} size limit (maxFileBytes)`, lines: 0 });
      } else if (bytes > threshold || threadUnusable()) {
        // A thread whose parser aborted cannot analyze any more: the worker takes every file then.
        fresh.push(await this.onWorker(file, maxBytes, signal));
      } else {
        fresh.push(await summarizeSource(file));
      }
    }
    throwIfAborted(signal);
    // Files big enough for a worker stay syntax-only here: type-aware analysis runs on this thread.
    const small = relevant.filter((file) => Buffer.byteLength(file.text, 'utf8') <= threshold);
    fresh = this.projects.apply(fresh, new Map(small.map((file) => [file.path, file.text])));
    for (const outcome of fresh) this.outcomes.set(outcome.path, outcome);
    if (fresh.length > 0) this.latest = undefined;
  }

  remove(filePath: string): void {
    this.projects.forget(filePath);
    if (this.outcomes.delete(filePath)) this.latest = undefined;
  }

  /**
   * The cross-file check runs on the calling thread, so it is only re-run after a change; the
   * same (read-only) result object is returned until then.
   */
  results(): AnalysisResult {
    if (!this.latest) {
      const result = checkRun(this.outcomes.values(), this.config);
      const extraNotices = [...this.excludeNotices, ...this.projects.notices()];
      this.latest = extraNotices.length === 0 ? result : { ...result, notices: [...result.notices, ...extraNotices] };
    }
    return this.latest;
  }

  dispose(): void {
    void this.pool?.terminate();
    this.pool = undefined;
    this.projects.dispose();
    this.outcomes.clear();
    this.latest = undefined;
  }

  private excludeMatcher(exclude: string[]): (file: string) => boolean {
    this.excludeNotices = [];
    return excludeMatcher(exclude, this.root, (problem) => this.excludeNotices.push({ file: '', message: `${problem.message}; the glob is ignored` }));
  }

  private async onWorker(file: SourceFile, maxBytes: number, signal: AbortSignal | undefined): Promise<FileOutcome> {
    this.pool ??= new WorkerPool(this.options.workers ?? 1, { script: this.options.workerScript });
    const pool = this.pool;
    const work = pool.run({ path: file.path, text: file.text, maxBytes });
    if (!signal) return work;
    // Cancelling a big file stops its worker outright; the next big file gets a fresh pool.
    const onAbort = () => {
      if (this.pool === pool) this.pool = undefined;
      void pool.terminate();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await work;
    } catch (error) {
      throwIfAborted(signal);
      throw error;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }
}
