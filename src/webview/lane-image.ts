/**
 * Pixel writers for one lane's image (its task band and lock band), shared by every lane of a
 * frame: zoomed-out task columns, individually drawn tasks and lock marks go straight into a
 * Uint32Array over ImageData, an order of magnitude cheaper than a fillRect per span.
 */
import { visibleLocks, type Lane } from './model';
import type { StateTiles } from './patterns';
import { STATE_COUNT } from './states';

/**
 * Writes the tasks drawn individually as proportional state segments, full band height. Tasks
 * of one thread do not overlap, so this writes each pixel column at most about once.
 */
export function writeTaskSegments(
  pixels: Uint32Array,
  stride: number,
  bandHeight: number,
  lane: Lane,
  indices: number[],
  t0: number,
  nsPerPx: number,
  tiles: StateTiles,
): void {
  const { start, states } = lane.tasks;
  const n = tiles.size;
  for (const i of indices) {
    let x = (start[i]! - t0) / nsPerPx;
    for (let k = 0; k < STATE_COUNT; k++) {
      const next = x + states[i * STATE_COUNT + k]! / nsPerPx;
      const c0 = Math.max(0, Math.round(x));
      const c1 = Math.min(stride, Math.round(next));
      const strips = tiles.strips[k]!;
      for (let c = c0; c < c1; c++) {
        const strip = strips[c % n]!;
        for (let j = 0; j < bandHeight; j++) pixels[j * stride + c] = strip[j]!;
      }
      x = next;
    }
  }
}

/**
 * Marks each pixel column of the lock band: a wait (request → acquired) over a hold (acquired
 * → released), so many sub-pixel spans cost one pixel write each. Returns the spans visited.
 */
export function writeLockMarks(
  pixels: Uint32Array,
  stride: number,
  bandTop: number,
  bandHeight: number,
  lane: Lane,
  t0: number,
  nsPerPx: number,
  marks: Uint8Array,
  words: { wait: number; hold: number },
): number {
  const locks = lane.locks;
  if (locks.count === 0) return 0;
  const width = marks.length;
  const [first, last] = visibleLocks(locks, t0, t0 + width * nsPerPx);
  if (last <= first) return 0;
  marks.fill(0);
  const column = (t: number) => Math.floor((t - t0) / nsPerPx);
  for (let i = first; i < last; i++) {
    const request = column(locks.request[i]!);
    const acquired = column(locks.acquired[i]!);
    const released = column(locks.released[i]!);
    for (let c = Math.max(0, acquired); c <= Math.min(width - 1, released); c++) if (marks[c] === 0) marks[c] = 1;
    if (locks.acquired[i]! > locks.request[i]!) for (let c = Math.max(0, request); c <= Math.min(width - 1, acquired); c++) marks[c] = 2;
  }
  const holdInset = Math.min(2, Math.floor(bandHeight / 3));
  for (let c = 0; c < width; c++) {
    const mark = marks[c];
    if (mark === 0) continue;
    const word = mark === 2 ? words.wait : words.hold;
    const from = mark === 2 ? 0 : holdInset;
    const to = mark === 2 ? bandHeight : bandHeight - holdInset;
    for (let j = from; j < to; j++) pixels[(bandTop + j) * stride + c] = word;
  }
  return last - first;
}

/**
 * Writes per-pixel task columns: each column is filled from the bottom of the band in
 * proportion to how busy the lane was in that pixel, split by state in legend order.
 */
export function writeColumns(pixels: Uint32Array, stride: number, bandHeight: number, columns: Float64Array, nsPerPx: number, tiles: StateTiles): void {
  const columnCount = columns.length / STATE_COUNT;
  const n = tiles.size;
  for (let c = 0; c < columnCount; c++) {
    const o = c * STATE_COUNT;
    let total = 0;
    for (let k = 0; k < STATE_COUNT; k++) total += columns[o + k]!;
    if (total <= 0) continue;
    const filled = Math.max(1, Math.round(bandHeight * Math.min(1, total / nsPerPx)));
    // Walk up from the bottom row of the band.
    const residue = c % n;
    let row = bandHeight - 1;
    let remaining = filled;
    let dominant = 0;
    for (let k = 0; k < STATE_COUNT && remaining > 0; k++) {
      const share = columns[o + k]!;
      if (share <= 0) continue;
      if (share > columns[o + dominant]!) dominant = k;
      const h = Math.min(remaining, Math.round((filled * share) / total));
      const strip = tiles.strips[k]![residue]!;
      for (let j = 0; j < h; j++, row--) pixels[row * stride + c] = strip[row]!;
      remaining -= h;
    }
    // Rounding can leave a pixel or two: give them to the dominant state rather than a gap.
    const strip = tiles.strips[dominant]![residue]!;
    for (; remaining > 0; remaining--, row--) pixels[row * stride + c] = strip[row]!;
  }
}

