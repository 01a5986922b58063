/**
 * The verdict: which pool, how many workers, what holds it back, how sure, in one sentence
 * with the numbers. A pure function of measurements (medians over repetitions), so it can be
 * tested on synthetic numbers as well as on real runs.
 */
import type { Bottleneck, PoolKind, ProfileTrace, SourceSite, Verdict } from '../shared/trace';

/** Shares of summed task wall time, 0..1; null when that part was not measured. */
export interface TimeShares {
  cpu: number;
  runq: number;
  lock: number;
  gil: number | null;
  io: number | null;
  sleep: number | null;
  /** Everything off-CPU and off-runqueue (GIL + locks + I/O + sleep). */
  blocked: number;
}

export interface ConfigMeasurement {
  kind: 'thread' | 'process';
  workers: number;
  /** Wall time of each repetition, ns. */
  walls: number[];
  shares: TimeShares;
  meanTaskNs: number;
  /** Pickling and unpickling of arguments and results, summed, ns (process pools). */
  ipcNs: number;
  /** Spread of the workers' last finish times over the wall time (load imbalance). */
  finishSpreadShare: number;
  peakRssBytes: number;
  /** Thread pools: median overshoot of the GIL probe's 1 ms sleeps, ns (absent: not measured). */
  gilProbeOvershootNs?: number | null;
  /** Share of worker time not spent in a task (start-up, hand-off, waiting), median over runs. */
  idleShare?: number;
}

export interface VerdictInput {
  cpusUsable: number;
  gilEnabled: boolean;
  serialWalls: number[];
  serialShares: TimeShares;
  configs: ConfigMeasurement[];
  /** The lock with the most wait under threads, if any. */
  topLock: { site: SourceSite } | null;
  taskCount: number;
  memoryFault: boolean;
}

export const MIN_NOISE = 0.05;

/**
 * A bottleneck is named only from its measured share (README, "How the profiler measures"):
 * below these it is reported as a figure, never as the cause.
 */
export const BOTTLENECK_THRESHOLDS = {
  /** GIL wait, as a share of task time. */
  gil: 0.2,
  /** A median overshoot of the GIL probe's 1 ms sleeps this long means the GIL was held by
   *  others most of the time (switch interval: 5 ms); it counts for the GIL without /proc. */
  gilProbeNs: 2e6,
  /** Wait for one lock, share of task time. */
  lock: 0.2,
  /** Runnable but waiting for a CPU, share of task time: a busy machine, or more workers than CPUs. */
  runq: 0.2,
  /** I/O and sleep, share of task time. */
  io: 0.5,
  /** Pickling and unpickling, share of worker time. */
  ipc: 0.25,
  /** Workers idle (not running a task) over the run, share of worker time: start-up and hand-off. */
  idle: 0.3,
  /** Spread of the workers' last finish times, share of the wall time. */
  imbalance: 0.3,
  /** Mean task shorter than this is too small for a process pool. */
  smallTaskNs: 5e6,
  /** Serial repetitions further apart than this (relative) mean the machine was busy. */
  serialSpread: 0.25,
  /** Node: garbage-collection pauses, share of task time. */
  gc: 0.25,
};
const T = BOTTLENECK_THRESHOLDS;

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Relative spread (max−min)/median of one configuration's repetitions. */
export function spread(walls: number[]): number {
  return walls.length < 2 ? 0 : (Math.max(...walls) - Math.min(...walls)) / median(walls);
}

export const pct = (share: number): string => `${Math.round(share * 100)}%`;
export const times = (speedup: number): string => `${speedup.toFixed(2)}x`;
const label = (c: { kind: PoolKind; workers: number }): string => (c.kind === 'serial' ? 'serial' : `${c.kind} x${c.workers}`);
const site = (s: SourceSite): string => `${s.file}:${s.line}`;

interface Scored extends ConfigMeasurement {
  speedup: number;
  efficiency: number;
  noise: number;
}

interface Reason {
  bottleneck: Bottleneck;
  text: string;
}

function gilShare(config: ConfigMeasurement, serial: TimeShares): { share: number; inferred: boolean } {
  if (config.shares.gil !== null) return { share: config.shares.gil, inferred: false };
  // Without thread-state sampling: when the serial run barely blocks, a thread run's extra
  // blocked time (minus instrumented lock wait) can only be the GIL.
  return { share: Math.max(0, config.shares.blocked - config.shares.lock - serial.blocked), inferred: true };
}

