/**
 * The one message protocol between the extension host and the timeline webview (and the
 * standalone report, which feeds the same messages to itself). Host → webview messages stream
 * a trace in bounded chunks so a million-span profile never travels as one giant message, and
 * spans travel packed in Float64Arrays (copied as one block by postMessage instead of
 * cloning a million objects); webview → host messages are few and every one is validated
 * before the host acts on it.
 *
 * Host side, in order: build the page with buildPanelHtml (src/profiler/html-report.ts) with
 * `localResourceRoots` = the dist folder; wait for `ready`; post every message of
 * `traceMessages(trace, streamId)` in order (a new streamId per trace replaces the old one);
 * pass every incoming message through `validateWebviewMessage` and ignore undefined. On
 * `revealSource` open `file` at `line`, or find `symbol`'s definition when only that is given.
 */
import type { CoreSample, LockSpan, ProfileTrace, Run, SourceSite, TaskError, TaskSpan } from './trace';

export const WEBVIEW_PROTOCOL_VERSION = 1;

/** A run without its bulky arrays; they follow in `traceChunk` messages. */
export type RunHeader = Omit<Run, 'tasks' | 'lockSpans' | 'coreSamples'>;

/** The trace without any run's bulky arrays. */
export type TraceHeader = Omit<ProfileTrace, 'runs'> & { runs: RunHeader[] };

/** Per task, in this order; null decomposition fields are NaN; fields of another runtime or kind are 0. */
export const TASK_FIELDS = [
  'index',
  'pid',
  'tid',
  'worker',
  'startNs',
  'endNs',
  'coreStart',
  'coreEnd',
  'cpuNs',
  'runqNs',
  'blockedNs',
  'lockWaitNs',
  'gilWaitNs',
  'ioNs',
  'sleepNs',
  'samples',
  // Node (0 for Python)
  'gcNs',
  'argsDeserializeNs',
  'resultSerializeNs',
  // async runs (0 otherwise)
  'loopBusyNs',
  // dask runs (0 otherwise)
  'schedulerLatencyNs',
  'resultLatencyNs',
] as const;
export const TASK_STRIDE = TASK_FIELDS.length;

/** Where each field sits among a task's TASK_STRIDE numbers. */
export const TASK_FIELD = Object.fromEntries(TASK_FIELDS.map((name, i) => [name, i])) as Readonly<Record<(typeof TASK_FIELDS)[number], number>>;

export interface PackedTasks {
  count: number;
  /** TASK_STRIDE numbers per task, in TASK_FIELDS order. */
  data: Float64Array;
  /** The few tasks that raised, by position in this chunk. */
  errors: { at: number; error: TaskError }[];
}

/** Per lock span: pid, tid, requestNs, acquiredNs, releasedNs, index into the chunk's `sites`. */
export const LOCK_STRIDE = 6;

export interface PackedLocks {
  count: number;
  data: Float64Array;
  sites: SourceSite[];
}

export type HostToWebview =
  | { type: 'traceBegin'; streamId: number; header: TraceHeader; totalItems: number }
  | {
      type: 'traceChunk';
      streamId: number;
      runIndex: number;
      tasks?: PackedTasks;
      lockSpans?: PackedLocks;
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

export function packTasks(tasks: readonly TaskSpan[]): PackedTasks {
  const data = new Float64Array(tasks.length * TASK_STRIDE);
  const errors: PackedTasks['errors'] = [];
  tasks.forEach((t, i) => {
    const d = t.decomposition;
    const s = t.serialization;
    const values = [
      ...[t.index, t.pid, t.tid, t.worker, t.startNs, t.endNs, t.coreStart, t.coreEnd],
      ...[d.cpuNs, d.runqNs, d.blockedNs, d.lockWaitNs, d.gilWaitNs ?? NaN, d.ioNs ?? NaN, d.sleepNs ?? NaN, d.samples],
      ...[t.gcNs ?? 0, s ? s.argsDeserialize[1] - s.argsDeserialize[0] : 0, s ? s.resultSerialize[1] - s.resultSerialize[0] : 0],
      ...[d.loopBusyNs ?? 0, t.dask?.schedulerLatencyNs ?? 0, t.dask?.resultLatencyNs ?? 0],
    ];
    data.set(values, i * TASK_STRIDE);
    if (t.error) errors.push({ at: i, error: t.error });
  });
  return { count: tasks.length, data, errors };
}

export function packLocks(spans: readonly LockSpan[]): PackedLocks {
  const data = new Float64Array(spans.length * LOCK_STRIDE);
  const sites: SourceSite[] = [];
  const siteIndex = new Map<string, number>();
  spans.forEach((span, i) => {
    const key = `${span.site.line}:${span.site.file}`;
    let site = siteIndex.get(key);
    if (site === undefined) {
      site = sites.length;
      siteIndex.set(key, site);
      sites.push({ file: span.site.file, line: span.site.line });
    }
    data.set([span.pid, span.tid, span.requestNs, span.acquiredNs, span.releasedNs, site], i * LOCK_STRIDE);
  });
  return { count: spans.length, data, sites };
}

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
      yield { type: 'traceChunk', streamId, runIndex, tasks: packTasks(run.tasks.slice(i, i + chunkItems)) };
    }
    for (let i = 0; i < run.lockSpans.length; i += chunkItems) {
      yield { type: 'traceChunk', streamId, runIndex, lockSpans: packLocks(run.lockSpans.slice(i, i + chunkItems)) };
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
