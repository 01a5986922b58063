/**
 * Level of detail for zoomed-out lanes: the lane's time is cut into fixed bins, each task's
 * state durations are spread over the bins it covers, and prefix sums over the bins are kept.
 * A pixel column's state totals are then two lookups, whatever the number of tasks in it, so
 * a fully zoomed-out frame costs O(pixels), not O(spans).
 */
import { STATE_COUNT } from './states';

export interface LaneLod {
  binNs: number;
  bins: number;
  /** (bins + 1) × STATE_COUNT running totals; row b holds the sums over bins [0, b). */
  prefix: Float64Array;
}

/** Lanes with fewer tasks are cheap to walk task by task. */
export const LOD_MIN_TASKS = 2048;
const MAX_BINS = 16384;

export function buildLod(start: Float64Array, end: Float64Array, states: Float64Array, count: number, laneEndNs: number): LaneLod | null {
  if (count < LOD_MIN_TASKS || !(laneEndNs > 0)) return null;
  let bins = 256;
  while (bins < count * 2 && bins < MAX_BINS) bins *= 2;
  const binNs = laneEndNs / bins;
  const prefix = new Float64Array((bins + 1) * STATE_COUNT);
  // Accumulate per bin into rows 1..bins, then turn them into running totals.
  for (let i = 0; i < count; i++) {
    const s = Math.max(0, start[i]!);
    const e = Math.max(s, end[i]!);
    const wall = e - s;
    const b0 = Math.min(bins - 1, Math.floor(s / binNs));
    const b1 = Math.min(bins - 1, Math.floor(e / binNs));
    const base = i * STATE_COUNT;
    if (b0 === b1 || wall === 0) {
      const o = (b0 + 1) * STATE_COUNT;
      for (let k = 0; k < STATE_COUNT; k++) prefix[o + k] += states[base + k]!;
      continue;
    }
    for (let b = b0; b <= b1; b++) {
      const share = (Math.min(e, (b + 1) * binNs) - Math.max(s, b * binNs)) / wall;
      if (share <= 0) continue;
      const o = (b + 1) * STATE_COUNT;
      for (let k = 0; k < STATE_COUNT; k++) prefix[o + k] += states[base + k]! * share;
    }
  }
  for (let b = 1; b <= bins; b++) {
    const o = b * STATE_COUNT;
    for (let k = 0; k < STATE_COUNT; k++) prefix[o + k] += prefix[o - STATE_COUNT + k]!;
  }
  return { binNs, bins, prefix };
}

/** Totals of every state over [0, t), interpolated inside the bin that holds t, into out[offset..]. */
export function lodTotalsUntil(lod: LaneLod, t: number, out: Float64Array, offset: number): void {
  const { binNs, bins, prefix } = lod;
  const position = Math.min(bins, Math.max(0, t / binNs));
  const b = Math.min(bins - 1, Math.floor(position));
  const fraction = position - b;
  const below = b * STATE_COUNT;
  const above = below + STATE_COUNT;
  for (let k = 0; k < STATE_COUNT; k++) {
    const low = prefix[below + k]!;
    out[offset + k] = low + fraction * (prefix[above + k]! - low);
  }
}
