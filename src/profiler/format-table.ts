/**
 * The plain-text report of a profile: the kind × workers table, the verdict, locks, lock-order
 * cycles, faults and what could not be measured. Used by the CLI and the editor's output channel.
 */
import type { ProfileTrace, Run, Verdict } from '../shared/trace';
import { median } from './trace-builder';

const pct = (part: number | null, whole: number): string => (part === null ? 'n/a' : `${Math.round((100 * part) / (whole || 1))}%`);

function row(runs: Run[], serialWall: number | null): string[] {
  const walls = runs.map((r) => r.wallNs);
  const wall = median(walls);
  const spread = walls.length > 1 ? ` ±${Math.round((50 * (Math.max(...walls) - Math.min(...walls))) / wall)}%` : '';
  // Median against median, as the verdict does: the serial row is 1.00x by definition. Runs
  // without a speedup did different work (their tasks failed) and are not compared.
  const compared = runs.filter((r) => r.speedup !== null).map((r) => r.wallNs);
  const speedup = serialWall === null || compared.length === 0 ? NaN : serialWall / median(compared);
  const sum = (pick: (r: Run) => number | null): number | null =>
    runs.some((r) => pick(r) === null) ? null : runs.reduce((s, r) => s + (pick(r) ?? 0), 0);
  const taskWall = runs.reduce((s, r) => s + r.totals.taskWallNs, 0);
  const ipc = runs.every((r) => r.ipc === null)
    ? '-'
    : `${(median(runs.map((r) => (r.ipc ? r.ipc.argsPickleNs + r.ipc.argsUnpickleNs + r.ipc.resultPickleNs + r.ipc.resultUnpickleNs : 0))) / 1e6).toFixed(1)}ms`;
  const rss = Math.max(...runs.map((r) => r.memory.reduce((s, m) => s + (m.peakRssBytes ?? 0), 0)));
  const first = runs[0];
  return [
    first.kind === 'serial' ? 'serial' : `${first.kind} x${first.workers}`,
    `${(wall / 1e6).toFixed(1)}ms${spread}`,
    Number.isNaN(speedup) ? '-' : `${speedup.toFixed(2)}x`,
    Number.isNaN(speedup) ? '-' : `${Math.round((100 * speedup) / first.workers)}%`,
    pct(sum((r) => r.totals.cpuNs), taskWall),
    pct(sum((r) => r.totals.runqNs), taskWall),
    pct(sum((r) => r.totals.gilWaitNs), taskWall),
    pct(sum((r) => r.totals.lockWaitNs), taskWall),
    pct(sum((r) => (r.totals.ioNs === null || r.totals.sleepNs === null ? null : r.totals.ioNs + r.totals.sleepNs)), taskWall),
    ipc,
    rss > 0 ? `${Math.round(rss / 2 ** 20)}MiB` : 'n/a',
    String(runs.reduce((s, r) => s + r.totals.errors, 0)),
  ];
}

