/**
 * Task states are told apart by a texture as well as by colour, so a reader with a colour
 * vision deficiency, or a high-contrast theme with few colours, still sees which part of a
 * task was waiting: waits are hatched (each wait its own direction), I/O is dotted, running
 * and unattributed time are solid; Node's garbage-collection pauses are striped across and
 * its copying of arguments and results striped upright. The textures are tiles of packed
 * pixels, written by the same code into the canvas and into the legend swatches, so both
 * always match.
 */
import { color } from 'd3';
import { packOver } from './pixels';
import { STATES, type TaskState } from './states';

export type Texture = 'solid' | 'hatch-down' | 'hatch-up' | 'cross' | 'dots' | 'horizontal' | 'vertical';

export const STATE_TEXTURES: Record<TaskState, Texture> = {
  running: 'solid',
  runqueue: 'hatch-down',
  gilWait: 'hatch-up',
  lockWait: 'cross',
  io: 'dots',
  blocked: 'solid',
  // Waiting for the event loop is waiting for a CPU of its own kind, like the runqueue;
  // a Dask task waits for the scheduler, then its result moves like I/O.
  loopBusy: 'hatch-down',
  schedulerWait: 'hatch-up',
  transfer: 'dots',
  gc: 'horizontal',
  serialization: 'vertical',
};

/** Tile edge in CSS pixels: coarse enough to see, fine enough inside a 3 px task. */
const TILE_CSS_PX = 6;

/** Whether pixel (x, y) of a tile of edge `n` carries the texture's mark. */
function marked(texture: Texture, x: number, y: number, n: number): boolean {
  const width = Math.max(1, Math.round(n / 4));
  const down = (x + y) % n < width;
  const up = (x - y + n * 4) % n < width;
  switch (texture) {
    case 'solid':
      return false;
    case 'hatch-down':
      return down;
    case 'hatch-up':
      return up;
    case 'cross':
      return down || up;
    case 'dots':
      return x % n < width && y % n < width;
    case 'horizontal':
      return y % n < width;
    case 'vertical':
      return x % n < width;
  }
}

/**
 * The mark colour: the state colour pulled halfway to the page background, so the texture
 * reads on dark, light and high-contrast themes alike without adding a new hue.
 */
function markColour(stateCss: string, backgroundCss: string): string {
  const state = color(stateCss)?.rgb();
  const background = color(backgroundCss)?.rgb();
  if (!state || !background) return stateCss;
  const mix = (a: number, b: number) => Math.round(a * 0.45 + b * 0.55);
  return `rgb(${mix(state.r, background.r)}, ${mix(state.g, background.g)}, ${mix(state.b, background.b)})`;
}

export interface StateTiles {
  /** Tile edge in device pixels. */
  size: number;
  /** Per state (in STATES order), size × size packed pixels, row-major. */
  words: Uint32Array[];
  /** Height of the band the strips are cut for, in device pixels. */
  bandHeight: number;
  /**
   * Per state and per column residue (x mod size), the band's column top to bottom: the pixel
   * writers copy from these, with no modulo per pixel.
   */
  strips: Uint32Array[][];
}

export function stateTiles(states: Record<TaskState, string>, backgroundCss: string, devicePixelRatio: number, bandHeight = 0): StateTiles {
  const size = Math.max(4, Math.round(TILE_CSS_PX * devicePixelRatio));
  const words = STATES.map((state) => {
    const base = packOver(states[state], backgroundCss);
    const mark = packOver(markColour(states[state], backgroundCss), backgroundCss);
    const tile = new Uint32Array(size * size);
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) tile[y * size + x] = marked(STATE_TEXTURES[state], x, y, size) ? mark : base;
    return tile;
  });
  const strips = words.map((tile) =>
    Array.from({ length: size }, (_, x) => Uint32Array.from({ length: bandHeight }, (_, y) => tile[(y % size) * size + x]!)),
  );
  return { size, words, bandHeight, strips };
}

/**
 * A legend swatch's image: the state's tile painted as the lanes paint it, as a data URL for a
 * CSS background (both CSPs allow data: images), so the legend holds no canvas of its own.
 */
export function swatchImage(tiles: StateTiles, stateIndex: number, size = 24): string {
  const canvas = document.createElement('canvas');
  canvas.width = size;
  canvas.height = size;
  const ctx = canvas.getContext('2d');
  if (!ctx) return '';
  const image = ctx.createImageData(size, size);
  const pixels = new Uint32Array(image.data.buffer);
  const tile = tiles.words[stateIndex]!;
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) pixels[y * size + x] = tile[(y % tiles.size) * tiles.size + (x % tiles.size)]!;
  ctx.putImageData(image, 0, 0);
  return canvas.toDataURL();
}