/** The probe's reading, as a clause: it backs a GIL figure whether or not `/proc` was sampled. */
function probeClause(config: ConfigMeasurement): string {
  const overshoot = config.gilProbeOvershootNs;
  return overshoot === undefined || overshoot === null ? '' : `; a probe thread's 1 ms sleeps overshot by a median ${(overshoot / 1e6).toFixed(1)} ms`;
}

function gilMeasured(config: ConfigMeasurement, input: VerdictInput): boolean {
  return input.gilEnabled && (gilShare(config, input.serialShares).share >= T.gil || (config.gilProbeOvershootNs ?? 0) >= T.gilProbeNs);
}

/** What machineLoad and noiseFloor read: both runtimes' verdict inputs have it. */
export interface LoadEvidence {
  cpusUsable: number;
  serialWalls: number[];
  serialShares: { runq: number };
  configs: { workers: number; walls: number[]; shares: { runq: number } }[];
}

/**
 * Whether other work on the machine distorted the timings, from what was measured during
 * the runs: our own tasks waiting for a CPU when the pool had no more workers than CPUs
 * (only other processes could hold them), and the serial baseline's own repetitions disagreeing.
 */
export function machineLoad(input: LoadEvidence): { busy: boolean; runq: number; text: string } {
  const runq = Math.max(input.serialShares.runq, ...input.configs.filter((c) => c.workers <= input.cpusUsable).map((c) => c.shares.runq));
  const serialSpread = spread(input.serialWalls);
  const evidence: string[] = [];
  if (runq >= T.runq) evidence.push(`up to ${pct(runq)} of task time was spent waiting for a CPU that other processes held`);
  if (serialSpread >= T.serialSpread) evidence.push(`the serial runs differed by ${pct(serialSpread)}`);
  return {
    busy: evidence.length > 0,
    runq,
    text: evidence.length > 0 ? `Machine busy: ${evidence.join(' and ')}, so these timings are noisy.` : '',
  };
}

/** Why threads did not do better, from measured shares only; 'none' when nothing measured explains it. */
function threadExplanation(threads: Scored, input: VerdictInput, machineRunq: number): Reason {
  const stalled = threads.speedup < 1 + threads.noise;
  const reached = stalled ? `Threads stall at ${times(threads.speedup)}` : `Threads reach only ${times(threads.speedup)}`;
  if (input.topLock && threads.shares.lock >= T.lock) {
    return {
      bottleneck: 'lock',
      text: `${reached}: one lock created at ${site(input.topLock.site)} serializes them (${pct(threads.shares.lock)} of task time waiting for it).`,
    };
  }
  const gil = gilShare(threads, input.serialShares);
  const inferred = gil.inferred ? ' (inferred: thread states were not sampled)' : '';
  if (gilMeasured(threads, input)) {
    return { bottleneck: 'gil', text: `${reached}: ${pct(gil.share)} of task time is spent waiting for the GIL${inferred}${probeClause(threads)}.` };
  }
  const figures = `GIL wait ${pct(gil.share)} of task time${inferred}${probeClause(threads)}, lock wait ${pct(threads.shares.lock)}`;
  const cpuWait = Math.max(threads.shares.runq, machineRunq);
  if (cpuWait >= T.runq) {
    return { bottleneck: 'cpu', text: `${reached}, with no idle CPU to run them on (${pct(cpuWait)} of task time waiting for a CPU; ${figures}).` };
  }
  if (!input.gilEnabled) return { bottleneck: 'none', text: `Threads reach ${times(threads.speedup)} (free-threaded build: no GIL to wait for; lock wait ${pct(threads.shares.lock)}).` };
  return { bottleneck: 'none', text: `Threads reach ${times(threads.speedup)}; nothing measured holds them back (${figures}, waiting for a CPU ${pct(threads.shares.runq)}).` };
}

