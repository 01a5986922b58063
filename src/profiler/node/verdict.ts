/**
 * The Node verdict: the same shape as Python's (recommendation, workers, bottleneck,
 * confidence, a sentence with the numbers), with Node's choices and reasons. `async` needs no
 * pool at all and wins when the tasks mostly wait; worker threads and child processes win
 * when they compute, unless moving their arguments (structured clone / V8 serialization),
 * starting the workers or garbage collection costs more than the parallel work saves. The
 * rules are Python's: a bottleneck is named only from a measured share over the same
 * BOTTLENECK_THRESHOLDS, a busy machine is said so ("Machine busy: …") and lowers the
 * confidence, and runs whose tasks failed differently from the serial run's are not compared
 * (they have no speedup; see trace-builder.ts).
 */
import type { Bottleneck, PoolKind, ProfileTrace, Run, Verdict } from '../../shared/trace';
import { BOTTLENECK_THRESHOLDS as T, machineLoad, median, noiseFloor, pct, times as fixedTimes } from '../verdict';

/** The kinds Node runs besides serial (the dask kind is Python's). */
type Concurrent = Exclude<PoolKind, 'serial' | 'dask'>;

/** Shares of summed task wall time, 0..1. */
export interface NodeShares {
  cpu: number;
  runq: number;
  gc: number;
  /** Off the CPU and off the runqueue: awaiting timers, I/O, other tasks' turn on the loop. */
  waiting: number;
}

export interface NodeConfig {
  kind: Concurrent;
  workers: number;
  walls: number[];
  shares: NodeShares;
  meanTaskNs: number;
  /** Per task: argument bytes, and serialization of arguments and result on both sides, ns. */
  meanArgsBytes: number;
  meanSerializationNs: number;
  /** Median worker start-up (asked for → module loaded), ns, and its share of the wall. */
  startupNs: number;
  startupShare: number;
  finishSpreadShare: number;
}

export interface NodeVerdictInput {
  cpusUsable: number;
  serialWalls: number[];
  serialShares: NodeShares;
  configs: NodeConfig[];
  memoryFault: boolean;
}

interface Scored extends NodeConfig {
  speedup: number;
  efficiency: number;
  noise: number;
}

const POOL_NAMES: Record<Concurrent, string> = { async: 'Async', thread: 'Worker threads', process: 'Child processes' };
/** Cheapest first: no pool, then threads (shared process), then processes. */
const COST: Record<Concurrent, number> = { async: 0, thread: 1, process: 2 };

/** Big arguments can make a pool thousands of times slower: keep a digit that says how much. */
function times(speedup: number): string {
  return speedup >= 0.1 ? fixedTimes(speedup) : `${speedup.toPrecision(1)}x`;
}

