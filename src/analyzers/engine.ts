import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AnalysisConfig } from '../shared/config';
import type { AnalysisResult } from '../shared/findings';
import { threadUnusable } from './analyzer-signals';
import { checkRun, compareNotices } from './check-run';
import { DEFAULT_MAX_FILE_BYTES } from './decode';
import { discoverSources, type ReadDirectory } from './discover';
import { summarizeFile, type FileOutcome } from './file-outcome';
import { applyTypeAwareMode } from './type-aware-run';
import { WorkerPool, type WorkerScript } from './worker-pool';

export { discoverFiles, discoverSources } from './discover';

export interface EngineOptions {
  config: AnalysisConfig;
  /** Exclude globs and relative paths are relative to this (default: the current directory). */
  root?: string;
  /** Worker threads; default: usable CPUs. 0 summarizes on the calling thread. */
  workers?: number;
  /** Without `workers`: a run with less source than this (bytes) stays on the calling thread. */
  inProcessBelowBytes?: number;
  /** Cancellation: stops promptly, terminates workers, rejects with an AbortError. */
  signal?: AbortSignal;
  onProgress?(done: number, total: number): void;
  /** On worker threads, a file whose analysis takes longer is stopped and gets a notice (default 120 s). */
  fileTimeoutMs?: number;
  /** Test seam: another worker entry point speaking the same protocol. */
  workerScript?: WorkerScript;
  /** Test seam: the directory listing of the walk. */
  readDirectory?: ReadDirectory;
}

export function abortError(signal: AbortSignal): DOMException {
  const reason: unknown = signal.reason;
  if (reason instanceof DOMException && reason.name === 'AbortError') return reason;
  return new DOMException('analysis cancelled', 'AbortError');
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

/** Races `work` against the signal so a cancel is seen even while a file is in flight. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    // Settling `work` here even after an abort keeps its late rejection from going unhandled.
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    if (signal.aborted) onAbort();
  });
}

async function totalBytes(files: string[]): Promise<number> {
  const sizes = await Promise.all(files.map((file) => stat(file).then((info) => info.size, () => 0)));
  return sizes.reduce((sum, size) => sum + size, 0);
}

async function threadCount(files: string[], options: EngineOptions): Promise<number> {
  if (options.workers !== undefined) return Math.min(options.workers, files.length);
  if (options.inProcessBelowBytes !== undefined && (await totalBytes(files)) < options.inProcessBelowBytes) return 0;
  return Math.min(os.availableParallelism(), files.length);
}

async function summarizeAll(files: string[], options: EngineOptions): Promise<FileOutcome[]> {
  const maxBytes = options.config.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const workers = await threadCount(files, options);
  const outcomes: FileOutcome[] = new Array(files.length);
  let done = 0;
  const record = (index: number, outcome: FileOutcome) => {
    outcomes[index] = outcome;
    options.onProgress?.(++done, files.length);
  };

  if (workers < 1) {
    // After a parser abort this thread cannot analyze any more: a fresh worker takes the rest.
    let fresh: WorkerPool | undefined;
    try {
      for (const [index, file] of files.entries()) {
        throwIfAborted(options.signal);
        const work = threadUnusable()
          ? (fresh ??= new WorkerPool(1, { script: options.workerScript, taskTimeoutMs: options.fileTimeoutMs })).run({ path: file, maxBytes })
          : summarizeFile(file, maxBytes);
        record(index, await untilAborted(work, options.signal));
      }
      return outcomes;
    } finally {
      await fresh?.terminate();
    }
  }

  const pool = new WorkerPool(workers, { script: options.workerScript, taskTimeoutMs: options.fileTimeoutMs });
  try {
    const all = Promise.all(files.map((file, index) => pool.run({ path: file, maxBytes }).then((o) => record(index, o))));
    await untilAborted(all, options.signal);
    return outcomes;
  } finally {
    await pool.terminate();
  }
}

/**
 * Analyzes every supported file under `paths` with worker threads and returns the run's result.
 * JS/TS files covered by a tsconfig.json / jsconfig.json are then analyzed type-aware. Paths
 * the walk skips (unreadable or vanished directories, FIFOs and devices given by name) are
 * notices and count as not analyzed.
 */
export async function analyzePaths(paths: string[], options: EngineOptions): Promise<AnalysisResult> {
  throwIfAborted(options.signal);
  const root = path.resolve(options.root ?? process.cwd());
  const discovery = await discoverSources(paths, { root, exclude: options.config.exclude, readDirectory: options.readDirectory });
  throwIfAborted(options.signal);
  const summarized = await summarizeAll(discovery.files, options);
  throwIfAborted(options.signal);
  const typed = await applyTypeAwareMode(summarized, root, options.config.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES);
  throwIfAborted(options.signal);
  const result = checkRun(typed.outcomes, options.config);
  if (typed.notices.length === 0 && discovery.notices.length === 0) return result;
  const notices = [...discovery.notices, ...result.notices, ...typed.notices].sort(compareNotices);
  return { ...result, notices, notAnalyzed: result.notAnalyzed + discovery.notices.length };
}
