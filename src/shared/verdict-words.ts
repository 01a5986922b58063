/**
 * The words and numbers of a verdict, written once for every place that shows one: the
 * timeline's verdict card, the completion toast, the CodeLens above the function and the
 * progress notification. Built from the verdict's fields (the sentence itself comes from the
 * profiler); one multiplication sign, percentages without a trailing ".0". Node's pools and
 * costs have Node's names (worker_threads, child_process, structured clone); `async` (calls in
 * flight on one event loop) and the other kinds read the same for both runtimes; a trace
 * without a runtime is Python's.
 */
import type { Bottleneck, PoolKind, Runtime, Verdict } from './trace';

export const TIMES = '×';

/** 1.4 → "1.40×" (two decimals: speedups are compared with each other). */
export function formatSpeedup(speedup: number): string {
  return `${speedup.toFixed(2)}${TIMES}`;
}

/** 0.712 → "71%", 0.035 → "3.5%", 1.2 → "120%", 0 → "0%": the digits that matter, no ".0". */
export function formatPercent(share: number): string {
  const percent = share * 100;
  const text = Math.abs(percent) >= 10 ? Math.round(percent).toString() : percent.toFixed(1).replace(/\.0$/, '');
  return `${text === '-0' ? '0' : text}%`;
}

/** "a thread pool with 2 workers", "the serial run", "one event loop with 4 calls in flight". */
export function poolPhrase(kind: PoolKind, workers: number, runtime: Runtime = 'python'): string {
  if (kind === 'serial') return 'the serial run';
  return `${kind === 'async' ? 'one' : 'a'} ${configurationName(kind, workers, runtime)}`;
}

const NODE_POOL_NAMES: Partial<Record<PoolKind, string>> = { thread: 'worker_threads pool', process: 'child_process pool' };

/**
 * A kind without its size: "thread pool", "Dask cluster", "calls in flight on one event loop";
 * for Node "worker_threads pool", "child_process pool". `async` means the same in both runtimes.
 */
export function kindName(kind: PoolKind, runtime: Runtime = 'python'): string {
  switch (kind) {
    case 'serial':
      return 'serial run';
    case 'async':
      return 'calls in flight on one event loop';
    case 'dask':
      return 'Dask cluster';
    default:
      return (runtime === 'node' ? NODE_POOL_NAMES[kind] : undefined) ?? `${kind} pool`;
  }
}

/**
 * "thread pool with 2 workers", "serial run", "event loop with 4 calls in flight", "Dask
 * cluster with 2 workers", for Node "worker_threads pool with 2 workers": a configuration on
 * its own (progress, run headers, tooltips).
 */
export function configurationName(kind: PoolKind, workers: number, runtime: Runtime = 'python'): string {
  const many = workers === 1 ? '' : 's';
  switch (kind) {
    case 'serial':
      return 'serial run';
    case 'async':
      return `event loop with ${workers} call${many} in flight`;
    default:
      return `${kindName(kind, runtime)} with ${workers} worker${many}`;
  }
}

/**
 * The recommendation as an instruction: "Use a process pool with 2 workers", "Run serially",
 * "Run 8 calls at once on the event loop (no pool)".
 */
export function recommendationText(verdict: Pick<Verdict, 'recommendation' | 'workers'>, runtime: Runtime = 'python'): string {
  if (verdict.recommendation === 'serial') return 'Run serially';
  if (verdict.recommendation === 'async') return `Run ${verdict.workers} call${verdict.workers === 1 ? '' : 's'} at once on the event loop (no pool)`;
  return `Use ${poolPhrase(verdict.recommendation, verdict.workers, runtime)}`;
}

const BOTTLENECK_TEXT: Record<Bottleneck, string> = {
  gil: 'the GIL',
  cpu: 'CPU (cores saturated)',
  io: 'I/O or sleep',
  lock: 'a lock',
  ipc: 'inter-process transfer (pickling)',
  overhead: 'pool overhead (tasks too small)',
  imbalance: 'load imbalance',
  oversubscription: 'too many workers (runqueue wait)',
  memory: 'memory',
  gc: 'garbage collection',
  scheduler: 'the Dask scheduler (latency per task)',
  none: 'nothing significant',
};

/** Where Node's costs differ from Python's: structured clone, not pickling. */
const NODE_BOTTLENECK_TEXT: Partial<Record<Bottleneck, string>> = {
  ipc: 'copying arguments and results (structured clone)',
};

export function bottleneckText(bottleneck: Bottleneck, runtime: Runtime = 'python'): string {
  return (runtime === 'node' ? NODE_BOTTLENECK_TEXT[bottleneck] : undefined) ?? BOTTLENECK_TEXT[bottleneck] ?? bottleneck;
}

/** The recommended configuration's median speedup over serial, when the verdict has it. */
export function recommendedSpeedup(verdict: Pick<Verdict, 'recommendation' | 'workers' | 'speedups'>): number | undefined {
  return verdict.recommendation === 'serial' ? undefined : verdict.speedups[`${verdict.recommendation} x${verdict.workers}`];
}

/** "1.43× faster than serial", or what a serial recommendation means. */
export function speedupText(verdict: Pick<Verdict, 'recommendation' | 'workers' | 'speedups'>): string {
  if (verdict.recommendation === 'serial') return 'no pool is faster than serial';
  const speedup = recommendedSpeedup(verdict);
  return speedup === undefined ? 'speedup not measured' : `${formatSpeedup(speedup)} faster than serial`;
}

/**
 * One line for a toast or a CodeLens: "Use a thread pool with 2 workers: 1.43× faster than
 * serial · bottleneck: a lock · low confidence".
 */
export function verdictLine(verdict: Verdict, runtime: Runtime = 'python'): string {
  const parts = [`${recommendationText(verdict, runtime)}: ${speedupText(verdict)}`];
  if (verdict.bottleneck !== 'none') parts.push(`bottleneck: ${bottleneckText(verdict.bottleneck, runtime)}`);
  if (verdict.confidence === 'low') parts.push('low confidence');
  return parts.join(' · ');
}
