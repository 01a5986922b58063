/**
 * Garbage-collection pauses of the current thread, on the trace's clock. V8 reports them to a
 * PerformanceObserver a loop turn or two after they happen, so `flush` waits for those turns
 * before the pauses of a run are taken; tasks get their share by overlap afterwards.
 */
import { constants, performance, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import type { GcSpan } from '../../shared/trace';
import { nowNs } from './thread-probe';

const KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/** Pauses kept per thread and run: enough for any profile the span cap allows. */
const MAX_SPANS = 100_000;

export class GcRecorder {
  private spans: GcSpan[] = [];
  private readonly observer: PerformanceObserver;
  /** performance.now() and hrtime read the same monotonic clock from different origins. */
  private readonly originNs = nowNs() - performance.now() * 1e6;

  constructor(
    private readonly pid: number,
    private readonly tid: number,
  ) {
    this.observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) this.add(entry);
    });
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /** Waits for the pauses V8 has not yet reported, then hands over (and forgets) all of them. */
  async take(): Promise<GcSpan[]> {
    for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
    const spans = this.spans;
    this.spans = [];
    return spans;
  }

  stop(): void {
    this.observer.disconnect();
  }

  private add(entry: PerformanceEntry): void {
    if (this.spans.length >= MAX_SPANS) return;
    const startNs = Math.round(this.originNs + entry.startTime * 1e6);
    const detail = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail;
    this.spans.push({
      pid: this.pid,
      tid: this.tid,
      startNs,
      endNs: startNs + Math.round(entry.duration * 1e6),
      kind: KINDS[detail?.kind ?? 0] ?? 'other',
    });
  }
}

/** Each thread's pauses in time order, for the GC time inside each task's window. */
export class GcIndex {
  private readonly byThread = new Map<number, GcSpan[]>();

  constructor(spans: readonly GcSpan[]) {
    for (const span of spans) {
      const list = this.byThread.get(span.tid) ?? [];
      list.push(span);
      this.byThread.set(span.tid, list);
    }
    for (const list of this.byThread.values()) list.sort((a, b) => a.startNs - b.startNs);
  }

  /** Pause time of thread `tid` between `startNs` and `endNs` (one thread's pauses never overlap). */
  inside(tid: number, startNs: number, endNs: number): number {
    const list = this.byThread.get(tid);
    if (!list) return 0;
    let low = 0;
    let high = list.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (list[mid].endNs <= startNs) low = mid + 1;
      else high = mid;
    }
    let total = 0;
    for (let i = low; i < list.length && list[i].startNs < endNs; i++) {
      total += Math.min(list[i].endNs, endNs) - Math.max(list[i].startNs, startNs);
    }
    return total;
  }
}
