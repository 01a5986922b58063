/**
 * Packs CSS colours into RGBA words for direct ImageData writes: the zoomed-out task columns
 * are written pixel by pixel, which is an order of magnitude cheaper than a fillRect per
 * column and state.
 */
import { color } from 'd3';

/** Little-endian RGBA word, as a Uint32Array view over ImageData.data expects. */
export function packColor(css: string, fallback = 0xff888888): number {
  const parsed = color(css);
  if (!parsed) return fallback;
  const { r, g, b, opacity } = parsed.rgb();
  const a = Math.round(Math.max(0, Math.min(1, opacity)) * 255);
  return ((a << 24) | (Math.round(b) << 16) | (Math.round(g) << 8) | Math.round(r)) >>> 0;
}

/** Packs a colour blended over an opaque background, so semi-transparent theme colours still read. */
export function packOver(css: string, backgroundCss: string): number {
  const fg = color(css)?.rgb();
  const bg = color(backgroundCss)?.rgb();
  if (!fg || !bg) return packColor(css);
  const a = Math.max(0, Math.min(1, fg.opacity));
  const mix = (f: number, b: number) => Math.round(f * a + b * (1 - a));
  return ((255 << 24) | (mix(fg.b, bg.b) << 16) | (mix(fg.g, bg.g) << 8) | mix(fg.r, bg.r)) >>> 0;
}
