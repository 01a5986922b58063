/**
 * Weighs the `async` kind (up to N calls of a coroutine function in flight on one event loop)
 * against the pool verdict. Running on the loop needs no pool at all, so async wins ties with
 * threads and processes; a coroutine that computes without awaiting holds the loop, and the
 * verdict says so with the loop's busy share.
 */
import type { Bottleneck, ProfileTrace, Run, Verdict } from '../shared/trace';
import { median, MIN_NOISE, pct, sharesOf, spread, times } from './verdict';

/** The event loop busy this much of the run: it, not the waiting, limits the tasks in flight. */
const LOOP_SATURATED = 0.8;

interface AsyncConfig {
  inFlight: number;
  speedup: number;
  noise: number;
  repetitions: number;
  loopBusy: number;
}

function asyncConfigs(trace: ProfileTrace, serialMedian: number, serialNoise: number): AsyncConfig[] {
  const groups = new Map<number, Run[]>();
  for (const run of trace.runs) if (run.kind === 'async' && run.speedup !== null) groups.set(run.workers, [...(groups.get(run.workers) ?? []), run]);
  return [...groups.entries()].map(([inFlight, runs]) => {
    const walls = runs.map((r) => r.wallNs);
    return {
      inFlight,
      speedup: serialMedian / median(walls),
      noise: Math.max(MIN_NOISE, spread(walls), serialNoise),
      repetitions: runs.length,
      loopBusy: median(runs.map((r) => r.eventLoop?.utilization ?? 0)),
    };
  });
}

function poolPhrase(verdict: Verdict): string {
  const speedup = verdict.speedups[`${verdict.recommendation} x${verdict.workers}`];
  const who = verdict.recommendation === 'thread' ? 'Threads' : 'Processes';
  return speedup === undefined ? '' : `${who} reach ${times(speedup)} at ${verdict.workers} worker${verdict.workers > 1 ? 's' : ''}.`;
}

export function weighAsync(verdict: Verdict, trace: ProfileTrace): Verdict {
  // Runs without a speedup did different work from the serial baseline (their tasks failed).
  const serialRuns = trace.runs.filter((r) => r.kind === 'serial' && r.speedup !== null);
  if (serialRuns.length === 0) return verdict;
  const serialWalls = serialRuns.map((r) => r.wallNs);
  const serialMedian = median(serialWalls);
  const configs = asyncConfigs(trace, serialMedian, spread(serialWalls));
  if (configs.length === 0) return verdict;
  const speedups = { ...verdict.speedups };
  for (const c of configs) speedups[`async x${c.inFlight}`] = Math.round(c.speedup * 100) / 100;

  // As for pools: one call in flight only ever measures noise, unless nothing else ran.
  const candidates = configs.filter((c) => c.inFlight > 1 || configs.every((o) => o.inFlight === 1));
  const best = candidates.reduce((a, b) => (b.speedup > a.speedup ? b : a));
  const chosen = candidates.filter((c) => c.speedup >= best.speedup * (1 - best.noise)).sort((a, b) => a.inFlight - b.inFlight)[0];
  const pooled = verdict.recommendation !== 'serial';
  const baseSpeedup = pooled ? (verdict.speedups[`${verdict.recommendation} x${verdict.workers}`] ?? 1) : 1;
  const serialShares = sharesOf(serialRuns);
  const waiting = serialShares.blocked;

  // The loop runs one step at a time, so only the waiting overlaps: with a share w of task time
  // waiting, N in flight cannot beat 1 / (1 - w). A faster async run of tasks that never wait
  // measured noise, not concurrency.
  const reachable = 1 / Math.max(1e-9, 1 - waiting);
  if (reachable < 1 + best.noise || best.speedup < 1 + best.noise || best.speedup < baseSpeedup * (1 - best.noise)) {
    const why =
      best.loopBusy >= LOOP_SATURATED
        ? `Async reaches only ${times(best.speedup)} with ${best.inFlight} in flight: the coroutine holds the event loop (busy ${pct(best.loopBusy)} of the time) instead of awaiting, so the tasks run one after another.`
        : `Async reaches ${times(best.speedup)} with ${best.inFlight} in flight (event loop busy ${pct(best.loopBusy)} of the time).`;
    return { ...verdict, summary: `${verdict.summary} ${why}`, speedups };
  }

  const margin = chosen.speedup / baseSpeedup - 1;
  const withinNoise = pooled && margin < chosen.noise;
  const busyMachine = serialShares.runq >= 0.2;
  const repetitions = Math.min(serialRuns.length, chosen.repetitions);
  const confidence: Verdict['confidence'] =
    busyMachine || repetitions < 2 ? 'low' : withinNoise ? 'medium' : repetitions >= 3 && margin > 2 * chosen.noise ? 'high' : 'medium';
  let bottleneck: Bottleneck = 'none';
  if (waiting >= 0.5) bottleneck = 'io';
  else if (chosen.loopBusy >= LOOP_SATURATED) bottleneck = 'cpu';
  const parts = [
    `Async: ${times(chosen.speedup)} with ${chosen.inFlight} in flight on one event loop; no pool needed: ${pct(waiting)} of task time is waiting (the loop is busy ${pct(chosen.loopBusy)} of the time).`,
  ];
  if (pooled) parts.push(withinNoise ? `${poolPhrase(verdict)} That is within noise (±${pct(chosen.noise)}), and the loop needs no threads or processes.` : poolPhrase(verdict));
  if (busyMachine) parts.push(`The machine was busy: ${pct(serialShares.runq)} of serial task time was spent waiting for a CPU, so these figures are noisy.`);
  return {
    recommendation: 'async',
    workers: chosen.inFlight,
    bottleneck,
    confidence,
    summary: parts.join(' '),
    speedups,
    withinNoise,
  };
}
