/**
 * The timeline's data model: the streamed trace turned into per-lane, time-sorted typed
 * arrays so drawing can binary-search the visible window and never walks objects. Times are
 * nanoseconds relative to their run's start, which is also what makes side-by-side runs share
 * one axis. Pure (no DOM) so it is unit-tested in node.
 */
import type { CoreSample, LockSpan, PoolKind, TaskError, TaskSpan } from '../shared/trace';
import type { HostToWebview, RunHeader, TraceHeader } from '../shared/webview-protocol';
import { STATE_COUNT, stateDurations } from './states';

export interface Lane {
  runIndex: number;
  pid: number;
  tid: number;
  label: string;
  tasks: TaskColumns;
  locks: LockColumns;
}

export interface TaskColumns {
  count: number;
  start: Float64Array;
  end: Float64Array;
  /** Running maximum of `end`, so the first visible task is found by binary search even if tasks overlap. */
  maxEnd: Float64Array;
  /** STATE_COUNT durations per task. */
  states: Float64Array;
  index: Uint32Array;
  worker: Int32Array;
  coreStart: Int32Array;
  coreEnd: Int32Array;
  /** Task errors by position in this lane (rare, so a map). */
  errors: Map<number, TaskError>;
}

export interface LockColumns {
  count: number;
  request: Float64Array;
  acquired: Float64Array;
  released: Float64Array;
  maxReleased: Float64Array;
  site: Uint32Array;
}

export interface LockSite {
  key: string;
  file: string;
  line: number;
}

/** A release that let a waiting thread acquire the lock. */
export interface WakeArrows {
  count: number;
  fromLane: Uint32Array;
  fromNs: Float64Array;
  toLane: Uint32Array;
  toNs: Float64Array;
  site: Uint32Array;
}

export interface CoreStrip {
  cores: number;
  /** Sample end times, relative to the run start, ascending. */
  time: Float64Array;
  /** `cores` busy shares per sample, 0..1. */
  busy: Float32Array;
}

export interface ProcessInfo {
  pid: number;
  peakRssBytes: number | null;
  firstNs: number;
  lastNs: number;
  lanes: number[];
}

export interface RunModel {
  index: number;
  key: string;
  header: RunHeader;
  lanes: number[];
  processes: ProcessInfo[];
  cores: CoreStrip;
  wakes: WakeArrows;
  taskCount: number;
  lockSpanCount: number;
}

export interface TraceModel {
  header: TraceHeader;
  runs: RunModel[];
  lanes: Lane[];
  sites: LockSite[];
  totalTasks: number;
}

export function runKey(run: { kind: PoolKind; workers: number; repetition: number }): string {
  return `${run.kind}:${run.workers}:${run.repetition}`;
}

export function siteKey(site: { file: string; line: number }): string {
  return `${site.file}:${site.line}`;
}

interface RunBuffer {
  tasks: TaskSpan[][];
  locks: LockSpan[][];
  samples: CoreSample[][];
}

/**
 * Collects a streamed trace. Chunks are kept as received (arrays of plain objects) until
 * `finish`, which builds the columns once and drops the objects.
 */
export class TraceAssembler {
  private header: TraceHeader | null = null;
  private streamId = -1;
  private buffers: RunBuffer[] = [];
  private received = 0;

  /** Returns the finished model on `traceEnd`, else null. Throws on a malformed stream. */
  accept(message: HostToWebview): TraceModel | null {
    switch (message.type) {
      case 'traceBegin':
        this.header = message.header;
        this.streamId = message.streamId;
        this.received = 0;
        this.buffers = message.header.runs.map(() => ({ tasks: [], locks: [], samples: [] }));
        return null;
      case 'traceChunk': {
        if (message.streamId !== this.streamId || !this.header) return null;
        const buffer = this.buffers[message.runIndex];
        if (!buffer) throw new Error(`trace chunk for run ${message.runIndex}, but the trace has ${this.buffers.length} runs`);
        if (message.tasks) buffer.tasks.push(message.tasks);
        if (message.lockSpans) buffer.locks.push(message.lockSpans);
        if (message.coreSamples) buffer.samples.push(message.coreSamples);
        this.received += (message.tasks?.length ?? 0) + (message.lockSpans?.length ?? 0) + (message.coreSamples?.length ?? 0);
        return null;
      }
      case 'traceEnd': {
        if (message.streamId !== this.streamId || !this.header) return null;
        const model = buildModel(this.header, this.buffers);
        this.header = null;
        this.buffers = [];
        return model;
      }
      case 'traceError':
        throw new Error(message.message);
    }
  }

  get itemsReceived(): number {
    return this.received;
  }
}

