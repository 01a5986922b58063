/** Number formatting shared by tooltips, tables and the summary (exact enough to compare). */

export function formatMs(ns: number): string {
  return `${(ns / 1e6).toFixed(3)} ms`;
}

export function formatDuration(ns: number): string {
  const abs = Math.abs(ns);
  if (abs >= 1e9) return `${(ns / 1e9).toFixed(3)} s`;
  if (abs >= 1e6) return `${(ns / 1e6).toFixed(3)} ms`;
  if (abs >= 1e3) return `${(ns / 1e3).toFixed(1)} µs`;
  return `${Math.round(ns)} ns`;
}

export function formatBytes(bytes: number | null): string {
  if (bytes === null) return 'not measured';
  if (bytes >= 1 << 30) return `${(bytes / (1 << 30)).toFixed(2)} GiB`;
  if (bytes >= 1 << 20) return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
  if (bytes >= 1 << 10) return `${(bytes / (1 << 10)).toFixed(1)} KiB`;
  return `${bytes} B`;
}

export { formatPercent, formatSpeedup } from '../shared/verdict-words';

const TIME_UNITS: [ns: number, name: string][] = [
  [1e9, 's'],
  [1e6, 'ms'],
  [1e3, 'µs'],
  [1, 'ns'],
];

/** Fewest decimals (up to 9) that write `value` exactly enough for steps of `step`. */
function decimalsFor(step: number): number {
  for (let digits = 0; digits < 9; digits++) {
    const scaled = step * 10 ** digits;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-6 * Math.max(1, scaled)) return digits;
  }
  return 9;
}

/**
 * A time-axis label the way a person writes it: "0", "250 ms", "1.25 s", "12.5 µs". The unit
 * follows the tick's own size; the decimals follow the spacing of the ticks (`stepNs`), so
 * neighbouring ticks stay distinct at every zoom, and trailing zeros are dropped.
 */
export function formatTimeTick(ns: number, stepNs: number): string {
  if (ns === 0) return '0';
  const [unit, name] = TIME_UNITS.find(([size]) => Math.abs(ns) >= size) ?? TIME_UNITS[TIME_UNITS.length - 1]!;
  const text = (ns / unit).toFixed(decimalsFor(Math.abs(stepNs) / unit));
  return `${text.includes('.') ? text.replace(/\.?0+$/, '') : text} ${name}`;
}

/** 1234567 → "1,234,567" (toLocaleString is too slow to call on every frame). */
export function formatCount(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
