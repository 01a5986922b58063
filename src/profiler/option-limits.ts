/**
 * The ranges profiling options must fall in, checked before anything runs (the CLI names its
 * flags, the runner its fields). Beyond them a value is a typo or would break something: a
 * timeout past setTimeout's 2^31-1 ms fires at once, an address-space limit below what the
 * interpreter needs makes the harness itself fail, a thousand workers exhaust the machine.
 * The one address option, the Dask scheduler's, is checked here too.
 */

export interface OptionRange {
  min: number;
  max: number;
  integer: boolean;
  /** How a value is read, for messages: "seconds", "MiB". */
  unit?: string;
}

export const OPTION_RANGES = {
  workers: { min: 1, max: 256, integer: true },
  repeat: { min: 1, max: 50, integer: true },
  timeoutSec: { min: 0.1, max: 86_400, integer: false, unit: 'seconds' },
  /** Address space: the interpreter with its thread stacks and allocator arenas needs ~64 MiB. */
  memoryLimitMiB: { min: 64, max: 16 * 2 ** 20, integer: false, unit: 'MiB' },
} satisfies Record<string, OptionRange>;

export function inRange(value: number, range: OptionRange): boolean {
  return Number.isFinite(value) && (!range.integer || Number.isInteger(value)) && value >= range.min && value <= range.max;
}

/** "an integer from 1 to 256", "a number of seconds from 0.1 to 86400". */
export function describeRange(range: OptionRange): string {
  const what = range.integer ? 'an integer' : range.unit ? `a number of ${range.unit}` : 'a number';
  return `${what} from ${range.min} to ${range.max}`;
}

/** The first of the runner's numeric options out of its range, as a message; null when all fit. */
export function numericOptionProblem(options: { workers?: number[]; repeat?: number; timeoutSec?: number; memoryLimitBytes?: number }): string | null {
  const checks: [string, number | undefined, OptionRange][] = [
    ...(options.workers ?? []).map((w): [string, number, OptionRange] => ['workers', w, OPTION_RANGES.workers]),
    ['repeat', options.repeat, OPTION_RANGES.repeat],
    ['timeoutSec', options.timeoutSec, OPTION_RANGES.timeoutSec],
    ['memoryLimit (MiB)', options.memoryLimitBytes === undefined ? undefined : options.memoryLimitBytes / 2 ** 20, OPTION_RANGES.memoryLimitMiB],
  ];
  for (const [name, value, range] of checks) {
    if (value !== undefined && !inRange(value, range)) return `${name} must be ${describeRange(range)}, got ${value}`;
  }
  return null;
}

/** A Dask scheduler's address as `dask scheduler` prints it: tcp://HOST:PORT, tls:// too, an IPv6 host in brackets. */
export function isDaskSchedulerAddress(value: string): boolean {
  const match = /^(?:tcp|tls):\/\/(?:\[[0-9A-Fa-f:.]+\]|[^\s/:[\]]+):(\d{1,5})$/.exec(value);
  return match !== null && Number(match[1]) >= 1 && Number(match[1]) <= 65_535;
}
