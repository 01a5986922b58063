/**
 * Weighs the dask kind against the verdict of the kinds that run on this machine. A cluster
 * costs more to run than a local pool, so it is recommended only when it is faster beyond
 * noise; either way the verdict says what it costs per task (scheduler latency, transfer and
 * serialization, measured) and, marked as an estimate, what N machines like the measured ones
 * would give under a stated model.
 */
import type { Bottleneck, ClusterEstimate, PoolKind, ProfileTrace, Run, Verdict } from '../shared/trace';
import { median, MIN_NOISE, pct, spread, times } from './verdict';

/** Tasks this many times longer than the per-task cluster cost lose ≤ 5% to it. */
const WORTHWHILE_TASK_FACTOR = 20;
const ESTIMATE_MACHINES = [2, 4, 8];

export const CLUSTER_MODEL =
  'the task time spread over the workers scales with the machines, down to the longest task; the rest of the measured wall time (scheduler latency, transfer, serialization) does not';

interface DaskConfig {
  workers: number;
  runs: Run[];
  speedup: number;
  noise: number;
  wallNs: number;
  meanTaskNs: number;
  longestTaskNs: number;
  /** Task time over the workers (median over the repetitions). */
  computeNs: number;
  schedulerLatencyNs: number;
  resultLatencyNs: number;
  serializationNs: number;
  transferBytes: number;
  perTaskCostNs: number;
  local: boolean;
  hosts: number;
}

const ms = (ns: number): string => (ns < 1e6 ? `${Math.round(ns / 1e3)} µs` : `${(ns / 1e6).toFixed(ns < 1e7 ? 1 : 0)} ms`);
const bytes = (b: number): string => (b >= 1e5 ? `${(b / 1e6).toFixed(1)} MB` : b >= 1e3 ? `${Math.round(b / 1e3)} kB` : `${Math.round(b)} B`);

function daskConfig(workers: number, runs: Run[], serialMedian: number, serialNoise: number): DaskConfig {
  const walls = runs.map((r) => r.wallNs);
  const tasks = runs.flatMap((r) => r.tasks);
  const count = tasks.length || 1;
  const ipc = runs.reduce((s, r) => s + (r.ipc ? r.ipc.argsPickleNs + r.ipc.argsUnpickleNs + r.ipc.resultPickleNs + r.ipc.resultUnpickleNs : 0), 0);
  const transfer = runs.reduce((s, r) => s + (r.ipc ? r.ipc.argsBytes + r.ipc.resultBytes : 0), 0);
  const costs = tasks.flatMap((t) => (t.dask ? [t.dask] : []));
  const schedulerLatencyNs = costs.length ? median(costs.map((c) => c.schedulerLatencyNs)) : 0;
  const resultLatencyNs = costs.length ? median(costs.map((c) => c.resultLatencyNs)) : 0;
  const serializationNs = ipc / count;
  const hosts = new Set(runs.flatMap((r) => r.dask?.workers.map((w) => w.host) ?? [])).size || 1;
  return {
    workers,
    runs,
    speedup: serialMedian / median(walls),
    noise: Math.max(MIN_NOISE, spread(walls), serialNoise),
    wallNs: median(walls),
    meanTaskNs: runs.reduce((s, r) => s + r.totals.taskWallNs, 0) / count,
    longestTaskNs: Math.max(0, ...tasks.map((t) => t.endNs - t.startNs)),
    computeNs: median(runs.map((r) => r.totals.taskWallNs / workers)),
    schedulerLatencyNs,
    resultLatencyNs,
    serializationNs,
    transferBytes: transfer / count,
    perTaskCostNs: schedulerLatencyNs + resultLatencyNs + serializationNs,
    local: runs.every((r) => r.dask?.local ?? true),
    hosts,
  };
}

/** What M times the measured machines would give: compute scales, the rest does not. */
export function estimateMachines(config: Pick<DaskConfig, 'wallNs' | 'computeNs' | 'longestTaskNs' | 'workers' | 'hosts' | 'perTaskCostNs'>, serialMedian: number): ClusterEstimate {
  const fixed = Math.max(0, config.wallNs - config.computeNs);
  const points = ESTIMATE_MACHINES.map((factor) => {
    const wall = Math.max(config.computeNs / factor, config.longestTaskNs) + fixed;
    return { machines: factor * config.hosts, workers: factor * config.workers, speedup: Math.round((serialMedian / wall) * 100) / 100 };
  });
  return { model: CLUSTER_MODEL, perTaskCostNs: config.perTaskCostNs, points };
}

function where(config: DaskConfig): string {
  const plural = config.workers > 1 ? 's' : '';
  return config.local ? `${config.workers} local worker${plural}` : `${config.workers} worker${plural} of the cluster`;
}

const KIND_NAMES: Record<PoolKind, string> = { serial: 'serial', thread: 'the thread pool', process: 'the process pool', async: 'async', dask: 'Dask' };

/**
 * The verdict's own choice as a phrase ("the process pool's 1.90x"); when that is not the
 * process pool, the best process pool measured is named too: it is what a cluster replaces.
 */
function localChoice(verdict: Verdict): { speedup: number; phrase: string } {
  const speedup = verdict.recommendation === 'serial' ? 1 : (verdict.speedups[`${verdict.recommendation} x${verdict.workers}`] ?? 1);
  const chosen = verdict.recommendation === 'serial' ? 'running serially' : `${KIND_NAMES[verdict.recommendation]}'s ${times(speedup)}`;
  const processes = Object.entries(verdict.speedups)
    .filter(([label]) => label.startsWith('process x'))
    .sort((a, b) => b[1] - a[1])[0];
  const processWorkers = processes ? Number(processes[0].slice('process x'.length)) : 0;
  const processText =
    processes && verdict.recommendation !== 'process' ? ` (the process pool reaches ${times(processes[1])} at ${processWorkers} worker${processWorkers > 1 ? 's' : ''})` : '';
  return { speedup, phrase: `${chosen}${processText}` };
}

