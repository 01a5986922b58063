/** The words the timeline shows about what it draws: row labels and the tooltip of a span. */
import { configurationName } from '../shared/verdict-words';
import type { RunHeader } from '../shared/webview-protocol';
import { formatBytes, formatDuration, formatMs, formatPercent, formatSpeedup } from './format';
import type { Row } from './layout';
import type { Lane, TraceModel } from './model';
import { STATE_COUNT, STATE_LABELS, STATES } from './states';

/** What is under the pointer: a row, and on a thread row the task or lock span, if any. */
export interface Hit {
  row: Row;
  lane?: Lane;
  task?: number;
  lock?: number;
}

/** A row's full label: drawn clipped in the gutter, shown whole in the gutter's tooltip. */
export function rowLabel(model: TraceModel, row: Row): string {
  const run = model.runs[row.runIndex]!;
  switch (row.kind) {
    case 'run': {
      const h = run.header;
      const speed = h.speedup === null ? '' : ` · speedup ${formatSpeedup(h.speedup)}`;
      return `${configurationName(h.kind, h.workers, model.header.target.runtime)} · repetition ${h.repetition + 1} · wall ${formatDuration(h.wallNs)}${speed}`;
    }
    case 'cores':
      return `Cores: busy share of each of the ${run.cores.cores} cores (darker is busier), then their mean`;
    case 'host': {
      const workers = run.processes.filter((candidate) => candidate.host === row.host).length;
      return `host ${row.host} · ${workers} worker process${workers === 1 ? '' : 'es'}`;
    }
    case 'process': {
      const proc = run.processes.find((candidate) => candidate.pid === row.pid)!;
      return `${proc.name ? `${proc.name} · ` : ''}pid ${proc.pid} · peak RSS ${formatBytes(proc.peakRssBytes)}`;
    }
    case 'thread': {
      const lane = model.lanes[row.laneId]!;
      return `pid ${lane.pid} · ${lane.label}`;
    }
  }
}

/** The tooltip lines for what is under the pointer at time `t`. */
export function describeHit(model: TraceModel, hit: Hit, t: number): string[] {
  const run = model.runs[hit.row.runIndex]!;
  if (hit.lane && hit.task !== undefined) {
    const tasks = hit.lane.tasks;
    const i = hit.task;
    const wall = tasks.end[i]! - tasks.start[i]!;
    const lines = [
      `Task ${tasks.index[i]} · ${taskPlace(run.header, tasks.worker[i]!, model)}`,
      `pid ${hit.lane.pid} · tid ${hit.lane.tid} · core ${tasks.coreStart[i]} → ${tasks.coreEnd[i]}`,
      `start ${formatMs(tasks.start[i]!)} · end ${formatMs(tasks.end[i]!)}`,
      `wall ${formatMs(wall)}`,
    ];
    STATES.forEach((state, k) => {
      const ns = tasks.states[i * STATE_COUNT + k]!;
      if (ns > 0) lines.push(`${STATE_LABELS[state]}: ${formatMs(ns)} (${formatPercent(wall > 0 ? ns / wall : 0)})`);
    });
    const error = tasks.errors.get(i);
    if (error) lines.push(`raised ${error.type}: ${error.message}`);
    lines.push(`click: open ${model.header.target.function} in ${model.header.target.file}`);
    return lines;
  }
  if (hit.lane && hit.lock !== undefined) {
    const locks = hit.lane.locks;
    const i = hit.lock;
    const site = model.sites[locks.site[i]!]!;
    return [
      `Lock created at ${site.key}`,
      `pid ${hit.lane.pid} · tid ${hit.lane.tid}`,
      `waited ${formatMs(locks.acquired[i]! - locks.request[i]!)} (from ${formatMs(locks.request[i]!)})`,
      `held ${formatMs(locks.released[i]! - locks.acquired[i]!)} (until ${formatMs(locks.released[i]!)})`,
      'click: open the line that created the lock',
    ];
  }
  if (hit.row.kind === 'cores') {
    const cores = run.cores;
    const i = Math.min(cores.time.length - 1, Math.max(0, lowerIndex(cores.time, t)));
    if (i < 0 || cores.cores === 0) return [];
    const shares = Array.from({ length: cores.cores }, (_, c) => `core ${c}: ${formatPercent(cores.busy[i * cores.cores + c]!)}`);
    return [`Core utilization at ${formatMs(cores.time[i]!)}`, ...shares];
  }
  if (hit.row.kind === 'host') {
    const host = hit.row.host;
    return [`Host ${host}`, `${run.processes.filter((candidate) => candidate.host === host).length} Dask worker processes`];
  }
  if (hit.row.kind === 'process') {
    const proc = run.processes.find((candidate) => candidate.pid === (hit.row as { pid: number }).pid)!;
    return [`Process ${proc.pid}${proc.name ? ` · Dask worker ${proc.name} on ${proc.host}` : ''}`, `peak RSS ${formatBytes(proc.peakRssBytes)}`, `${proc.lanes.length} thread lane${proc.lanes.length === 1 ? '' : 's'}`];
  }
  return [];
}

/**
 * Where a task ran, in the verdict's words: "thread pool with 2 workers, worker 1"; the tasks
 * of an async run share one thread and run in call slots, not workers.
 */
function taskPlace(header: RunHeader, worker: number, model: TraceModel): string {
  return `${configurationName(header.kind, header.workers, model.header.target.runtime)}, ${header.kind === 'async' ? 'call slot' : 'worker'} ${worker}`;
}

function lowerIndex(values: Float64Array, t: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