function buildModel(header: TraceHeader, buffers: RunBuffer[]): TraceModel {
  const lanes: Lane[] = [];
  const sites: LockSite[] = [];
  const siteIndex = new Map<string, number>();
  const internSite = (site: { file: string; line: number }): number => {
    const key = siteKey(site);
    let index = siteIndex.get(key);
    if (index === undefined) {
      index = sites.length;
      siteIndex.set(key, index);
      sites.push({ key, file: site.file, line: site.line });
    }
    return index;
  };
  const runs = header.runs.map((run, index) => buildRun(index, run, buffers[index] ?? { tasks: [], locks: [], samples: [] }, lanes, internSite));
  return { header, runs, lanes, sites, totalTasks: runs.reduce((sum, r) => sum + r.taskCount, 0) };
}

function buildRun(
  index: number,
  header: RunHeader,
  buffer: RunBuffer,
  lanes: Lane[],
  internSite: (site: { file: string; line: number }) => number,
): RunModel {
  const origin = header.startNs;
  const byThread = new Map<string, { pid: number; tid: number; tasks: TaskSpan[]; locks: LockSpan[] }>();
  const thread = (pid: number, tid: number) => {
    const key = `${pid}/${tid}`;
    let entry = byThread.get(key);
    if (!entry) byThread.set(key, (entry = { pid, tid, tasks: [], locks: [] }));
    return entry;
  };
  let taskCount = 0;
  let lockSpanCount = 0;
  for (const chunk of buffer.tasks) {
    for (const task of chunk) thread(task.pid, task.tid).tasks.push(task);
    taskCount += chunk.length;
  }
  for (const chunk of buffer.locks) {
    for (const span of chunk) thread(span.pid, span.tid).locks.push(span);
    lockSpanCount += chunk.length;
  }

  const threads = [...byThread.values()].sort((a, b) => a.pid - b.pid || a.tid - b.tid);
  const laneIds: number[] = [];
  const processes = new Map<number, ProcessInfo>();
  for (const t of threads) {
    const laneId = lanes.length;
    const workers = new Set(t.tasks.map((task) => task.worker));
    const workerText = workers.size === 1 ? ` · worker ${[...workers][0]}` : '';
    const tasks = taskColumns(t.tasks, origin);
    lanes.push({ runIndex: index, pid: t.pid, tid: t.tid, label: `tid ${t.tid}${workerText}`, tasks, locks: lockColumns(t.locks, origin, internSite) });
    laneIds.push(laneId);
    let proc = processes.get(t.pid);
    if (!proc) processes.set(t.pid, (proc = { pid: t.pid, peakRssBytes: null, firstNs: Infinity, lastNs: -Infinity, lanes: [] }));
    proc.lanes.push(laneId);
    if (tasks.count > 0) {
      proc.firstNs = Math.min(proc.firstNs, tasks.start[0]!);
      proc.lastNs = Math.max(proc.lastNs, tasks.maxEnd[tasks.count - 1]!);
    }
  }
  for (const memory of header.memory) {
    const proc = processes.get(memory.pid);
    if (proc) proc.peakRssBytes = memory.peakRssBytes;
  }
  for (const proc of processes.values()) {
    if (Number.isFinite(proc.firstNs)) continue;
    proc.firstNs = 0;
    proc.lastNs = 0;
  }
  return {
    index,
    key: runKey(header),
    header,
    lanes: laneIds,
    processes: [...processes.values()],
    cores: coreStrip(buffer.samples.flat(), origin),
    wakes: wakeArrows(lanes, laneIds),
    taskCount,
    lockSpanCount,
  };
}

function taskColumns(tasks: TaskSpan[], origin: number): TaskColumns {
  tasks.sort((a, b) => a.startNs - b.startNs);
  const n = tasks.length;
  const columns: TaskColumns = {
    count: n,
    start: new Float64Array(n),
    end: new Float64Array(n),
    maxEnd: new Float64Array(n),
    states: new Float64Array(n * STATE_COUNT),
    index: new Uint32Array(n),
    worker: new Int32Array(n),
    coreStart: new Int32Array(n),
    coreEnd: new Int32Array(n),
    errors: new Map(),
  };
  let maxEnd = -Infinity;
  tasks.forEach((task, i) => {
    const start = task.startNs - origin;
    const end = Math.max(start, task.endNs - origin);
    columns.start[i] = start;
    columns.end[i] = end;
    maxEnd = Math.max(maxEnd, end);
    columns.maxEnd[i] = maxEnd;
    stateDurations(end - start, task.decomposition, columns.states, i * STATE_COUNT);
    columns.index[i] = task.index;
    columns.worker[i] = task.worker;
    columns.coreStart[i] = task.coreStart;
    columns.coreEnd[i] = task.coreEnd;
    if (task.error) columns.errors.set(i, task.error);
  });
  return columns;
}

