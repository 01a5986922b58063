/**
 * The plain-text report of a profile: the kind × workers table, the verdict, locks, lock-order
 * cycles, faults and what could not be measured. Used by the CLI and the editor's output channel.
 */
import type { ProfileTrace, Run } from '../shared/trace';
import { NODE_COLUMNS } from './node/format-columns';
import { leadingCells, trailingCells } from './table-cells';
import { median } from './trace-builder';

const pct = (part: number | null, whole: number): string => (part === null ? 'n/a' : `${Math.round((100 * part) / (whole || 1))}%`);

const PYTHON_COLUMNS = {
  header: ['config', 'wall', 'speedup', 'effic.', 'CPU', 'runq', 'GIL wait', 'lock wait', 'I/O+sleep', 'IPC', 'peak RSS', 'errors'],
  footnote: '(CPU, runq, GIL, lock and I/O are shares of task time; wall is the median over repetitions)',
  row(runs: Run[], serialWall: number | null): string[] {
    const sum = (pick: (r: Run) => number | null): number | null =>
      runs.some((r) => pick(r) === null) ? null : runs.reduce((s, r) => s + (pick(r) ?? 0), 0);
    const taskWall = runs.reduce((s, r) => s + r.totals.taskWallNs, 0);
    const ipc = runs.every((r) => r.ipc === null)
      ? '-'
      : `${(median(runs.map((r) => (r.ipc ? r.ipc.argsPickleNs + r.ipc.argsUnpickleNs + r.ipc.resultPickleNs + r.ipc.resultUnpickleNs : 0))) / 1e6).toFixed(1)}ms`;
    return [
      ...leadingCells(runs, serialWall),
      pct(sum((r) => r.totals.cpuNs), taskWall),
      pct(sum((r) => r.totals.runqNs), taskWall),
      pct(sum((r) => r.totals.gilWaitNs), taskWall),
      pct(sum((r) => r.totals.lockWaitNs), taskWall),
      pct(sum((r) => (r.totals.ioNs === null || r.totals.sleepNs === null ? null : r.totals.ioNs + r.totals.sleepNs)), taskWall),
      ipc,
      ...trailingCells(runs),
    ];
  },
};

export function formatProfileTable(trace: ProfileTrace): string {
  const lines: string[] = [];
  const target = trace.target;
  const node = target.runtime === 'node';
  const runtime = node ? `Node.js ${target.interpreterVersion}` : `Python ${target.interpreterVersion}${target.gilEnabled ? '' : ' (GIL disabled)'}`;
  lines.push(`${target.file}:${target.function} — ${target.taskCount} tasks, ${runtime}, ${trace.host.cpusUsable} usable CPUs`);
  const columns = node ? NODE_COLUMNS : PYTHON_COLUMNS;
  const groups = new Map<string, Run[]>();
  for (const run of trace.runs) {
    const key = `${run.kind}/${run.workers}`;
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  if (groups.size > 0) {
    const header = columns.header;
    const serialRuns = groups.get('serial/1');
    const serialCompared = (serialRuns ?? []).filter((r) => r.speedup !== null);
    const serialWall = serialCompared.length > 0 ? median(serialCompared.map((r) => r.wallNs)) : null;
    const rows = [header, ...[...groups.values()].map((runs) => columns.row(runs, serialWall))];
    const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    lines.push('');
    for (const r of rows) lines.push(r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '));
    lines.push(columns.footnote);
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
