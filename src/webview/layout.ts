/**
 * Vertical layout of the timeline: for each shown run a header, the per-core utilization
 * strip, then per process a memory row followed by one lane per thread; processes on a named
 * host (Dask workers) come under a row for their host. Pure: the renderer and the hit-testing
 * both read these rows.
 */
import type { TraceModel } from './model';

export type Row =
  | { kind: 'run'; y: number; height: number; runIndex: number }
  | { kind: 'cores'; y: number; height: number; runIndex: number }
  | { kind: 'host'; y: number; height: number; runIndex: number; host: string }
  | { kind: 'process'; y: number; height: number; runIndex: number; pid: number }
  | { kind: 'thread'; y: number; height: number; runIndex: number; laneId: number };

export interface RowHeights {
  run: number;
  corePerCore: number;
  coreTotal: number;
  process: number;
  thread: number;
}

export const DEFAULT_ROW_HEIGHTS: RowHeights = { run: 22, corePerCore: 5, coreTotal: 22, process: 16, thread: 30 };

export interface LaneFilter {
  /** Case-insensitive substring matched against "pid 12 tid 34 worker 0" of each lane. */
  text: string;
}

export interface Layout {
  rows: Row[];
  height: number;
  /** Thread lanes laid out (after the filter). */
  lanes: number;
}

export function laneMatches(model: TraceModel, laneId: number, filter: LaneFilter): boolean {
  const needle = filter.text.trim().toLowerCase();
  if (!needle) return true;
  const lane = model.lanes[laneId]!;
  return `pid ${lane.pid} ${lane.label}`.toLowerCase().includes(needle);
}

export function layoutRows(model: TraceModel, runIndexes: readonly number[], filter: LaneFilter, heights = DEFAULT_ROW_HEIGHTS): Layout {
  const rows: Row[] = [];
  let y = 0;
  let lanes = 0;
  const push = (row: Row) => {
    rows.push(row);
    y += row.height;
  };
  for (const runIndex of runIndexes) {
    const run = model.runs[runIndex];
    if (!run) throw new RangeError(`no run ${runIndex} in this trace`);
    push({ kind: 'run', y, height: heights.run, runIndex });
    if (run.cores.cores > 0) push({ kind: 'cores', y, height: run.cores.cores * heights.corePerCore + heights.coreTotal, runIndex });
    let host: string | null = null;
    for (const proc of run.processes) {
      const shown = proc.lanes.filter((laneId) => laneMatches(model, laneId, filter));
      if (shown.length === 0) continue;
      // Processes arrive sorted by host (see finishRun in model.ts).
      if (proc.host !== null && proc.host !== host) push({ kind: 'host', y, height: heights.process, runIndex, host: proc.host });
      host = proc.host;
      push({ kind: 'process', y, height: heights.process, runIndex, pid: proc.pid });
      for (const laneId of shown) {
        push({ kind: 'thread', y, height: heights.thread, runIndex, laneId });
        lanes++;
      }
    }
  }
  return { rows, height: y, lanes };
}

/** The row at vertical position y (rows are contiguous and ascending), or undefined. */
export function rowAt(layout: Layout, y: number): Row | undefined {
  let lo = 0;
  let hi = layout.rows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const row = layout.rows[mid]!;
    if (y < row.y) hi = mid - 1;
    else if (y >= row.y + row.height) lo = mid + 1;
    else return row;
  }
  return undefined;
}

/** Index range of rows intersecting [top, bottom). */
export function rowsInView(layout: Layout, top: number, bottom: number): [number, number] {
  const { rows } = layout;
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rows[mid]!.y + rows[mid]!.height <= top) lo = mid + 1;
    else hi = mid;
  }
  let end = lo;
  while (end < rows.length && rows[end]!.y < bottom) end++;
  return [lo, end];
}