/** Why processes did not beat serial, from measured shares only. */
function processExplanation(processes: Scored, serialMedian: number, machineRunq: number): Reason {
  const perTaskMs = processes.meanTaskNs / 1e6;
  const ipcShare = processes.ipcNs / (median(processes.walls) * processes.workers);
  const at = `${times(processes.speedup)} at ${processes.workers} workers`;
  if (ipcShare >= T.ipc) {
    return { bottleneck: 'ipc', text: `Processes lose to pickling: ${pct(ipcShare)} of worker time goes to sending arguments and results (${at}).` };
  }
  if (processes.meanTaskNs < T.smallTaskNs) {
    return {
      bottleneck: 'overhead',
      text: `Tasks are too small for a process pool (${perTaskMs < 1 ? `${Math.round(perTaskMs * 1000)} µs` : `${perTaskMs.toFixed(1)} ms`} each, ${(serialMedian / 1e6).toFixed(1)} ms serial in total): starting workers and moving tasks costs more than it saves (${at}).`,
    };
  }
  const cpuWait = Math.max(processes.shares.runq, machineRunq);
  if (cpuWait >= T.runq) {
    return { bottleneck: 'cpu', text: `Processes reach only ${at}, with no idle CPU to run them on (${pct(cpuWait)} of task time waiting for a CPU).` };
  }
  const idle = processes.idleShare;
  if (idle !== undefined && idle >= T.idle) {
    return { bottleneck: 'overhead', text: `Processes reach only ${at}: the workers sat idle ${pct(idle)} of the run (starting the processes and moving tasks to them).` };
  }
  return { bottleneck: 'none', text: `Processes reach ${at}; nothing measured holds them back (pickling ${pct(ipcShare)} of worker time, waiting for a CPU ${pct(processes.shares.runq)}).` };
}

/** The most telling of several measured reasons: a lock or the GIL over what the machine did. */
const REASON_ORDER: Bottleneck[] = ['lock', 'gil', 'ipc', 'overhead', 'cpu'];

/**
 * How far apart two speedups must be to be told apart: at least MIN_NOISE, the spread of the
 * configuration's and the serial run's repetitions, how far a pool of one worker (the same
 * work as the serial run) lands above 1x, and on a busy machine the share of time stolen by
 * other processes, which varies from run to run.
 */
export function noiseFloor(input: LoadEvidence, load: { busy: boolean; runq: number }): (walls: number[]) => number {
  const serialMedian = median(input.serialWalls);
  const singleWorkerDeviation = Math.max(0, ...input.configs.filter((c) => c.workers === 1).map((c) => serialMedian / median(c.walls) - 1));
  const shared = Math.max(MIN_NOISE, spread(input.serialWalls), singleWorkerDeviation, load.busy ? load.runq : 0);
  return (walls) => Math.max(shared, spread(walls));
}

