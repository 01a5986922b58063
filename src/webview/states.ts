/**
 * The task states the timeline colours. The trace records, per task, how much time went to
 * each state (not when), so a task bar is drawn as proportional segments in this order, and
 * instrumented lock waits are additionally drawn at their real times in the lock band. Node
 * tasks add garbage-collection pauses (part of their CPU time) and, in pools, the worker's
 * copying of arguments in and of the result out, which widen the bar on either side.
 */
import type { TaskDecomposition } from '../shared/trace';

export const STATES = ['running', 'runqueue', 'gilWait', 'lockWait', 'io', 'blocked', 'gc', 'serialization'] as const;
export type TaskState = (typeof STATES)[number];
export const STATE_COUNT = STATES.length;

export const STATE_LABELS: Record<TaskState, string> = {
  running: 'Running (CPU)',
  runqueue: 'Runqueue wait',
  gilWait: 'GIL wait',
  lockWait: 'Lock wait',
  io: 'I/O or sleep',
  blocked: 'Blocked (not sampled)',
  gc: 'Garbage collection',
  serialization: 'Serialization (arguments in, result out)',
};

/**
 * Writes the task's time per state into `out[offset .. offset + STATE_COUNT)`. Blocked time
 * the sampler did not attribute (no samples, or null fields) stays in `blocked`, so the
 * segments always add up to the task's wall time.
 */
export function stateDurations(wallNs: number, d: TaskDecomposition, out: Float64Array, offset: number, gcNs = 0, serializationNs = 0): void {
  stateDurationsOf(wallNs, d.cpuNs, d.runqNs, d.lockWaitNs, d.gilWaitNs ?? NaN, d.ioNs ?? NaN, d.sleepNs ?? NaN, out, offset, gcNs, serializationNs);
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
  /** Node: GC pauses, carved out of the CPU time; serialization, outside the call (`wallNs` includes it). */
  gcNs = 0,
  serializationNs = 0,
): void {
  const gc = Math.min(clampNs(gcNs), clampNs(cpuNs));
  const cpu = clampNs(cpuNs) - gc;
  const runq = clampNs(runqNs);
  const lock = clampNs(lockWaitNs);
  const gil = clampNs(gilWaitNs);
  const io = clampNs(ioNs) + clampNs(sleepNs);
  const serialization = clampNs(serializationNs);
  const attributed = cpu + runq + lock + gil + io + gc + serialization;
  // Measurement noise can make the parts exceed the wall time; scale them down to fit.
  const scale = attributed > wallNs && attributed > 0 ? wallNs / attributed : 1;
  out[offset] = cpu * scale;
  out[offset + 1] = runq * scale;
  out[offset + 2] = gil * scale;
  out[offset + 3] = lock * scale;
  out[offset + 4] = io * scale;
  out[offset + 5] = Math.max(0, wallNs - attributed * scale);
  out[offset + 6] = gc * scale;
  out[offset + 7] = serialization * scale;
}

function clampNs(x: number): number {
  return Number.isFinite(x) && x > 0 ? x : 0;
}
