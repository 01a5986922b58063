/**
 * The timeline's data model: the streamed trace turned into per-lane, time-sorted typed
 * arrays so drawing can binary-search the visible window and never walks objects. Times are
 * nanoseconds relative to their run's start, which is also what makes side-by-side runs share
 * one axis. Pure (no DOM) so it is unit-tested in node.
 */
import type { CoreSample, PoolKind, TaskError } from '../shared/trace';
import { LOCK_STRIDE, TASK_FIELD as F, TASK_STRIDE, type HostToWebview, type PackedLocks, type PackedTasks, type RunHeader, type TraceHeader } from '../shared/webview-protocol';
import { buildLod, type LaneLod } from './lod';
import { STATE_COUNT, STATES, stateDurationsOf, type ExtraStates, type TaskState } from './states';

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
  /** Pre-aggregated bins for drawing the lane zoomed out; null for small lanes. */
  lod: LaneLod | null;
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
  /** Dask workers: the host they run on (lanes are grouped by it) and the worker's address. */
  host: string | null;
  name: string | null;
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
  /** The states some task spent time in: what the legend lists (the trace decides, not a fixed list). */
  statesPresent: Set<TaskState>;
}

export function runKey(run: { kind: PoolKind; workers: number; repetition: number }): string {
  return `${run.kind}:${run.workers}:${run.repetition}`;
}

export function siteKey(site: { file: string; line: number }): string {
  return `${site.file}:${site.line}`;
}

/** A Float64Array that grows by doubling: chunks are folded in as they arrive. */
class GrowableF64 {
  data = new Float64Array(64);
  length = 0;
  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }
}

/**
 * One thread's spans while the trace streams in. Columns are filled chunk by chunk so the
 * span objects of a chunk are garbage as soon as it is read: a million spans never sit in
 * memory as objects.
 */
class LaneBuilder {
  readonly taskStart = new GrowableF64();
  readonly taskEnd = new GrowableF64();
  readonly taskStates = new GrowableF64();
  /** index, worker, coreStart, coreEnd per task. */
  readonly taskInts = new GrowableF64();
  readonly errors = new Map<number, TaskError>();
  tasksSorted = true;
  readonly lockTimes = new GrowableF64();
  readonly lockSites = new GrowableF64();
  locksSorted = true;
  private readonly scratch = new Float64Array(STATE_COUNT);
  /** Reused for every task: a million spans allocate no object each. */
  private readonly extra: ExtraStates = { loopBusyNs: 0, gcNs: 0, serializationNs: 0, schedulerWaitNs: 0, transferNs: 0 };

  constructor(
    readonly pid: number,
    readonly tid: number,
    private readonly origin: number,
    /** `async` runs: the in-flight slot this lane shows (tasks of one thread interleave). */
    readonly slot: number | null = null,
  ) {}

  /** Appends task `i` of a packed chunk. */
  addTask(packed: PackedTasks, i: number, error: TaskError | undefined): void {
    const d = packed.data;
    const o = i * TASK_STRIDE;
    const n = this.taskStart.length;
    // Time outside the call widens the bar: a Dask task is drawn from when it could have
    // started to when its result was back, a Node pool worker's copying of the arguments in
    // (right before the call) and of the result out (right after) as the worker's time.
    const extra = this.extra;
    extra.schedulerWaitNs = d[o + F.schedulerLatencyNs]! || 0;
    extra.transferNs = d[o + F.resultLatencyNs]! || 0;
    const copyIn = d[o + F.argsDeserializeNs]! || 0;
    const copyOut = d[o + F.resultSerializeNs]! || 0;
    extra.serializationNs = copyIn + copyOut;
    extra.loopBusyNs = d[o + F.loopBusyNs]! || 0;
    extra.gcNs = d[o + F.gcNs]! || 0;
    const callStart = d[o + F.startNs]! - this.origin;
    const callEnd = Math.max(callStart, d[o + F.endNs]! - this.origin);
    const start = callStart - extra.schedulerWaitNs - copyIn;
    const end = callEnd + copyOut + extra.transferNs;
    if (n > 0 && start < this.taskStart.data[n - 1]!) this.tasksSorted = false;
    this.taskStart.push(start);
    this.taskEnd.push(end);
    stateDurationsOf(callEnd - callStart, d[o + F.cpuNs]!, d[o + F.runqNs]!, d[o + F.lockWaitNs]!, d[o + F.gilWaitNs]!, d[o + F.ioNs]!, d[o + F.sleepNs]!, this.scratch, 0, extra);
    for (let k = 0; k < STATE_COUNT; k++) this.taskStates.push(this.scratch[k]!);
    this.taskInts.push(d[o + F.index]!);
    this.taskInts.push(d[o + F.worker]!);
    this.taskInts.push(d[o + F.coreStart]!);
    this.taskInts.push(d[o + F.coreEnd]!);
    if (error) this.errors.set(n, error);
  }

