import os from 'node:os';
import path from 'node:path';
import type { AnalysisConfig } from '../shared/config';
import type { AnalysisResult } from '../shared/findings';
import { checkRun } from './check-run';
import { DEFAULT_MAX_FILE_BYTES } from './decode';
import { discoverFiles } from './discover';
import { summarizeFile, type FileOutcome } from './file-outcome';
import { applyTypeAwareMode } from './type-aware-run';
import { WorkerPool, type WorkerScript } from './worker-pool';

export { discoverFiles } from './discover';

export interface EngineOptions {
  config: AnalysisConfig;
  /** Exclude globs and relative paths are relative to this (default: the current directory). */
  root?: string;
  /** Worker threads; default: usable CPUs. 0 summarizes on the calling thread. */
  workers?: number;
  /** Cancellation: stops promptly, terminates workers, rejects with an AbortError. */
  signal?: AbortSignal;
  onProgress?(done: number, total: number): void;
  /** On worker threads, a file whose analysis takes longer is stopped and gets a notice (default 120 s). */
  fileTimeoutMs?: number;
  /** Test seam: another worker entry point speaking the same protocol. */
  workerScript?: WorkerScript;
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

async function summarizeAll(files: string[], options: EngineOptions): Promise<FileOutcome[]> {
  const maxBytes = options.config.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const workers = Math.min(options.workers ?? os.availableParallelism(), files.length);
  const outcomes: FileOutcome[] = new Array(files.length);
  let done = 0;
  const record = (index: number, outcome: FileOutcome) => {
    outcomes[index] = outcome;
    options.onProgress?.(++done, files.length);
  };

  if (workers < 1) {
    for (const [index, file] of files.entries()) {
      throwIfAborted(options.signal);
      record(index, await untilAborted(summarizeFile(file, maxBytes), options.signal));
    }
    return outcomes;
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
 * JS/TS files covered by a tsconfig.json / jsconfig.json are then analyzed type-aware.
 */
export async function analyzePaths(paths: string[], options: EngineOptions): Promise<AnalysisResult> {
  throwIfAborted(options.signal);
  const root = path.resolve(options.root ?? process.cwd());
  const files = await discoverFiles(paths, { root, exclude: options.config.exclude });
  throwIfAborted(options.signal);
  const summarized = await summarizeAll(files, options);
  throwIfAborted(options.signal);
  const typed = await applyTypeAwareMode(summarized, root, options.config.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES);
  throwIfAborted(options.signal);
  const result = checkRun(typed.outcomes, options.config);
  if (typed.notices.length === 0) return result;
  const notices = [...result.notices, ...typed.notices].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return { ...result, notices };
}
