/**
 * Export to the Chrome Trace Event format (JSON object form), which Perfetto and
 * chrome://tracing open: one process per (run, OS process), one thread lane per OS thread
 * (per call slot for async runs, whose calls overlap on one thread), complete events
 * (ph "X") for tasks, lock waits/holds and Node GC pauses, counters (ph "C") for per-core
 * utilization, metadata (ph "M") for names. Timestamps are microseconds from the trace start.
 */
import type { ProfileTrace, Run } from '../shared/trace';

export interface ChromeTraceEvent {
  name: string;
  ph: 'X' | 'M' | 'C';
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  cat?: string;
  args?: Record<string, unknown>;
}

export interface ChromeTrace {
  traceEvents: ChromeTraceEvent[];
  displayTimeUnit: 'ms';
  otherData: Record<string, string>;
}

const runName = (run: Run): string => (run.kind === 'serial' ? 'serial' : `${run.kind} x${run.workers}`) + ` #${run.repetition + 1}`;

export function toChromeTrace(trace: ProfileTrace): ChromeTrace {
  const origin = Math.min(...trace.runs.map((r) => r.startNs));
  const us = (ns: number): number => (ns - origin) / 1000;
  const events: ChromeTraceEvent[] = [];
  // Each run gets its own block of synthetic pids so repetitions do not share lanes.
  trace.runs.forEach((run, runIndex) => {
    const base = (runIndex + 1) * 1000;
    const lanes = new Map<number, number>();
    // Dask workers are named by host and address, so lanes of one host sort together.
    const daskWorkers = new Map((run.dask?.workers ?? []).map((w) => [w.pid, w]));
    const laneOf = (pid: number): number => {
      if (!lanes.has(pid)) {
        const lane = base + lanes.size;
        lanes.set(pid, lane);
        const worker = daskWorkers.get(pid);
        const who = worker ? `${worker.host} · ${worker.address} · pid ${pid}` : `pid ${pid}`;
        events.push({ name: 'process_name', ph: 'M', pid: lane, tid: 0, ts: 0, args: { name: `${runName(run)} — ${who}` } });
        events.push({ name: 'process_sort_index', ph: 'M', pid: lane, tid: 0, ts: 0, args: { sort_index: lane } });
      }
      return lanes.get(pid)!;
    };
    const named = new Set<string>();
    // Trace Event "X" events of one thread must nest: overlapping async calls get a lane per slot.
    const slotted = run.kind === 'async';
    for (const task of run.tasks) {
      const pid = laneOf(task.pid);
      const tid = slotted ? task.tid * 1000 + task.worker : task.tid;
      if (!named.has(`${pid}/${tid}`)) {
        named.add(`${pid}/${tid}`);
        const name = slotted ? `event loop, call slot ${task.worker} (tid ${task.tid})` : `worker ${task.worker} (tid ${task.tid})`;
        events.push({ name: 'thread_name', ph: 'M', pid, tid, ts: 0, args: { name } });
      }
      const d = task.decomposition;
      events.push({
        name: `task ${task.index}${task.error ? ` ✗ ${task.error.type}` : ''}`,
        cat: 'task',
        ph: 'X',
        pid,
        tid,
        ts: us(task.startNs),
        dur: (task.endNs - task.startNs) / 1000,
        args: {
          cpuMs: d.cpuNs / 1e6,
          runqMs: d.runqNs / 1e6,
          lockWaitMs: d.lockWaitNs / 1e6,
          gilWaitMs: d.gilWaitNs === null ? null : d.gilWaitNs / 1e6,
          ioMs: d.ioNs === null ? null : d.ioNs / 1e6,
          sleepMs: d.sleepNs === null ? null : d.sleepNs / 1e6,
          core: `${task.coreStart}→${task.coreEnd}`,
          ...(d.loopBusyNs === undefined ? {} : { loopBusyMs: d.loopBusyNs / 1e6 }),
          ...(task.dask ? { daskWorker: task.dask.worker, schedulerLatencyMs: task.dask.schedulerLatencyNs / 1e6, resultLatencyMs: task.dask.resultLatencyNs / 1e6 } : {}),
          ...(task.error ? { error: `${task.error.type}: ${task.error.message}` } : {}),
        },
      });
    }
    for (const span of run.lockSpans) {
      const pid = laneOf(span.pid);
      const where = `${span.site.file}:${span.site.line}`;
      if (span.acquiredNs > span.requestNs) {
        events.push({ name: `wait ${where}`, cat: 'lock-wait', ph: 'X', pid, tid: span.tid, ts: us(span.requestNs), dur: (span.acquiredNs - span.requestNs) / 1000 });
      }
      events.push({ name: `hold ${where}`, cat: 'lock-hold', ph: 'X', pid, tid: span.tid, ts: us(span.acquiredNs), dur: (span.releasedNs - span.acquiredNs) / 1000 });
    }
    for (const gc of run.gcSpans ?? []) {
      events.push({ name: `GC (${gc.kind})`, cat: 'gc', ph: 'X', pid: laneOf(gc.pid), tid: gc.tid, ts: us(gc.startNs), dur: (gc.endNs - gc.startNs) / 1000 });
    }
    const coresPid = base + 999;
    if (run.coreSamples.length > 0) {
      events.push({ name: 'process_name', ph: 'M', pid: coresPid, tid: 0, ts: 0, args: { name: `${runName(run)} — cores` } });
    }
    for (const sample of run.coreSamples) {
      const args: Record<string, number> = {};
      sample.busy.forEach((busy, core) => (args[`cpu${core}`] = Math.round(busy * 100)));
      events.push({ name: 'core busy %', ph: 'C', pid: coresPid, tid: 0, ts: us(sample.timeNs), args });
    }
  });
  return {
    traceEvents: events,
    displayTimeUnit: 'ms',
    otherData: {
      target: `${trace.target.file}:${trace.target.function}`,
      verdict: trace.verdict?.summary ?? '',
    },
  };
}