  /** Appends lock span `i` of a packed chunk; `site` is already interned model-wide. */
  addLock(packed: PackedLocks, i: number, site: number): void {
    const d = packed.data;
    const o = i * LOCK_STRIDE;
    const n = this.lockSites.length;
    const [request, acquired, released] = [d[o + 2]!, d[o + 3]!, d[o + 4]!];
    if (n > 0 && request - this.origin < this.lockTimes.data[(n - 1) * 3]!) this.locksSorted = false;
    this.lockTimes.push(request - this.origin);
    this.lockTimes.push(Math.max(request, acquired) - this.origin);
    this.lockTimes.push(Math.max(request, acquired, released) - this.origin);
    this.lockSites.push(site);
  }

  tasks(): TaskColumns {
    const n = this.taskStart.length;
    const order = sortOrder(this.taskStart.data, n, this.tasksSorted);
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
      lod: null,
    };
    let maxEnd = -Infinity;
    const ints = this.taskInts.data;
    for (let i = 0; i < n; i++) {
      const from = order ? order[i]! : i;
      columns.start[i] = this.taskStart.data[from]!;
      columns.end[i] = this.taskEnd.data[from]!;
      maxEnd = Math.max(maxEnd, columns.end[i]!);
      columns.maxEnd[i] = maxEnd;
      for (let k = 0; k < STATE_COUNT; k++) columns.states[i * STATE_COUNT + k] = this.taskStates.data[from * STATE_COUNT + k]!;
      columns.index[i] = ints[from * 4]!;
      columns.worker[i] = ints[from * 4 + 1]!;
      columns.coreStart[i] = ints[from * 4 + 2]!;
      columns.coreEnd[i] = ints[from * 4 + 3]!;
      const error = this.errors.get(from);
      if (error) columns.errors.set(i, error);
    }
    columns.lod = buildLod(columns.start, columns.end, columns.states, n, n > 0 ? maxEnd : 0);
    return columns;
  }

  locks(): LockColumns {
    const n = this.lockSites.length;
    const requests = Float64Array.from({ length: n }, (_, i) => this.lockTimes.data[i * 3]!);
    const order = sortOrder(requests, n, this.locksSorted);
    const columns: LockColumns = {
      count: n,
      request: new Float64Array(n),
      acquired: new Float64Array(n),
      released: new Float64Array(n),
      maxReleased: new Float64Array(n),
      site: new Uint32Array(n),
    };
    let maxReleased = -Infinity;
    for (let i = 0; i < n; i++) {
      const from = order ? order[i]! : i;
      columns.request[i] = this.lockTimes.data[from * 3]!;
      columns.acquired[i] = this.lockTimes.data[from * 3 + 1]!;
      columns.released[i] = this.lockTimes.data[from * 3 + 2]!;
      maxReleased = Math.max(maxReleased, columns.released[i]!);
      columns.maxReleased[i] = maxReleased;
      columns.site[i] = this.lockSites.data[from]!;
    }
    return columns;
  }
}

function checkPacked(data: unknown, count: number, stride: number, what: string): void {
  if (!(data instanceof Float64Array) || !Number.isInteger(count) || count < 0 || data.length !== count * stride) {
    throw new Error(`a ${what} chunk must carry a Float64Array of ${stride} numbers per span`);
  }
}

/** The permutation that sorts `keys[0..n)`, or null when they already are sorted. */
function sortOrder(keys: Float64Array, n: number, sorted: boolean): Uint32Array | null {
  if (sorted) return null;
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => keys[a]! - keys[b]! || a - b);
  return order;
}