export function decideVerdict(input: VerdictInput): Verdict {
  const serialMedian = median(input.serialWalls);
  const load = machineLoad(input);
  const noiseOf = noiseFloor(input, load);
  const scored: Scored[] = input.configs.map((config) => {
    const speedup = serialMedian / median(config.walls);
    return { ...config, speedup, efficiency: speedup / config.workers, noise: noiseOf(config.walls) };
  });
  const speedups: Record<string, number> = { serial: 1 };
  for (const config of scored) speedups[label(config)] = Math.round(config.speedup * 100) / 100;
  const repetitions = Math.min(input.serialWalls.length, ...scored.map((c) => c.walls.length));

  // Recommending a pool of one worker would only ever be recommending noise.
  const bestOf = (kind: 'thread' | 'process'): Scored | null =>
    scored.filter((c) => c.kind === kind && (c.workers > 1 || scored.every((o) => o.workers === 1))).reduce<Scored | null>((best, c) => (!best || c.speedup > best.speedup ? c : best), null);
  const bestThread = bestOf('thread');
  const bestProcess = bestOf('process');
  const best = [bestThread, bestProcess].filter((c): c is Scored => c !== null).sort((a, b) => b.speedup - a.speedup)[0];
  const notes: string[] = [];
  if (load.busy) notes.push(load.text);
  const threadLockShare = Math.max(0, ...scored.filter((c) => c.kind === 'thread').map((c) => c.shares.lock));
  if (input.topLock && bestProcess && threadLockShare >= T.lock) {
    notes.push(`In a process pool each process has its own copy of the lock at ${site(input.topLock.site)} and of the data it guards: updates are not shared between processes.`);
  }

  if (!best || best.speedup < 1 + best.noise) {
    const reasons: Reason[] = [];
    if (bestThread) reasons.push(threadExplanation(bestThread, input, load.runq));
    if (bestProcess) reasons.push(processExplanation(bestProcess, serialMedian, load.runq));
    const io = input.serialShares.io;
    const named = REASON_ORDER.find((b) => reasons.some((r) => r.bottleneck === b));
    const bottleneck: Bottleneck = input.memoryFault ? 'memory' : (named ?? 'none');
    const bestText = best ? ` (best: ${label(best)} at ${times(best.speedup)}${best.speedup > 1 - best.noise ? ', within noise of serial' : ''})` : '';
    const ioText = io !== null && io >= T.io ? ` ${pct(io)} of serial task time is I/O.` : '';
    return {
      recommendation: 'serial',
      workers: 1,
      bottleneck,
      confidence: load.busy || repetitions < 2 ? 'low' : repetitions >= 3 ? 'high' : 'medium',
      summary: [`Serial: no pool beats running the tasks one after another${bestText}.`, ...reasons.map((r) => r.text), ...notes, ioText.trim()]
        .filter(Boolean)
        .join(' '),
      speedups,
      withinNoise: best ? best.speedup > 1 - best.noise : false,
    };
  }

  // The smallest configuration within noise of the best; threads win ties (cheaper, shared memory).
  const good = scored
    .filter((c) => (c.workers > 1 || scored.every((o) => o.workers === 1)) && c.speedup >= best.speedup * (1 - best.noise))
    .sort((a, b) => a.workers - b.workers || (a.kind === 'thread' ? -1 : 1));
  const chosen = good[0];
  const other = chosen.kind === 'thread' ? bestProcess : bestThread;
  const headline = `${chosen.kind === 'thread' ? 'Threads' : 'Processes'}: ${times(chosen.speedup)} at ${chosen.workers} worker${chosen.workers > 1 ? 's' : ''} (${pct(Math.min(1, chosen.efficiency))} efficient).`;
  const parts = [headline];
  let bottleneck: Bottleneck = 'none';

  if (chosen.kind === 'process' && other) {
    const why = threadExplanation(other, input, load.runq);
    parts.push(why.text);
    bottleneck = why.bottleneck;
  } else if (chosen.kind === 'thread') {
    const io = (chosen.shares.io ?? 0) + (chosen.shares.sleep ?? 0);
    const serialIo = (input.serialShares.io ?? 0) + (input.serialShares.sleep ?? 0);
    const gil = gilShare(chosen, input.serialShares);
    if (input.topLock && chosen.shares.lock >= T.lock) {
      bottleneck = 'lock';
      parts.push(`But ${pct(chosen.shares.lock)} of task time waits for the lock created at ${site(input.topLock.site)}: it serializes the threads, more workers will not help.`);
    } else if (Math.max(io, serialIo) >= T.io || input.serialShares.blocked >= T.io) {
      bottleneck = 'io';
      const measured = input.serialShares.io !== null ? `${pct(Math.max(io, serialIo))} of task time is I/O or sleep` : `${pct(input.serialShares.blocked)} of serial task time is off the CPU`;
      parts.push(`The tasks wait rather than compute (${measured}), so threads overlap the waiting.`);
    } else if (gilMeasured(chosen, input)) {
      // Whatever the speedup, the threads are not free of the GIL.
      bottleneck = 'gil';
      parts.push(`Threads still contend for the GIL (GIL wait ${pct(gil.share)} of task time${gil.inferred ? ', inferred' : ''}${probeClause(chosen)}): more threads will not scale further.`);
    } else {
      bottleneck = input.cpusUsable <= chosen.workers && chosen.efficiency >= 0.7 ? 'cpu' : 'none';
      parts.push(`The work runs in code that releases the GIL (GIL wait ${pct(gil.share)} of task time${gil.inferred ? ', inferred' : ''}${probeClause(chosen)}), so threads scale without the cost of processes.`);
    }
    if (other && other.speedup < chosen.speedup * (1 - chosen.noise)) parts.push(`Processes reach ${times(other.speedup)}.`);
  }

  const oversubscribed = scored.filter((c) => c.workers > input.cpusUsable && c.kind === chosen.kind && c.speedup < chosen.speedup * (1 - chosen.noise));
  if (oversubscribed.length > 0) {
    const worst = oversubscribed.sort((a, b) => b.workers - a.workers)[0];
    parts.push(`More workers than the ${input.cpusUsable} usable CPUs hurts: ${label(worst)} drops to ${times(worst.speedup)} (${pct(worst.shares.runq)} of task time waiting for a core).`);
    if (chosen.efficiency >= 0.7) bottleneck = 'oversubscription';
  } else if (chosen.workers > input.cpusUsable && chosen.shares.runq >= T.runq) {
    bottleneck = 'oversubscription';
    parts.push(`${pct(chosen.shares.runq)} of task time is spent waiting for a core: more workers than CPUs.`);
  }
  if (chosen.finishSpreadShare >= T.imbalance && chosen.workers > 1) {
    bottleneck = bottleneck === 'none' || bottleneck === 'cpu' ? 'imbalance' : bottleneck;
    parts.push(`Load is uneven: workers finish ${pct(chosen.finishSpreadShare)} of the wall time apart (split the work into more, smaller tasks).`);
  }
  if (bottleneck === 'none' && chosen.efficiency >= 0.7 && chosen.workers >= input.cpusUsable) bottleneck = 'cpu';
  if (input.memoryFault) bottleneck = 'memory';
  parts.push(...notes);

  const runnerUp = scored.filter((c) => c.kind !== chosen.kind).sort((a, b) => b.speedup - a.speedup)[0];
  const margin = runnerUp ? chosen.speedup / runnerUp.speedup - 1 : chosen.speedup - 1;
  const withinNoise = margin < chosen.noise;
  if (withinNoise && runnerUp) parts.push(`${label(runnerUp)} (${times(runnerUp.speedup)}) is within noise (±${pct(chosen.noise)}).`);
  const confidence: Verdict['confidence'] =
    withinNoise || load.busy || repetitions < 2 ? 'low' : repetitions >= 3 && margin > 2 * chosen.noise ? 'high' : 'medium';
  return {
    recommendation: chosen.kind,
    workers: chosen.workers,
    bottleneck,
    confidence,
    summary: parts.join(' '),
    speedups,
    withinNoise,
  };
}