function costs(config: DaskConfig): string {
  return `${ms(config.schedulerLatencyNs)} scheduler latency, ${ms(config.resultLatencyNs + config.serializationNs)} to serialize and return data and ${bytes(config.transferBytes)} of transfer per task`;
}

function estimateSentence(estimate: ClusterEstimate, config: DaskConfig): string {
  const unit = config.local ? 'machines like this one' : 'times this cluster';
  const [first, ...rest] = estimate.points;
  const points = [`${first.machines} ${unit} (${first.workers} workers) ≈ ${times(first.speedup)}`, ...rest.map((p) => `${p.machines} (${p.workers}) ≈ ${times(p.speedup)}`)];
  return `Estimate, not measured (model: ${CLUSTER_MODEL}): ${points.join(', ')}.`;
}

export function weighDask(verdict: Verdict, trace: ProfileTrace): Verdict {
  // Runs without a speedup did different work from the serial baseline (their tasks failed).
  const measured = trace.runs.filter((r) => r.speedup !== null);
  const serialRuns = measured.filter((r) => r.kind === 'serial');
  const daskRuns = measured.filter((r) => r.kind === 'dask');
  if (serialRuns.length === 0 || daskRuns.length === 0) return verdict;
  const serialWalls = serialRuns.map((r) => r.wallNs);
  const serialMedian = median(serialWalls);
  const groups = new Map<number, Run[]>();
  for (const run of daskRuns) groups.set(run.workers, [...(groups.get(run.workers) ?? []), run]);
  const configs = [...groups.entries()].map(([workers, runs]) => daskConfig(workers, runs, serialMedian, spread(serialWalls)));
  const speedups = { ...verdict.speedups };
  for (const c of configs) speedups[`dask x${c.workers}`] = Math.round(c.speedup * 100) / 100;

  const candidates = configs.filter((c) => c.workers > 1 || configs.every((o) => o.workers === 1));
  const best = candidates.reduce((a, b) => (b.speedup > a.speedup ? b : a));
  const local = localChoice(verdict);
  const estimate = estimateMachines(best, serialMedian);
  const startup = daskRuns.reduce((s, r) => s + (r.dask?.startupNs ?? 0), 0);
  const startupText = startup > 0 ? `Starting the local workers took ${(startup / 1e9).toFixed(1)} s (not in the wall times).` : '';
  const wins = best.speedup >= 1 + best.noise && best.speedup > local.speedup * (1 + best.noise);

  if (!wins) {
    let text: string;
    let bottleneck = verdict.bottleneck;
    if (best.perTaskCostNs >= best.meanTaskNs) {
      text = `Dask: ${times(best.speedup)} on ${where(best)}: each task waits ${ms(best.schedulerLatencyNs)} for the scheduler and ${ms(best.resultLatencyNs + best.serializationNs)} for its result to come back, against ${ms(best.meanTaskNs)} of work.`;
      // With no local pool measured, the cluster's own cost is what keeps these tasks serial.
      const localPools = measured.some((r) => r.kind === 'thread' || r.kind === 'process' || r.kind === 'async');
      if (verdict.recommendation === 'serial' && !localPools) bottleneck = 'scheduler';
    } else {
      const comparison = best.speedup > local.speedup * (1 - best.noise) ? `${local.phrase} is within noise` : `below ${local.phrase}`;
      text = `Dask: ${times(best.speedup)} on ${where(best)}; ${comparison}: a cluster pays ${costs(best)}, so it helps only when tasks run longer than ~${ms(WORTHWHILE_TASK_FACTOR * best.perTaskCostNs)} and the data outgrows this machine.`;
    }
    return { ...verdict, bottleneck, summary: [verdict.summary, text, startupText, estimateSentence(estimate, best)].filter(Boolean).join(' '), speedups, clusterEstimate: estimate };
  }

  const chosen = candidates.filter((c) => c.speedup >= best.speedup * (1 - best.noise)).sort((a, b) => a.workers - b.workers)[0];
  const margin = chosen.speedup / local.speedup - 1;
  const repetitions = Math.min(serialRuns.length, chosen.runs.length);
  const busyMachine = serialRuns.reduce((s, r) => s + r.totals.runqNs, 0) / (serialRuns.reduce((s, r) => s + r.totals.taskWallNs, 0) || 1) >= 0.2;
  const confidence: Verdict['confidence'] = busyMachine || repetitions < 2 ? 'low' : repetitions >= 3 && margin > 2 * chosen.noise ? 'high' : 'medium';
  const efficiency = chosen.speedup / chosen.workers;
  const costShare = chosen.perTaskCostNs / (chosen.meanTaskNs + chosen.perTaskCostNs);
  let bottleneck: Bottleneck = costShare >= 0.2 ? 'scheduler' : efficiency >= 0.7 ? 'cpu' : 'none';
  if (verdict.bottleneck === 'memory') bottleneck = 'memory';
  const summary = [
    `Dask: ${times(chosen.speedup)} on ${where(chosen)} (${pct(Math.min(1, efficiency))} efficient), ahead of ${local.phrase}.`,
    `The cluster costs ${costs(chosen)}.`,
    startupText,
    estimateSentence(estimateMachines(chosen, serialMedian), chosen),
  ];
  return {
    recommendation: 'dask',
    workers: chosen.workers,
    bottleneck,
    confidence,
    summary: summary.filter(Boolean).join(' '),
    speedups,
    withinNoise: false,
    clusterEstimate: estimateMachines(chosen, serialMedian),
  };
}