interface RunBuilder {
  header: RunHeader;
  /** pid → tid → worker → lane: tasks in flight on one event loop share a thread, each slot is a lane. */
  threads: Map<number, Map<number, Map<number, LaneBuilder>>>;
  samples: CoreSample[];
  taskCount: number;
  lockSpanCount: number;
}

class SiteTable {
  readonly sites: LockSite[] = [];
  private readonly index = new Map<string, number>();
  intern(site: { file: string; line: number }): number {
    const key = siteKey(site);
    let index = this.index.get(key);
    if (index === undefined) {
      index = this.sites.length;
      this.index.set(key, index);
      this.sites.push({ key, file: site.file, line: site.line });
    }
    return index;
  }
}

/**
 * Collects a streamed trace into columns chunk by chunk; `traceEnd` sorts what arrived out of
 * order and returns the model.
 */
export class TraceAssembler {
  private header: TraceHeader | null = null;
  private streamId = -1;
  private runs: RunBuilder[] = [];
  private sites = new SiteTable();
  private received = 0;

  /** Returns the finished model on `traceEnd`, else null. Throws on a malformed stream. */
  accept(message: HostToWebview): TraceModel | null {
    switch (message.type) {
      case 'traceBegin':
        this.header = message.header;
        this.streamId = message.streamId;
        this.received = 0;
        this.sites = new SiteTable();
        this.runs = message.header.runs.map((header) => ({ header, threads: new Map(), samples: [], taskCount: 0, lockSpanCount: 0 }));
        return null;
      case 'traceChunk': {
        if (message.streamId !== this.streamId || !this.header) return null;
        const run = this.runs[message.runIndex];
        if (!run) throw new Error(`trace chunk for run ${message.runIndex}, but the trace has ${this.runs.length} runs`);
        if (message.tasks) this.addTasks(run, message.tasks);
        if (message.lockSpans) this.addLocks(run, message.lockSpans);
        for (const sample of message.coreSamples ?? []) run.samples.push(sample);
        this.received += (message.tasks?.count ?? 0) + (message.lockSpans?.count ?? 0) + (message.coreSamples?.length ?? 0);
        return null;
      }
      case 'traceEnd': {
        if (message.streamId !== this.streamId || !this.header) return null;
        const lanes: Lane[] = [];
        const runs = this.runs.map((run, index) => finishRun(index, run, lanes));
        const model: TraceModel = {
          header: this.header,
          runs,
          lanes,
          sites: this.sites.sites,
          totalTasks: runs.reduce((sum, r) => sum + r.taskCount, 0),
          statesPresent: statesPresent(lanes),
        };
        this.header = null;
        this.runs = [];
        return model;
      }
      case 'traceError':
        throw new Error(message.message);
    }
  }

  get itemsReceived(): number {
    return this.received;
  }

  private addTasks(run: RunBuilder, packed: PackedTasks): void {
    checkPacked(packed.data, packed.count, TASK_STRIDE, 'task');
    const errors = new Map(packed.errors.map((e) => [e.at, e.error]));
    const d = packed.data;
    for (let i = 0; i < packed.count; i++) {
      const o = i * TASK_STRIDE;
      this.lane(run, d[o + F.pid]!, d[o + F.tid]!, d[o + F.worker]!).addTask(packed, i, errors.get(i));
    }
    run.taskCount += packed.count;
  }

  private addLocks(run: RunBuilder, packed: PackedLocks): void {
    checkPacked(packed.data, packed.count, LOCK_STRIDE, 'lock');
    const sites = packed.sites.map((site) => this.sites.intern(site));
    const d = packed.data;
    for (let i = 0; i < packed.count; i++) {
      const o = i * LOCK_STRIDE;
      const site = sites[d[o + 5]!];
      if (site === undefined) throw new Error(`lock span ${i} of a chunk names site ${d[o + 5]}, but the chunk has ${sites.length} sites`);
      this.lane(run, d[o]!, d[o + 1]!).addLock(packed, i, site);
    }
    run.lockSpanCount += packed.count;
  }