export function sharesOf(runs: ProfileTrace['runs']): TimeShares {
  const total = runs.reduce((sum, r) => sum + r.totals.taskWallNs, 0) || 1;
  const sum = (pick: (r: ProfileTrace['runs'][number]) => number): number => runs.reduce((s, r) => s + pick(r), 0) / total;
  const nullable = (pick: (r: ProfileTrace['runs'][number]) => number | null): number | null =>
    runs.every((r) => pick(r) !== null) ? sum((r) => pick(r) ?? 0) : null;
  return {
    cpu: sum((r) => r.totals.cpuNs),
    runq: sum((r) => r.totals.runqNs),
    lock: sum((r) => r.totals.lockWaitNs),
    gil: nullable((r) => r.totals.gilWaitNs),
    io: nullable((r) => r.totals.ioNs),
    sleep: nullable((r) => r.totals.sleepNs),
    blocked: sum((r) => r.tasks.reduce((s, t) => s + t.decomposition.blockedNs, 0)),
  };
}

/** Reduces a trace's runs to the measurements the verdict needs. */
export function verdictInputFromTrace(trace: ProfileTrace): VerdictInput {
  // Runs without a speedup did different work from the serial baseline (their tasks failed).
  const measured = trace.runs.filter((r) => r.speedup !== null);
  const serialRuns = measured.filter((r) => r.kind === 'serial');
  const groups = new Map<string, ProfileTrace['runs']>();
  for (const run of measured) {
    // The async and dask kinds are weighed against this verdict afterwards (verdict-async.ts, verdict-dask.ts).
    if (run.kind !== 'thread' && run.kind !== 'process') continue;
    const key = label(run);
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  const configs: ConfigMeasurement[] = [...groups.values()].map((runs) => {
    const taskCount = runs.reduce((s, r) => s + r.tasks.length, 0) || 1;
    return {
      kind: runs[0].kind as 'thread' | 'process',
      workers: runs[0].workers,
      walls: runs.map((r) => r.wallNs),
      shares: sharesOf(runs),
      meanTaskNs: runs.reduce((s, r) => s + r.totals.taskWallNs, 0) / taskCount,
      ipcNs:
        runs.reduce((s, r) => s + (r.ipc ? r.ipc.argsPickleNs + r.ipc.argsUnpickleNs + r.ipc.resultPickleNs + r.ipc.resultUnpickleNs : 0), 0) / runs.length,
      finishSpreadShare: median(runs.map((r) => r.totals.finishSpreadNs / r.wallNs)),
      peakRssBytes: Math.max(...runs.map((r) => r.memory.reduce((s, m) => s + (m.peakRssBytes ?? 0), 0))),
      gilProbeOvershootNs: runs.every((r) => r.gilProbe) ? median(runs.map((r) => r.gilProbe!.medianOvershootNs)) : null,
      idleShare: median(runs.map((r) => Math.min(1, Math.max(0, 1 - r.totals.taskWallNs / (r.workers * r.wallNs))))),
    };
  });
  const topLock = trace.locks[0];
  return {
    cpusUsable: trace.host.cpusUsable,
    gilEnabled: trace.target.gilEnabled,
    serialWalls: serialRuns.map((r) => r.wallNs),
    serialShares: sharesOf(serialRuns),
    configs,
    topLock: topLock && topLock.waitNsByKind.thread > 0 ? { site: topLock.site } : null,
    taskCount: trace.target.taskCount,
    memoryFault: trace.faults.some((f) => f.fault === 'memory'),
  };
}
