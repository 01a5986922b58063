/**
 * The task states the timeline colours. The trace records, per task, how much time went to
 * each state (not when), so a task bar is drawn as proportional segments in this order, and
 * instrumented lock waits are additionally drawn at their real times in the lock band. Some
 * time lies outside the call and widens the bar: a task that reached its worker through a Dask
 * scheduler is drawn from when it could have started to when its result was back (the
 * scheduler wait first, the result's trip last), and a Node pool worker's copying of the
 * arguments in and the result out is drawn as the worker's time. Node's garbage-collection
 * pauses are part of the task's CPU time.
 */
import type { TaskDecomposition, TaskSpan } from '../shared/trace';

export const STATES = ['schedulerWait', 'running', 'runqueue', 'gilWait', 'lockWait', 'loopBusy', 'io', 'blocked', 'gc', 'serialization', 'transfer'] as const;
export type TaskState = (typeof STATES)[number];
export const STATE_COUNT = STATES.length;

export const STATE_LABELS: Record<TaskState, string> = {
  schedulerWait: 'Scheduler wait (Dask)',
  running: 'Running (CPU)',
  runqueue: 'Runqueue wait',
  gilWait: 'GIL wait',
  lockWait: 'Lock wait',
  loopBusy: 'Event loop busy with other tasks',
  io: 'I/O or sleep',
  blocked: 'Blocked (not sampled)',
  gc: 'Garbage collection',
  serialization: 'Serialization (arguments in, result out)',
  transfer: 'Result transfer (Dask)',
};

/**
 * Writes the task's time per state into `out[offset .. offset + STATE_COUNT)`. Blocked time
 * the sampler did not attribute (no samples, or null fields) stays in `blocked`, so the
 * segments always add up to the call's wall time, plus the time outside the call (Dask's
 * wait and its result's trip, a Node worker's copying).
 */
export function stateDurations(
  wallNs: number,
  d: TaskDecomposition,
  out: Float64Array,
  offset: number,
  task: Pick<TaskSpan, 'dask' | 'gcNs' | 'serialization'> = {},
): void {
  const s = task.serialization;
  const copyNs = s ? s.argsDeserialize[1] - s.argsDeserialize[0] + (s.resultSerialize[1] - s.resultSerialize[0]) : 0;
  stateDurationsOf(wallNs, d.cpuNs, d.runqNs, d.lockWaitNs, d.gilWaitNs ?? NaN, d.ioNs ?? NaN, d.sleepNs ?? NaN, out, offset, {
    loopBusyNs: d.loopBusyNs ?? 0,
    gcNs: task.gcNs ?? 0,
    serializationNs: copyNs,
    schedulerWaitNs: task.dask?.schedulerLatencyNs ?? 0,
    transferNs: task.dask?.resultLatencyNs ?? 0,
  });
}

/** Measured parts beyond the decomposition's common fields (0 where a runtime or kind has none). */
export interface ExtraStates {
  /** `async` runs: the loop ran other tasks while this one was suspended (inside the call). */
  loopBusyNs: number;
  /** Node: garbage-collection pauses, carved out of the CPU time. */
  gcNs: number;
  /** Outside the call: a Node worker copying arguments in and the result out, a Dask task's wait and its result's trip. */
  serializationNs: number;
  schedulerWaitNs: number;
  transferNs: number;
}

/** The same from packed fields, where an unmeasured (null) part is NaN. */
export function stateDurationsOf(
  wallNs: number,
  cpuNs: number,
  runqNs: number,
  lockWaitNs: number,
  gilWaitNs: number,
  ioNs: number,
  sleepNs: number,
  out: Float64Array,
  offset: number,
  extra: ExtraStates,
): void {
  const gc = Math.min(clampNs(extra.gcNs), clampNs(cpuNs));
  const cpu = clampNs(cpuNs) - gc;
  const runq = clampNs(runqNs);
  const lock = clampNs(lockWaitNs);
  const gil = clampNs(gilWaitNs);
  const loopBusy = clampNs(extra.loopBusyNs);
  const io = clampNs(ioNs) + clampNs(sleepNs);
  const attributed = cpu + gc + runq + lock + gil + loopBusy + io;
  // Measurement noise can make the parts exceed the wall time; scale them down to fit.
  const scale = attributed > wallNs && attributed > 0 ? wallNs / attributed : 1;
  out[offset] = clampNs(extra.schedulerWaitNs);
  out[offset + 1] = cpu * scale;
  out[offset + 2] = runq * scale;
  out[offset + 3] = gil * scale;
  out[offset + 4] = lock * scale;
  out[offset + 5] = loopBusy * scale;
  out[offset + 6] = io * scale;
  out[offset + 7] = Math.max(0, wallNs - attributed * scale);
  out[offset + 8] = gc * scale;
  out[offset + 9] = clampNs(extra.serializationNs);
  out[offset + 10] = clampNs(extra.transferNs);
}

function clampNs(x: number): number {
  return Number.isFinite(x) && x > 0 ? x : 0;
}