  /**
   * Keyed by number, not by a "pid/tid" string: this runs once per span. A lock span knows no
   * worker: it goes to its thread's first lane.
   */
  private lane(run: RunBuilder, pid: number, tid: number, worker?: number): LaneBuilder {
    let threads = run.threads.get(pid);
    if (!threads) run.threads.set(pid, (threads = new Map()));
    let workers = threads.get(tid);
    if (!workers) threads.set(tid, (workers = new Map()));
    const key = worker ?? (workers.size > 0 ? Math.min(...workers.keys()) : 0);
    let lane = workers.get(key);
    if (!lane) workers.set(key, (lane = new LaneBuilder(pid, tid, run.header.startNs, run.header.kind === 'async' ? key : null)));
    return lane;
  }
}

/**
 * How busy a thread's event loop was in the run, for its lane label: an `async` run's loop on
 * the tasks' own steps (both runtimes), else a Node thread's event-loop utilization.
 */
function loopText(header: RunHeader, tid: number): string {
  const share = header.kind === 'async' ? header.eventLoop?.utilization : header.eventLoops?.find((l) => l.tid === tid)?.utilization;
  return share === undefined ? '' : ` · event loop ${Math.round(share * 100)}% busy`;
}

function laneLabel(header: RunHeader, lane: LaneBuilder, workers: Set<number>): string {
  if (lane.slot !== null) return `event loop · call slot ${lane.slot}${lane.slot === 0 ? loopText(header, lane.tid) : ''}`;
  if (!header.eventLoops) return `tid ${lane.tid}${workers.size === 1 ? ` · worker ${[...workers][0]}` : ''}`;
  const worker = [...workers][0];
  if (header.kind === 'thread' && worker !== undefined) return `worker thread ${worker} · tid ${lane.tid}${loopText(header, lane.tid)}`;
  if (header.kind === 'process' && worker !== undefined) return `child process ${worker} · pid ${lane.pid}${loopText(header, lane.tid)}`;
  return `main thread · tid ${lane.tid}${loopText(header, lane.tid)}`;
}

function finishRun(index: number, run: RunBuilder, lanes: Lane[]): RunModel {
  const { header } = run;
  // Node pool runs: the main thread runs no task, but its event loop dispatches them; it gets a lane too.
  const main = header.eventLoops?.find((loop) => loop.worker === null);
  if (main && !run.threads.get(main.pid)?.has(main.tid) && header.kind !== 'async') {
    const threads = run.threads.get(main.pid) ?? new Map<number, Map<number, LaneBuilder>>();
    run.threads.set(main.pid, threads);
    threads.set(main.tid, new Map([[0, new LaneBuilder(main.pid, main.tid, header.startNs)]]));
  }
  const hosts = new Map((header.dask?.workers ?? []).map((w) => [w.pid, w]));
  const hostOf = (pid: number): string => hosts.get(pid)?.host ?? '';
  const threads = [...run.threads.values()]
    .flatMap((byTid) => [...byTid.values()].flatMap((byWorker) => [...byWorker.entries()].sort((a, b) => a[0] - b[0]).map(([, lane]) => lane)))
    .sort((a, b) => hostOf(a.pid).localeCompare(hostOf(b.pid)) || a.pid - b.pid || a.tid - b.tid);
  const laneIds: number[] = [];
  const processes = new Map<number, ProcessInfo>();
  for (const t of threads) {
    const laneId = lanes.length;
    const tasks = t.tasks();
    lanes.push({ runIndex: index, pid: t.pid, tid: t.tid, label: laneLabel(header, t, new Set(tasks.worker)), tasks, locks: t.locks() });
    laneIds.push(laneId);
    let proc = processes.get(t.pid);
    if (!proc) {
      const worker = hosts.get(t.pid);
      proc = { pid: t.pid, host: worker?.host ?? null, name: worker?.address ?? null, peakRssBytes: null, firstNs: Infinity, lastNs: -Infinity, lanes: [] };
      processes.set(t.pid, proc);
    }
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
    cores: coreStrip(run.samples, header.startNs),
    wakes: wakeArrows(lanes, laneIds),
    taskCount: run.taskCount,
    lockSpanCount: run.lockSpanCount,
  };
}

function statesPresent(lanes: readonly Lane[]): Set<TaskState> {
  const present = new Set<TaskState>();
  for (const lane of lanes) {
    const states = lane.tasks.states;
    for (let i = 0; i < states.length && present.size < STATE_COUNT; i++) if (states[i]! > 0) present.add(STATES[i % STATE_COUNT]!);
  }
  return present;
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