export function formatProfileTable(trace: ProfileTrace): string {
  const lines: string[] = [];
  const target = trace.target;
  lines.push(`${target.file}:${target.function} — ${target.taskCount} tasks, Python ${target.interpreterVersion}${target.gilEnabled ? '' : ' (GIL disabled)'}, ${trace.host.cpusUsable} usable CPUs`);
  const groups = new Map<string, Run[]>();
  for (const run of trace.runs) {
    const key = `${run.kind}/${run.workers}`;
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  if (groups.size > 0) {
    const header = ['config', 'wall', 'speedup', 'effic.', 'CPU', 'runq', 'GIL wait', 'lock wait', 'I/O+sleep', 'IPC', 'peak RSS', 'errors'];
    const serialRuns = groups.get('serial/1');
    const serialCompared = (serialRuns ?? []).filter((r) => r.speedup !== null);
    const serialWall = serialCompared.length > 0 ? median(serialCompared.map((r) => r.wallNs)) : null;
    const rows = [header, ...[...groups.values()].map((runs) => row(runs, serialWall))];
    const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    lines.push('');
    for (const r of rows) lines.push(r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '));
    lines.push('(CPU, runq, GIL, lock and I/O are shares of task time; wall is the median over repetitions)');
  }
  if (trace.verdict) {
    const v = trace.verdict;
    lines.push('', `Verdict: ${v.recommendation}${v.recommendation === 'serial' ? '' : ` x${v.workers}`} — bottleneck: ${v.bottleneck}, confidence: ${v.confidence}`, `  ${v.summary}`);
  }
  const contended = trace.locks.filter((l) => l.waitNs > 0).slice(0, 5);
  if (contended.length > 0) {
    lines.push('', 'Locks (by total wait):');
    for (const l of contended) {
      lines.push(`  ${l.site.file}:${l.site.line} ${l.kind}: ${l.acquisitions} acquisitions, ${l.contended} contended, wait ${(l.waitNs / 1e6).toFixed(1)}ms, held ${(l.holdNs / 1e6).toFixed(1)}ms`);
    }
  }
  for (const cycle of trace.lockOrder.cycles) {
    lines.push('', `Lock-order cycle (deadlock risk): ${cycle.sites.map((s) => `${s.file}:${s.line}`).join(' → ')} → ${cycle.sites[0].file}:${cycle.sites[0].line}`);
    for (const edge of cycle.edges) {
      const where = edge.stack[edge.stack.length - 1];
      lines.push(`  ${edge.from.file}:${edge.from.line} held while acquiring ${edge.to.file}:${edge.to.line}${where ? ` at ${where.file}:${where.line} in ${where.function}` : ''}`);
    }
  }
  for (const fault of trace.faults) {
    lines.push('', `${fault.fatal ? 'Error' : 'Note'} (${fault.fault}): ${fault.message}`);
    for (const holding of fault.lockState ?? []) {
      lines.push(`  lock ${holding.site.file}:${holding.site.line} held by thread ${holding.holderTid ?? 'none'}, awaited by ${holding.waiterTids.join(', ') || 'nobody'}`);
    }
    for (const stack of fault.stacks ?? []) {
      const top = stack.frames[stack.frames.length - 1];
      if (top) lines.push(`  pid ${stack.pid} ${stack.name}: at ${top.file}:${top.line} in ${top.function}`);
    }
  }
  const errors = trace.runs.flatMap((r) => r.tasks).filter((t) => t.error);
  if (errors.length > 0) {
    const first = errors[0].error!;
    lines.push('', `Task exceptions: ${errors.length} (first: ${first.type}${first.message ? `: ${first.message}` : ''})`);
  }
  if (trace.sampler.unavailable.length > 0) lines.push('', `Not measured: ${trace.sampler.unavailable.join('; ')}.`);
  return lines.join('\n') + '\n';
}

const BOTTLENECK_PHRASES: Record<Verdict['bottleneck'], string> = {
  gil: 'GIL-bound on threads',
  cpu: 'limited by the CPUs',
  io: 'I/O-bound',
  lock: 'serialized by a lock',
  ipc: 'pickling costs more than it saves',
  overhead: 'tasks too small for processes',
  imbalance: 'uneven load across workers',
  oversubscription: 'more workers than CPUs',
  memory: 'ran out of memory',
  scheduler: 'waits for the Dask scheduler',
  none: 'scales',
};

/** One line for a CodeLens or a status message: "process ×4: 3.6x — GIL-bound on threads". */
export function verdictHeadline(verdict: Verdict): string {
  const speedup = verdict.recommendation === 'serial' ? 1 : verdict.speedups[`${verdict.recommendation} x${verdict.workers}`];
  const pool = verdict.recommendation === 'serial' ? 'serial' : `${verdict.recommendation} ×${verdict.workers}`;
  const noise = verdict.confidence === 'low' ? ' (low confidence)' : '';
  return `${pool}: ${speedup === undefined ? '?' : speedup.toFixed(1)}x — ${BOTTLENECK_PHRASES[verdict.bottleneck]}${noise}`;
}
