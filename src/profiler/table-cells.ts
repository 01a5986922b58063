/** The cells every runtime's profile table shares, first and last in each row. */
import type { Run } from '../shared/trace';
import { median } from './trace-builder';

/** The cells every runtime's table starts with: configuration, wall, speedup, efficiency. */
export function leadingCells(runs: Run[], serialWall: number | null): string[] {
  const walls = runs.map((r) => r.wallNs);
  const wall = median(walls);
  const spread = walls.length > 1 ? ` ±${Math.round((50 * (Math.max(...walls) - Math.min(...walls))) / wall)}%` : '';
  // Median against median, as the verdict does: the serial row is 1.00x by definition. Runs
  // without a speedup did different work (their tasks failed) and are not compared.
  const compared = runs.filter((r) => r.speedup !== null).map((r) => r.wallNs);
  const speedup = serialWall === null || compared.length === 0 ? NaN : serialWall / median(compared);
  const first = runs[0];
  return [
    first.kind === 'serial' ? 'serial' : `${first.kind} x${first.workers}`,
    `${(wall / 1e6).toFixed(1)}ms${spread}`,
    Number.isNaN(speedup) ? '-' : `${speedup.toFixed(2)}x`,
    Number.isNaN(speedup) ? '-' : `${Math.round((100 * speedup) / first.workers)}%`,
  ];
}

/** And the cells every runtime's table ends with: peak memory and task errors. */
export function trailingCells(runs: Run[]): string[] {
  const rss = Math.max(...runs.map((r) => r.memory.reduce((s, m) => s + (m.peakRssBytes ?? 0), 0)));
  return [rss > 0 ? `${Math.round(rss / 2 ** 20)}MiB` : 'n/a', String(runs.reduce((s, r) => s + r.totals.errors, 0))];
}
