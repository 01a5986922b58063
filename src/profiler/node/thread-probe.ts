/**
 * Per-thread measurements read by the thread itself: runqueue wait from
 * /proc/thread-self/schedstat, the core from field 39 of /proc/thread-self/stat (opened once
 * per thread, re-read at offset 0 into one buffer, parsed without building strings: a few µs
 * per read). CPU time comes from process.threadCpuUsage() where Node has it (23.9+); Node 20
 * has no thread CPU clock, and schedstat's figure only advances at scheduler ticks and
 * switches, so there a task shorter than a tick (1–4 ms) gets an approximate CPU time. Run
 * shares are taken from event-loop utilization instead, which has no such granularity.
 */
import { closeSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';

/** CLOCK_MONOTONIC in ns: the axis the Python harness and the sampler use too. */
export function nowNs(): number {
  return Number(process.hrtime.bigint());
}

/** Node 23.9+: the calling thread's CPU time in µs (getrusage RUSAGE_THREAD). */
const threadCpuUsage = (process as { threadCpuUsage?: () => { user: number; system: number } }).threadCpuUsage?.bind(process);

const SPACE = 32;
const CLOSE_PAREN = 41;

function digits(buffer: Buffer, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i++) value = value * 10 + (buffer[i] - 48);
  return value;
}

function openOrNull(file: string): number | null {
  try {
    return openSync(file, 'r');
  } catch {
    return null;
  }
}

export class ThreadProbe {
  readonly tid: number;
  private readonly statFd: number | null;
  private readonly schedstatFd: number | null;
  private readonly buffer = Buffer.alloc(1024);

  constructor() {
    this.statFd = openOrNull('/proc/thread-self/stat');
    this.schedstatFd = openOrNull('/proc/thread-self/schedstat');
    // The first field of the thread's stat file is its kernel thread id, the sampler's key.
    this.tid = this.statFd === null ? process.pid : this.readStat((buffer) => digits(buffer, 0, buffer.indexOf(SPACE)));
  }

  get procAvailable(): boolean {
    return this.statFd !== null && this.schedstatFd !== null;
  }

  /** Time on a CPU and time runnable but waiting for one, ns, since the thread started. */
  cpuAndRunq(): [number, number] {
    if (this.schedstatFd === null) return [0, 0];
    const length = readSync(this.schedstatFd, this.buffer, 0, 128, 0);
    const first = this.buffer.indexOf(SPACE);
    const second = this.buffer.indexOf(SPACE, first + 1);
    const runq = digits(this.buffer, first + 1, second < 0 || second > length ? length : second);
    if (threadCpuUsage) {
      const { user, system } = threadCpuUsage();
      return [(user + system) * 1000, runq];
    }
    return [digits(this.buffer, 0, first), runq];
  }

  /** The core the thread last ran on; -1 without /proc. */
  core(): number {
    if (this.statFd === null) return -1;
    return this.readStat((buffer, length) => {
      // Fields after the last ')' start at field 3; the processor is field 39.
      let i = buffer.lastIndexOf(CLOSE_PAREN, length) + 2;
      for (let field = 3; field < 39 && i < length; i++) if (buffer[i] === SPACE) field++;
      let end = i;
      while (end < length && buffer[end] !== SPACE) end++;
      return digits(buffer, i, end);
    });
  }

  close(): void {
    if (this.statFd !== null) closeSync(this.statFd);
    if (this.schedstatFd !== null) closeSync(this.schedstatFd);
  }

  private readStat(parse: (buffer: Buffer, length: number) => number): number {
    const length = readSync(this.statFd!, this.buffer, 0, this.buffer.length, 0);
    return parse(this.buffer, length);
  }
}

/** Peak resident memory of a process (VmHWM), or null where /proc has none. */
export function peakRssBytes(pid: number | 'self' = 'self'): number | null {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Resets this process's peak RSS so each run reports its own (Linux 4.0+; ignored elsewhere). */
export function resetPeakRss(): void {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // Not Linux, or not permitted: the peak then covers every run so far.
  }
}
