/**
 * Numbers the views show: the locks table, the statistics of a brushed time range and the
 * scaling series. Pure functions over the model and the trace header.
 */
import type { LockOrderCycle, PoolKind } from '../shared/trace';
import type { TraceHeader } from '../shared/webview-protocol';
import { STATE_COUNT, STATES, type TaskState } from './states';
import { siteKey, visibleLocks, visibleTasks, type TraceModel } from './model';

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface LockRow {
  site: { file: string; line: number };
  kind: string;
  acquisitions: number;
  contended: number;
  totalWaitNs: number;
  /** Median wait of the recorded acquisitions in the shown runs; null when none were recorded. */
  medianWaitNs: number | null;
  maxWaitNs: number;
  /** Distinct threads (pid/tid) that held it in the shown runs. */
  holders: number;
}

/**
 * One row per lock creation site: totals from the trace's lock table, median and holders from
 * the recorded spans of the given runs. Sorted by total wait, largest first.
 */
export function lockRows(model: TraceModel, runIndexes: readonly number[]): LockRow[] {
  const waits = new Map<string, number[]>();
  const holders = new Map<string, Set<string>>();
  for (const runIndex of runIndexes) {
    for (const laneId of model.runs[runIndex]?.lanes ?? []) {
      const lane = model.lanes[laneId]!;
      const locks = lane.locks;
      for (let i = 0; i < locks.count; i++) {
        const key = model.sites[locks.site[i]!]!.key;
        let list = waits.get(key);
        if (!list) waits.set(key, (list = []));
        list.push(locks.acquired[i]! - locks.request[i]!);
        let set = holders.get(key);
        if (!set) holders.set(key, (set = new Set()));
        set.add(`${lane.pid}/${lane.tid}`);
      }
    }
  }
  return model.header.locks
    .map((lock) => {
      const key = siteKey(lock.site);
      return {
        site: lock.site,
        kind: lock.kind,
        acquisitions: lock.acquisitions,
        contended: lock.contended,
        totalWaitNs: lock.waitNs,
        medianWaitNs: median(waits.get(key) ?? []),
        maxWaitNs: lock.maxWaitNs,
        holders: holders.get(key)?.size ?? 0,
      };
    })
    .sort((a, b) => b.totalWaitNs - a.totalWaitNs || a.site.file.localeCompare(b.site.file) || a.site.line - b.site.line);
}

export interface CycleRow {
  /** "a.py:3 → b.py:9 → a.py:3" */
  text: string;
  /** Each step: the lock taken second and where that order was taken (innermost frame). */
  steps: { from: { file: string; line: number }; to: { file: string; line: number }; acquiredAt: { file: string; line: number; function: string } | null }[];
}

export function cycleRows(cycles: readonly LockOrderCycle[]): CycleRow[] {
  return cycles.map((cycle) => ({
    text: [...cycle.sites, cycle.sites[0]].filter((s) => s !== undefined).map((s) => siteKey(s)).join(' → '),
    steps: cycle.edges.map((edge) => {
      const frame = edge.stack[edge.stack.length - 1];
      return { from: edge.from, to: edge.to, acquiredAt: frame ? { file: frame.file, line: frame.line, function: frame.function } : null };
    }),
  }));
}

export interface RangeStats {
  t0: number;
  t1: number;
  lanes: number;
  tasks: number;
  /** Nanoseconds per state inside the range (tasks clipped proportionally). */
  stateNs: Record<TaskState, number>;
  lockWaits: number;
  lockWaitNs: number;
  /** Mean busy share over all cores of the samples inside the range; null without samples. */
  meanCoreBusy: number | null;
}

/** Statistics of the time range [t0, t1] (relative to each run's start) over the given lanes. */
export function rangeStats(model: TraceModel, laneIds: readonly number[], t0: number, t1: number): RangeStats {
  const stateNs = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<TaskState, number>;
  let tasksInRange = 0;
  let lockWaits = 0;
  let lockWaitNs = 0;
  const runs = new Set<number>();
  for (const laneId of laneIds) {
    const lane = model.lanes[laneId]!;
    runs.add(lane.runIndex);
    const { start, end, states } = lane.tasks;
    const [first, last] = visibleTasks(lane.tasks, t0, t1);
    for (let i = first; i < last; i++) {
      const s = start[i]!;
      const e = end[i]!;
      if (e < t0 || s > t1) continue;
      tasksInRange++;
      const wall = e - s;
      const share = wall === 0 ? 1 : (Math.min(e, t1) - Math.max(s, t0)) / wall;
      for (let k = 0; k < STATE_COUNT; k++) stateNs[STATES[k]!] += states[i * STATE_COUNT + k]! * share;
    }
    const locks = lane.locks;
    const [lf, ll] = visibleLocks(locks, t0, t1);
    for (let i = lf; i < ll; i++) {
      const waitStart = Math.max(locks.request[i]!, t0);
      const waitEnd = Math.min(locks.acquired[i]!, t1);
      if (waitEnd <= waitStart) continue;
      lockWaits++;
      lockWaitNs += waitEnd - waitStart;
    }
  }
  let busySum = 0;
  let busyCount = 0;
  for (const runIndex of runs) {
    const cores = model.runs[runIndex]!.cores;
    for (let i = 0; i < cores.time.length; i++) {
      if (cores.time[i]! < t0 || cores.time[i]! > t1) continue;
      for (let c = 0; c < cores.cores; c++) busySum += cores.busy[i * cores.cores + c]!;
      busyCount += cores.cores;
    }
  }
  return { t0, t1, lanes: laneIds.length, tasks: tasksInRange, stateNs, lockWaits, lockWaitNs, meanCoreBusy: busyCount ? busySum / busyCount : null };
}

export interface ScalingPoint {
  kind: PoolKind;
  workers: number;
  medianSpeedup: number;
  minSpeedup: number;
  maxSpeedup: number;
  efficiency: number;
  repetitions: number;
}

/** Median, min and max speedup per pool kind and worker count, over the repetitions. */
export function scalingSeries(header: TraceHeader): ScalingPoint[] {
  const groups = new Map<string, { kind: PoolKind; workers: number; speedups: number[] }>();
  for (const run of header.runs) {
    if (run.speedup === null || !Number.isFinite(run.speedup)) continue;
    const key = `${run.kind}:${run.workers}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { kind: run.kind, workers: run.workers, speedups: [] }));
    group.speedups.push(run.speedup);
  }
  return [...groups.values()]
    .map(({ kind, workers, speedups }) => {
      const mid = median(speedups)!;
      return {
        kind,
        workers,
        medianSpeedup: mid,
        minSpeedup: Math.min(...speedups),
        maxSpeedup: Math.max(...speedups),
        efficiency: workers > 0 ? mid / workers : 0,
        repetitions: speedups.length,
      };
    })
    .sort((a, b) => a.kind.localeCompare(b.kind) || a.workers - b.workers);
}
