/**
 * The Node columns of the profile table: where task time went (CPU, runqueue, GC, waiting),
 * how long tasks queued for a worker or slot, and what moving arguments and results cost.
 */
import type { Run } from '../../shared/trace';
import { leadingCells, trailingCells } from '../table-cells';
import { median } from '../trace-builder';

const share = (part: number, whole: number): string => `${Math.round((100 * part) / (whole || 1))}%`;

function gcNs(run: Run): number {
  return run.kind === 'async' ? (run.gcSpans ?? []).reduce((s, g) => s + g.endNs - g.startNs, 0) : run.tasks.reduce((s, t) => s + (t.gcNs ?? 0), 0);
}

function serializationNs(run: Run): number {
  return run.ipc ? run.ipc.argsPickleNs + run.ipc.argsUnpickleNs + run.ipc.resultPickleNs + run.ipc.resultUnpickleNs : 0;
}

export const NODE_COLUMNS = {
  header: ['config', 'wall', 'speedup', 'effic.', 'CPU', 'runq', 'GC', 'waiting', 'queue', 'serialize', 'peak RSS', 'errors'],
  footnote: '(CPU, runq, GC and waiting are shares of task time; queue is the median wait for a worker or slot; serialize is per run; wall is the median over repetitions)',
  row(runs: Run[], serialWall: number | null): string[] {
    const taskWall = runs.reduce((s, r) => s + r.totals.taskWallNs, 0);
    const cpu = runs.reduce((s, r) => s + r.totals.cpuNs, 0);
    const runq = runs.reduce((s, r) => s + r.totals.runqNs, 0);
    const queues = runs.flatMap((r) => r.tasks.map((t) => t.queueWaitNs).filter((q): q is number => q !== undefined));
    return [
      ...leadingCells(runs, serialWall),
      share(cpu, taskWall),
      share(runq, taskWall),
      share(runs.reduce((s, r) => s + gcNs(r), 0), taskWall),
      share(Math.max(0, taskWall - cpu - runq), taskWall),
      queues.length ? `${(median(queues) / 1e6).toFixed(1)}ms` : '-',
      runs.every((r) => r.ipc === null) ? '-' : `${(median(runs.map(serializationNs)) / 1e6).toFixed(1)}ms`,
      ...trailingCells(runs),
    ];
  },
};
