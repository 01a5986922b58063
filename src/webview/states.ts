/**
 * The task states the timeline colours. The trace records, per task, how much time went to
 * each state (not when), so a task bar is drawn as proportional segments in this order, and
 * instrumented lock waits are additionally drawn at their real times in the lock band. A task
 * that reached its worker through a Dask scheduler is drawn from when it could have started
 * to when its result was back: the scheduler wait comes first and the result's trip last.
 */
import type { DaskTaskCost, TaskDecomposition } from '../shared/trace';

export const STATES = ['schedulerWait', 'running', 'runqueue', 'gilWait', 'lockWait', 'loopBusy', 'io', 'blocked', 'transfer'] as const;
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
  transfer: 'Result transfer (Dask)',
};

/**
 * Writes the task's time per state into `out[offset .. offset + STATE_COUNT)`. Blocked time
 * the sampler did not attribute (no samples, or null fields) stays in `blocked`, so the
 * segments always add up to the task's wall time (plus, for Dask, its wait and its result's trip).
 */
export function stateDurations(wallNs: number, d: TaskDecomposition, out: Float64Array, offset: number, dask?: DaskTaskCost): void {
  const cluster = dask ? [dask.schedulerLatencyNs, dask.resultLatencyNs] : [0, 0];
  stateDurationsOf(wallNs, d.cpuNs, d.runqNs, d.lockWaitNs, d.gilWaitNs ?? NaN, d.ioNs ?? NaN, d.sleepNs ?? NaN, out, offset, d.loopBusyNs ?? 0, cluster[0]!, cluster[1]!);
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
  loopBusyNs = 0,
  schedulerWaitNs = 0,
  transferNs = 0,
): void {
  const cpu = clampNs(cpuNs);
  const runq = clampNs(runqNs);
  const lock = clampNs(lockWaitNs);
  const gil = clampNs(gilWaitNs);
  const loopBusy = clampNs(loopBusyNs);
  const io = clampNs(ioNs) + clampNs(sleepNs);
  const attributed = cpu + runq + lock + gil + loopBusy + io;
  // Measurement noise can make the parts exceed the wall time; scale them down to fit.
  const scale = attributed > wallNs && attributed > 0 ? wallNs / attributed : 1;
  out[offset] = clampNs(schedulerWaitNs);
  out[offset + 1] = cpu * scale;
  out[offset + 2] = runq * scale;
  out[offset + 3] = gil * scale;
  out[offset + 4] = lock * scale;
  out[offset + 5] = loopBusy * scale;
  out[offset + 6] = io * scale;
  out[offset + 7] = Math.max(0, wallNs - attributed * scale);
  out[offset + 8] = clampNs(transferNs);
}

function clampNs(x: number): number {
  return Number.isFinite(x) && x > 0 ? x : 0;
}
