/**
 * Level of detail for one lane: tasks at least `minDetailPx` wide are drawn individually; the
 * rest are summed per pixel column and per state, so a zoomed-out lane of 100,000 tasks costs
 * one pass over the visible tasks and at most `width` rectangles per state. Pure, so the
 * arithmetic (nothing lost, nothing double-counted) is unit-tested.
 */
import { lodTotalsUntil } from './lod';
import { STATE_COUNT } from './states';
import { visibleTasks, type TaskColumns } from './model';

/** Bins per pixel from which the prefix sums are exact enough to draw from. */
const LOD_BINS_PER_PIXEL = 4;

export interface LaneDrawPlan {
  /** Positions (in the lane's columns) of tasks drawn individually. */
  detailed: number[];
  /** width × STATE_COUNT nanoseconds per pixel column and state, for the small tasks. */
  columns: Float64Array;
  /** Small tasks folded into `columns`. */
  aggregated: number;
}

export interface Viewport {
  /** Time at pixel 0, relative to the run start. */
  t0: number;
  nsPerPx: number;
  width: number;
}

export function planLane(tasks: TaskColumns, view: Viewport, minDetailPx: number, columns?: Float64Array): LaneDrawPlan {
  const { t0, nsPerPx, width } = view;
  const t1 = t0 + width * nsPerPx;
  const out = columns && columns.length === width * STATE_COUNT ? columns.fill(0) : new Float64Array(width * STATE_COUNT);
  const detailed: number[] = [];
  let aggregated = 0;
  const [first, last] = visibleTasks(tasks, t0, t1);
  const lod = tasks.lod;
  if (lod && nsPerPx >= LOD_BINS_PER_PIXEL * lod.binNs) {
    // Zoomed far out: every column from the prefix sums; tasks are not visited at all.
    const previous = new Float64Array(STATE_COUNT);
    lodTotalsUntil(lod, t0, previous, 0);
    for (let c = 0; c < width; c++) {
      const o = c * STATE_COUNT;
      lodTotalsUntil(lod, t0 + (c + 1) * nsPerPx, out, o);
      for (let k = 0; k < STATE_COUNT; k++) {
        const total = out[o + k]!;
        out[o + k] = total - previous[k]!;
        previous[k] = total;
      }
    }
    return { detailed, columns: out, aggregated: last - first };
  }
  const { start, end, states } = tasks;
  for (let i = first; i < last; i++) {
    const s = start[i]!;
    const e = end[i]!;
    if (e < t0) continue;
    if ((e - s) / nsPerPx >= minDetailPx) {
      detailed.push(i);
      continue;
    }
    aggregated++;
    const wall = e - s;
    const x0 = (s - t0) / nsPerPx;
    const x1 = (e - t0) / nsPerPx;
    const c0 = Math.max(0, Math.floor(x0));
    const c1 = Math.min(width - 1, Math.floor(x1));
    const base = i * STATE_COUNT;
    if (c0 === c1 || wall === 0) {
      if (c0 > width - 1 || c1 < 0) continue;
      const o = c0 * STATE_COUNT;
      for (let k = 0; k < STATE_COUNT; k++) out[o + k] += states[base + k]!;
      continue;
    }
    // A task crossing column boundaries gives each column its share of the overlap.
    for (let c = c0; c <= c1; c++) {
      const overlap = Math.min(x1, c + 1) - Math.max(x0, c);
      if (overlap <= 0) continue;
      const share = (overlap * nsPerPx) / wall;
      const o = c * STATE_COUNT;
      for (let k = 0; k < STATE_COUNT; k++) out[o + k] += states[base + k]! * share;
    }
  }
  return { detailed, columns: out, aggregated };
}