function duration(ns: number): string {
  const ms = ns / 1e6;
  if (ms < 1) return `${Math.round(ns / 1000)} µs`;
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

function bytes(count: number): string {
  if (count >= 2 ** 20) return `${(count / 2 ** 20).toFixed(count >= 10 * 2 ** 20 ? 0 : 1)} MiB`;
  return count >= 1024 ? `${Math.round(count / 1024)} KiB` : `${Math.round(count)} bytes`;
}

function where(config: { kind: Concurrent; workers: number }): string {
  return config.kind === 'async' ? `with ${config.workers} in flight on the event loop` : `at ${config.workers} worker${config.workers > 1 ? 's' : ''}`;
}

/** Copying a task's arguments in and its result out, as a share of the task with its copies. */
function copyShare(config: NodeConfig): number {
  return config.meanSerializationNs / (config.meanTaskNs + config.meanSerializationNs || 1);
}

/** Why a pool did not pay off (or paid off less), in one clause with its bottleneck. */
function poolCost(config: Scored, machineRunq: number): { bottleneck: Bottleneck; text: string } | null {
  const workName = config.kind === 'thread' ? 'worker thread' : 'child process';
  const serializationShare = copyShare(config);
  if (serializationShare >= T.ipc && config.meanArgsBytes >= 1024) {
    return {
      bottleneck: 'ipc',
      text: `each task's ${bytes(config.meanArgsBytes)} argument takes ${duration(config.meanSerializationNs)} to copy into a ${workName} and back, ${config.meanSerializationNs > config.meanTaskNs ? 'more than' : 'against'} the ${duration(config.meanTaskNs)} of work`,
    };
  }
  if (serializationShare >= T.ipc) {
    return { bottleneck: 'overhead', text: `moving each ${duration(config.meanTaskNs)} task to a ${workName} and its result back costs ${duration(config.meanSerializationNs)}` };
  }
  if (config.startupShare >= T.idle) {
    return { bottleneck: 'overhead', text: `starting each ${workName} takes ${duration(config.startupNs)}, ${pct(config.startupShare)} of the run` };
  }
  const cpuWait = Math.max(config.shares.runq, machineRunq);
  if (cpuWait >= T.runq) {
    return { bottleneck: 'cpu', text: `there was no idle CPU to run the ${POOL_NAMES[config.kind].toLowerCase()} on (${pct(cpuWait)} of task time waiting for a core)` };
  }
  if (config.shares.gc >= T.gc) {
    return { bottleneck: 'gc', text: `garbage collection takes ${pct(config.shares.gc)} of task time` };
  }
  return null;
}

function asyncStall(config: Scored, input: NodeVerdictInput): string {
  return input.serialShares.waiting < T.io
    ? `Async reaches only ${times(config.speedup)} ${where(config)}: the tasks compute rather than wait (the event loop was busy ${pct(1 - input.serialShares.waiting)} of the serial run), and one event loop runs one callback at a time.`
    : `Async reaches only ${times(config.speedup)} ${where(config)}.`;
}

/** `candidates`: the configurations worth recommending (more than one worker, unless none has). */
function decideSerial(input: NodeVerdictInput, candidates: Scored[], best: Scored | undefined, serialMedian: number, machineRunq: number, notes: string[]): Omit<Verdict, 'speedups' | 'confidence'> {
  const parts: string[] = [];
  let bottleneck: Bottleneck = 'none';
  const bestPool = candidates.filter((c) => c.kind !== 'async').sort((a, b) => b.speedup - a.speedup)[0];
  if (bestPool) {
    const cost = poolCost(bestPool, machineRunq);
    if (cost) {
      bottleneck = cost.bottleneck;
      parts.push(`${POOL_NAMES[bestPool.kind]} reach ${times(bestPool.speedup)} ${where(bestPool)}: ${cost.text}.`);
    } else if (bestPool.meanTaskNs < T.smallTaskNs) {
      bottleneck = 'overhead';
      parts.push(`Tasks are too small for a pool (${duration(bestPool.meanTaskNs)} each, ${duration(serialMedian)} serial in total): handing them to workers costs more than it saves (${POOL_NAMES[bestPool.kind].toLowerCase()} ${times(bestPool.speedup)} ${where(bestPool)}).`);
    } else {
      // Nothing measured explains it: say what was measured, name no cause.
      parts.push(
        `${POOL_NAMES[bestPool.kind]} reach only ${times(bestPool.speedup)} ${where(bestPool)}; nothing measured holds them back (copying ${pct(copyShare(bestPool))} of task time, start-up ${pct(bestPool.startupShare)} of the run, GC ${pct(bestPool.shares.gc)}, waiting for a CPU ${pct(bestPool.shares.runq)}).`,
      );
    }
  }
  const bestAsync = candidates.filter((c) => c.kind === 'async').sort((a, b) => b.speedup - a.speedup)[0];
  if (bestAsync) parts.push(asyncStall(bestAsync, input));
  if (input.memoryFault) bottleneck = 'memory';
  const bestText = best ? ` (best: ${best.kind} x${best.workers} at ${times(best.speedup)}${best.speedup > 1 - best.noise ? ', within noise of serial' : ''})` : '';
  return {
    recommendation: 'serial',
    workers: 1,
    bottleneck,
    summary: [`Serial: nothing beats calling the function one task after another${bestText}.`, ...parts, ...notes].join(' '),
    withinNoise: best ? best.speedup > 1 - best.noise : false,
  };
}

export function decideNodeVerdict(input: NodeVerdictInput): Verdict {
  const serialMedian = median(input.serialWalls);
  const load = machineLoad(input);
  const busyMachine = load.busy;
  const noiseOf = noiseFloor(input, load);
  const scored: Scored[] = input.configs.map((config) => {
    const speedup = serialMedian / median(config.walls);
    return { ...config, speedup, efficiency: speedup / config.workers, noise: noiseOf(config.walls) };
  });
  const speedups: Record<string, number> = { serial: 1 };
  for (const config of scored) speedups[`${config.kind} x${config.workers}`] = Math.round(config.speedup * 100) / 100;
  const repetitions = Math.min(input.serialWalls.length, ...scored.map((c) => c.walls.length));
  // One worker (or one call in flight) does the serial work with extra steps: never a recommendation.
  const candidates = scored.filter((c) => c.workers > 1 || scored.every((o) => o.workers === 1));
  const best = [...candidates].sort((a, b) => b.speedup - a.speedup)[0];
  const notes: string[] = [];
  if (busyMachine) notes.push(load.text);
  if (input.serialShares.gc >= T.gc) notes.push(`Garbage collection takes ${pct(input.serialShares.gc)} of serial task time: allocating less would help every pool.`);

  if (!best || best.speedup < 1 + best.noise) {
    const serial = decideSerial(input, candidates, best, serialMedian, load.runq, notes);
    return {
      recommendation: serial.recommendation,
      workers: serial.workers,
      bottleneck: serial.bottleneck,
      confidence: busyMachine || repetitions < 2 ? 'low' : repetitions >= 3 ? 'high' : 'medium',
      summary: serial.summary,
      speedups,
      withinNoise: serial.withinNoise,
    };
  }

  const chosen = candidates
    .filter((c) => c.speedup >= best.speedup * (1 - best.noise))
    .sort((a, b) => COST[a.kind] - COST[b.kind] || a.workers - b.workers)[0];
  const parts: string[] = [];
  let bottleneck: Bottleneck = 'none';
  if (chosen.kind === 'async') {
    const waiting = Math.max(input.serialShares.waiting, chosen.shares.waiting);
    if (waiting >= T.io) bottleneck = 'io';
    parts.push(`Async: ${times(chosen.speedup)} ${where(chosen)}; no pool needed: ${pct(waiting)} of task time is waiting.`);
  } else {
    parts.push(`${POOL_NAMES[chosen.kind]}: ${times(chosen.speedup)} ${where(chosen)} (${pct(Math.min(1, chosen.efficiency))} efficient).`);
    const cost = poolCost(chosen, load.runq);
    if (cost && cost.bottleneck !== 'cpu') {
      bottleneck = cost.bottleneck;
      parts.push(`Still, ${cost.text}.`);
    } else if (input.serialShares.waiting >= T.io) {
      bottleneck = 'io';
    }
    const otherPool = candidates.filter((c) => c.kind !== chosen.kind && c.kind !== 'async').sort((a, b) => b.speedup - a.speedup)[0];
    if (otherPool) {
      const otherCost = poolCost(otherPool, load.runq);
      parts.push(`${POOL_NAMES[otherPool.kind]} reach ${times(otherPool.speedup)}${otherCost ? `; ${otherCost.text}` : ''}.`);
    }
    const bestAsync = candidates.filter((c) => c.kind === 'async').sort((a, b) => b.speedup - a.speedup)[0];
    if (bestAsync) parts.push(asyncStall(bestAsync, input));
  }
  const oversubscribed = scored.filter((c) => c.kind === chosen.kind && c.kind !== 'async' && c.workers > input.cpusUsable && c.speedup < chosen.speedup * (1 - chosen.noise));
  if (oversubscribed.length > 0) {
    const worst = oversubscribed.sort((a, b) => b.workers - a.workers)[0];
    parts.push(`More workers than the ${input.cpusUsable} usable CPUs hurts: ${worst.workers} drop to ${times(worst.speedup)} (${pct(worst.shares.runq)} of task time waiting for a core).`);
    if (chosen.efficiency >= 0.7) bottleneck = 'oversubscription';
  }
  if (chosen.finishSpreadShare >= T.imbalance && chosen.workers > 1 && chosen.kind !== 'async') {
    if (bottleneck === 'none') bottleneck = 'imbalance';
    parts.push(`Load is uneven: workers finish ${pct(chosen.finishSpreadShare)} of the wall time apart (split the work into more, smaller tasks).`);
  }
  if (bottleneck === 'none' && chosen.kind !== 'async' && chosen.efficiency >= 0.7 && chosen.workers >= input.cpusUsable) bottleneck = 'cpu';
  if (input.memoryFault) bottleneck = 'memory';
  parts.push(...notes);
  const runnerUp = candidates.filter((c) => c.kind !== chosen.kind).sort((a, b) => b.speedup - a.speedup)[0];
  const margin = runnerUp ? chosen.speedup / runnerUp.speedup - 1 : chosen.speedup - 1;
  const withinNoise = margin < chosen.noise;
  if (withinNoise && runnerUp) parts.push(`${runnerUp.kind} x${runnerUp.workers} (${times(runnerUp.speedup)}) is within noise (±${pct(chosen.noise)}).`);
  return {
    recommendation: chosen.kind,
    workers: chosen.workers,
    bottleneck,
    confidence: withinNoise || busyMachine || repetitions < 2 ? 'low' : repetitions >= 3 && margin > 2 * chosen.noise ? 'high' : 'medium',
    summary: parts.join(' '),
    speedups,
    withinNoise,
  };
}

/** The harness's own event loop, which ran the tasks of serial and async runs. */
function mainLoopIdle(runs: Run[]): number | null {
  const idle = runs.map((r) => r.eventLoops?.find((loop) => loop.worker === null)).filter((loop) => loop !== undefined);
  return idle.length === runs.length && idle.length > 0 ? median(idle.map((loop) => 1 - loop.utilization)) : null;
}

function sharesOf(runs: Run[]): NodeShares {
  const total = runs.reduce((sum, r) => sum + r.totals.taskWallNs, 0) || 1;
  const sum = (pick: (r: Run) => number): number => runs.reduce((s, r) => s + pick(r), 0) / total;
  const gcNs = (r: Run): number => {
    // Interleaved async tasks share one thread: the run's pauses are set against its task time.
    if (r.kind === 'async') return (r.gcSpans ?? []).reduce((s, g) => s + (g.endNs - g.startNs), 0);
    return r.tasks.reduce((s, t) => s + (t.gcNs ?? 0), 0);
  };
  const cpu = sum((r) => r.totals.cpuNs);
  const runq = sum((r) => r.totals.runqNs);
  // On one event loop, waiting is the loop's idle time: exact where per-task CPU of short
  // tasks is not (see thread-probe.ts). Pool workers also idle between tasks, so there the
  // tasks' own figures are used.
  const onMainLoop = runs.every((r) => r.kind === 'serial' || r.kind === 'async') ? mainLoopIdle(runs) : null;
  return { cpu, runq, gc: Math.min(1, sum(gcNs)), waiting: onMainLoop ?? Math.max(0, 1 - cpu - runq) };
}

/** Reduces a Node trace's runs to what the verdict weighs. */
export function nodeVerdictInput(trace: ProfileTrace): NodeVerdictInput {
  // Runs without a speedup did different work from the serial baseline (their tasks failed).
  const measured = trace.runs.filter((r) => r.speedup !== null);
  const groups = new Map<string, Run[]>();
  for (const run of measured) {
    if (run.kind === 'serial') continue;
    const key = `${run.kind} x${run.workers}`;
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  const configs: NodeConfig[] = [...groups.values()].map((runs) => {
    const tasks = runs.flatMap((r) => r.tasks);
    const count = tasks.length || 1;
    const serialization = tasks.map((t) =>
      t.serialization
        ? t.serialization.argsSerializeNs + (t.serialization.argsDeserialize[1] - t.serialization.argsDeserialize[0]) + (t.serialization.resultSerialize[1] - t.serialization.resultSerialize[0]) + t.serialization.resultDeserializeNs
        : 0,
    );
    const startups = runs.flatMap((r) => (r.workerStarts ?? []).map((w) => w.readyNs - w.spawnNs));
    const startupNs = startups.length ? median(startups) : 0;
    return {
      kind: runs[0].kind as Concurrent,
      workers: runs[0].workers,
      walls: runs.map((r) => r.wallNs),
      shares: sharesOf(runs),
      meanTaskNs: tasks.reduce((s, t) => s + (t.endNs - t.startNs), 0) / count,
      meanArgsBytes: tasks.reduce((s, t) => s + (t.serialization?.argsBytes ?? 0), 0) / count,
      meanSerializationNs: serialization.reduce((a, b) => a + b, 0) / count,
      startupNs,
      startupShare: startupNs / median(runs.map((r) => r.wallNs)),
      finishSpreadShare: median(runs.map((r) => r.totals.finishSpreadNs / r.wallNs)),
    };
  });
  const serialRuns = measured.filter((r) => r.kind === 'serial');
  return {
    cpusUsable: trace.host.cpusUsable,
    serialWalls: serialRuns.map((r) => r.wallNs),
    serialShares: sharesOf(serialRuns),
    configs,
    memoryFault: trace.faults.some((f) => f.fault === 'memory'),
  };
}