function lockColumns(spans: LockSpan[], origin: number, internSite: (site: { file: string; line: number }) => number): LockColumns {
  spans.sort((a, b) => a.requestNs - b.requestNs);
  const n = spans.length;
  const columns: LockColumns = {
    count: n,
    request: new Float64Array(n),
    acquired: new Float64Array(n),
    released: new Float64Array(n),
    maxReleased: new Float64Array(n),
    site: new Uint32Array(n),
  };
  let maxReleased = -Infinity;
  spans.forEach((span, i) => {
    columns.request[i] = span.requestNs - origin;
    columns.acquired[i] = Math.max(span.requestNs, span.acquiredNs) - origin;
    columns.released[i] = Math.max(span.acquiredNs, span.releasedNs, span.requestNs) - origin;
    maxReleased = Math.max(maxReleased, columns.released[i]!);
    columns.maxReleased[i] = maxReleased;
    columns.site[i] = internSite(span.site);
  });
  return columns;
}

function coreStrip(samples: CoreSample[], origin: number): CoreStrip {
  samples.sort((a, b) => a.timeNs - b.timeNs);
  const cores = samples.reduce((max, s) => Math.max(max, s.busy.length), 0);
  const time = new Float64Array(samples.length);
  const busy = new Float32Array(samples.length * cores);
  samples.forEach((sample, i) => {
    time[i] = sample.timeNs - origin;
    sample.busy.forEach((share, core) => (busy[i * cores + core] = Math.min(1, Math.max(0, share))));
  });
  return { cores, time, busy };
}

/**
 * For each contended acquisition, the release of the same lock (same creation site, same
 * process: a process pool has one lock per process) that happened last before it: that
 * release is what woke the waiter.
 */
export function wakeArrows(lanes: readonly Lane[], laneIds: readonly number[]): WakeArrows {
  interface Hold { lane: number; request: number; acquired: number; released: number; site: number }
  const groups = new Map<string, Hold[]>();
  for (const laneId of laneIds) {
    const lane = lanes[laneId]!;
    const locks = lane.locks;
    for (let i = 0; i < locks.count; i++) {
      const key = `${lane.pid}/${locks.site[i]}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = []));
      group.push({ lane: laneId, request: locks.request[i]!, acquired: locks.acquired[i]!, released: locks.released[i]!, site: locks.site[i]! });
    }
  }
  const from: number[] = [];
  const fromNs: number[] = [];
  const to: number[] = [];
  const toNs: number[] = [];
  const site: number[] = [];
  for (const holds of groups.values()) {
    const byRelease = [...holds].sort((a, b) => a.released - b.released);
    const releases = Float64Array.from(byRelease, (h) => h.released);
    for (const waiter of holds) {
      if (waiter.acquired <= waiter.request) continue;
      // Last release at or before the acquisition, by another holder, while the waiter waited.
      let i = upperBound(releases, waiter.acquired) - 1;
      while (i >= 0 && byRelease[i] === waiter) i--;
      const waker = byRelease[i];
      if (!waker || waker.released < waiter.request) continue;
      from.push(waker.lane);
      fromNs.push(waker.released);
      to.push(waiter.lane);
      toNs.push(waiter.acquired);
      site.push(waiter.site);
    }
  }
  return {
    count: from.length,
    fromLane: Uint32Array.from(from),
    fromNs: Float64Array.from(fromNs),
    toLane: Uint32Array.from(to),
    toNs: Float64Array.from(toNs),
    site: Uint32Array.from(site),
  };
}

/** First index whose value is > x, in an ascending array. */
export function upperBound(values: ArrayLike<number>, x: number, count = values.length): number {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose value is >= x, in an ascending array. */
export function lowerBound(values: ArrayLike<number>, x: number, count = values.length): number {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The index range of tasks that overlap [t0, t1]. */
export function visibleTasks(tasks: TaskColumns, t0: number, t1: number): [number, number] {
  return [lowerBound(tasks.maxEnd, t0, tasks.count), upperBound(tasks.start, t1, tasks.count)];
}

/** The index range of lock spans that overlap [t0, t1]. */
export function visibleLocks(locks: LockColumns, t0: number, t1: number): [number, number] {
  return [lowerBound(locks.maxReleased, t0, locks.count), upperBound(locks.request, t1, locks.count)];
}

/** The task under time t in a lane, or -1. */
export function taskAt(tasks: TaskColumns, t: number, toleranceNs = 0): number {
  const [first, last] = visibleTasks(tasks, t - toleranceNs, t + toleranceNs);
  let best = -1;
  let bestDistance = Infinity;
  for (let i = first; i < last; i++) {
    const distance = t < tasks.start[i]! ? tasks.start[i]! - t : t > tasks.end[i]! ? t - tasks.end[i]! : 0;
    if (distance < bestDistance) {
      best = i;
      bestDistance = distance;
    }
    if (distance === 0) break;
  }
  return bestDistance <= toleranceNs ? best : -1;
}
