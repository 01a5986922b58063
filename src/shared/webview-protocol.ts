/**
 * The one message protocol between the extension host and the timeline webview (and the
 * standalone report, which feeds the same messages to itself). Host → webview messages stream
 * a trace in bounded chunks so a million-span profile never travels as one giant message;
 * webview → host messages are few and every one is validated before the host acts on it.
 */
import type { CoreSample, LockSpan, ProfileTrace, Run, TaskSpan } from './trace';

export const WEBVIEW_PROTOCOL_VERSION = 1;

/** A run without its bulky arrays; they follow in `traceChunk` messages. */
export type RunHeader = Omit<Run, 'tasks' | 'lockSpans' | 'coreSamples'>;

/** The trace without any run's bulky arrays. */
export type TraceHeader = Omit<ProfileTrace, 'runs'> & { runs: RunHeader[] };

export type HostToWebview =
  | { type: 'traceBegin'; streamId: number; header: TraceHeader; totalItems: number }
  | {
      type: 'traceChunk';
      streamId: number;
      runIndex: number;
      tasks?: TaskSpan[];
      lockSpans?: LockSpan[];
      coreSamples?: CoreSample[];
    }
  | { type: 'traceEnd'; streamId: number }
  | { type: 'traceError'; message: string };

export interface RevealSourceMessage {
  type: 'revealSource';
  /** As recorded in the trace: relative to the workspace root. */
  file: string;
  /** One-based line; absent when only a function name is known (task spans). */
  line?: number;
  /** A function name the host can look up when the line is unknown. */
  symbol?: string;
}

export type WebviewToHost =
  | { type: 'ready'; protocolVersion: number }
  | RevealSourceMessage
  | { type: 'traceLoaded'; streamId: number; runs: number; tasks: number }
  | { type: 'viewState'; runKey: string | null; sideBySide: boolean }
  | { type: 'error'; message: string };

/** Items (tasks, lock spans, core samples) per chunk: a few MB of JSON at most. */
export const DEFAULT_CHUNK_ITEMS = 20_000;

/** Splits a trace into `traceBegin`, bounded `traceChunk`s and `traceEnd`, in order. */
export function* traceMessages(trace: ProfileTrace, streamId: number, chunkItems = DEFAULT_CHUNK_ITEMS): Generator<HostToWebview> {
  if (!Number.isInteger(chunkItems) || chunkItems < 1) throw new RangeError(`chunkItems must be a positive integer, got ${chunkItems}`);
  const runs: RunHeader[] = trace.runs.map((run) => {
    const { tasks: _tasks, lockSpans: _locks, coreSamples: _samples, ...header } = run;
    return header;
  });
  const totalItems = trace.runs.reduce((sum, r) => sum + r.tasks.length + r.lockSpans.length + r.coreSamples.length, 0);
  yield { type: 'traceBegin', streamId, header: { ...trace, runs }, totalItems };
  for (const [runIndex, run] of trace.runs.entries()) {
    for (let i = 0; i < run.tasks.length; i += chunkItems) {
      yield { type: 'traceChunk', streamId, runIndex, tasks: run.tasks.slice(i, i + chunkItems) };
    }
    for (let i = 0; i < run.lockSpans.length; i += chunkItems) {
      yield { type: 'traceChunk', streamId, runIndex, lockSpans: run.lockSpans.slice(i, i + chunkItems) };
    }
    for (let i = 0; i < run.coreSamples.length; i += chunkItems) {
      yield { type: 'traceChunk', streamId, runIndex, coreSamples: run.coreSamples.slice(i, i + chunkItems) };
    }
  }
  yield { type: 'traceEnd', streamId };
}

const MAX_TEXT = 4096;

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isText(x: unknown, allowEmpty = false): x is string {
  return typeof x === 'string' && x.length <= MAX_TEXT && (allowEmpty || x.length > 0) && !x.includes('\0');
}

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/** Keeps only the listed keys, so nothing unexpected reaches the host. */
function hasOnlyKeys(x: Record<string, unknown>, allowed: readonly string[]): boolean {
  return Object.keys(x).every((key) => allowed.includes(key));
}

/**
 * Accepts a message from the webview only if it is exactly one of the protocol's shapes;
 * anything else (a compromised or buggy webview) yields undefined and must be ignored.
 */
export function validateWebviewMessage(x: unknown): WebviewToHost | undefined {
  if (!isRecord(x) || typeof x.type !== 'string') return undefined;
  switch (x.type) {
    case 'ready':
      return hasOnlyKeys(x, ['type', 'protocolVersion']) && isCount(x.protocolVersion)
        ? { type: 'ready', protocolVersion: x.protocolVersion }
        : undefined;
    case 'revealSource': {
      if (!hasOnlyKeys(x, ['type', 'file', 'line', 'symbol']) || !isText(x.file)) return undefined;
      if (x.line !== undefined && !(isCount(x.line) && x.line >= 1)) return undefined;
      if (x.symbol !== undefined && !(isText(x.symbol) && /^[\p{L}_][\p{L}\p{N}_.]*$/u.test(x.symbol))) return undefined;
      if (x.line === undefined && x.symbol === undefined) return undefined;
      // Trace paths are workspace-relative or absolute (standard library locks); a parent escape
      // is never something the profiler wrote, so it is refused.
      if (x.file.split(/[\\/]/).includes('..')) return undefined;
      const message: RevealSourceMessage = { type: 'revealSource', file: x.file };
      if (x.line !== undefined) message.line = x.line;
      if (x.symbol !== undefined) message.symbol = x.symbol;
      return message;
    }
    case 'traceLoaded':
      return hasOnlyKeys(x, ['type', 'streamId', 'runs', 'tasks']) && isCount(x.streamId) && isCount(x.runs) && isCount(x.tasks)
        ? { type: 'traceLoaded', streamId: x.streamId, runs: x.runs, tasks: x.tasks }
        : undefined;
    case 'viewState':
      return hasOnlyKeys(x, ['type', 'runKey', 'sideBySide']) &&
        (x.runKey === null || isText(x.runKey)) &&
        typeof x.sideBySide === 'boolean'
        ? { type: 'viewState', runKey: x.runKey, sideBySide: x.sideBySide }
        : undefined;
    case 'error':
      return hasOnlyKeys(x, ['type', 'message']) && isText(x.message, true) ? { type: 'error', message: x.message } : undefined;
    default:
      return undefined;
  }
}
