/**
 * The runs that call the function on the harness's own event loop: `serial` (one call at a
 * time, each awaited) and `async` (up to N calls in flight). While they run, the watchdog
 * thread is armed (an endless loop here stops every timer of this thread), the tasks in
 * flight are kept in shared memory for its report, and `process.exit` from a task stops the
 * profile with a message instead of silently ending it.
 */
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { HarnessConfiguration, HarnessTask } from '../harness-protocol';
import type { EventLoopUse, GcSpan, TaskError } from '../../shared/trace';
import { emitEvent } from './emitter';
import { GcIndex, type GcRecorder } from './gc-recorder';
import { LoopAccounting, type LoopAccount } from './loop-accounting';
import { describeError, isThenable, measuredCall, type UserFunction } from './measured-call';
import { nowNs, type ThreadProbe } from './thread-probe';
import type { WatchdogData, WatchdogMessage } from './watchdog';

export interface MainThreadRun {
  /** Just before the first call and just after the last task settled. */
  start: number;
  end: number;
  tasks: HarnessTask[];
  gcSpans: GcSpan[];
  eventLoop: EventLoopUse;
  /** `async` runs: the time the loop spent on the tasks' own callbacks. */
  loopBusyNs: number | null;
  /** Some call returned a promise (an `async` run can overlap its waits). */
  returnedPromise: boolean;
  /** Event-loop resources (timers, sockets…) the tasks left behind, by type. */
  leftBehind: Record<string, number>;
}

interface CallsOutcome {
  tasks: HarnessTask[];
  returnedPromise: boolean;
  loopBusyNs?: number;
}

function resourceCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

function grownResources(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const grown: Record<string, number> = {};
  for (const [type, count] of Object.entries(after)) if (count > (before[type] ?? 0)) grown[type] = count - (before[type] ?? 0);
  return grown;
}

export class MainThreadRunner {
  private readonly shared: Int32Array;
  private readonly watchdog: Worker;
  private readonly accounting = new LoopAccounting();
  private readonly realExit = process.exit.bind(process);

  constructor(
    private readonly probe: ThreadProbe,
    private readonly gc: GcRecorder,
    private readonly resultsFd: number,
    watchdogScript: string,
    maxInFlight: number,
  ) {
    this.shared = new Int32Array(new SharedArrayBuffer(4 * (1 + maxInFlight))).fill(-1);
    this.shared[0] = 0;
    const data: WatchdogData = { resultsFd, shared: this.shared.buffer as SharedArrayBuffer };
    this.watchdog = new Worker(watchdogScript, { workerData: data, stdout: false, stderr: false });
    // Referenced until it runs (nothing else may keep the loop alive then), never after.
    this.ready = once(this.watchdog, 'online').then(() => {
      this.watchdog.unref();
    });
  }

  /** Resolves once the watchdog thread runs: starting a thread costs CPU a run should not share. */
  readonly ready: Promise<void>;

  async run(configuration: HarnessConfiguration, timeoutSec: number, fn: UserFunction, tasks: unknown[][]): Promise<MainThreadRun> {
    const before = resourceCounts();
    const loopBefore = performance.eventLoopUtilization();
    this.post({ type: 'arm', configuration, timeoutMs: timeoutSec * 1000 });
    process.exit = ((code?: number) => this.exitFromTask(configuration, code)) as typeof process.exit;
    // The loop ran dry with tasks still pending: nothing left could ever settle their promises.
    const stranded = (): void => this.stranded(configuration);
    process.once('beforeExit', stranded);
    let outcome: CallsOutcome;
    const start = nowNs();
    let end: number;
    try {
      outcome = configuration.kind === 'serial' ? await this.serial(fn, tasks) : await this.async(fn, tasks, configuration.workers);
      end = nowNs();
    } finally {
      process.off('beforeExit', stranded);
      process.exit = this.realExit;
      Atomics.add(this.shared, 0, 1);
      this.post({ type: 'disarm' });
    }
    const use = performance.eventLoopUtilization(performance.eventLoopUtilization(), loopBefore);
    const gcSpans = await this.gc.take();
    const index = new GcIndex(gcSpans);
    // Interleaved async tasks share one thread: a pause inside one's window may belong to another.
    if (configuration.kind === 'serial') for (const task of outcome.tasks) task.gcNs = index.inside(task.tid, task.start, task.end);
    return {
      start,
      end,
      tasks: outcome.tasks,
      gcSpans,
      eventLoop: { pid: process.pid, tid: this.probe.tid, worker: null, utilization: use.utilization, activeNs: use.active * 1e6, idleNs: use.idle * 1e6 },
      returnedPromise: outcome.returnedPromise,
      loopBusyNs: outcome.loopBusyNs ?? null,
      leftBehind: grownResources(before, resourceCounts()),
    };
  }

  private post(message: WatchdogMessage): void {
    this.watchdog.postMessage(message);
  }

  private running(slot: number, task: number): void {
    Atomics.store(this.shared, 1 + slot, task);
  }

  private pendingTasks(): string {
    const tasks = [...this.shared.subarray(1)].filter((t) => t >= 0).sort((a, b) => a - b);
    return `task${tasks.length > 1 ? 's' : ''} ${tasks.join(', ') || '?'}`;
  }

  private exitFromTask(configuration: HarnessConfiguration, code: number | undefined): never {
    emitEvent(this.resultsFd, {
      type: 'fault',
      fault: 'crash',
      configuration,
      message: `${this.pendingTasks()} called process.exit(${code ?? ''}) during ${configuration.label}: a function that ends the process cannot be profiled; stopped.`,
    });
    return this.realExit(3);
  }

  private stranded(configuration: HarnessConfiguration): never {
    emitEvent(this.resultsFd, {
      type: 'fault',
      fault: 'timeout',
      configuration,
      message: `${this.pendingTasks()} of ${configuration.label} returned a promise that can never settle: nothing that could settle it (a timer, a socket, a pending callback) was left on the event loop; stopped.`,
    });
    return this.realExit(3);
  }

  private async serial(fn: UserFunction, tasks: unknown[][]): Promise<CallsOutcome> {
    const records: HarnessTask[] = [];
    let returnedPromise = false;
    for (let index = 0; index < tasks.length; index++) {
      this.running(0, index);
      const outcome = await measuredCall(this.probe, fn, tasks[index], index);
      returnedPromise ||= outcome.returnedPromise;
      records.push(outcome.record);
    }
    this.running(0, -1);
    return { tasks: records, returnedPromise };
  }

  /**
   * Up to `inFlight` calls at once. The thread's CPU and runqueue wait cannot be split between
   * interleaved tasks, so each task's time on the loop (its own callbacks) is split in the
   * proportion the whole run shows. The loop's time on other tasks' callbacks while a task was
   * in flight is its loop-busy time (it may have been ready and waiting for the loop).
   */
  private async async(fn: UserFunction, tasks: unknown[][], inFlight: number): Promise<CallsOutcome> {
    const records: HarnessTask[] = [];
    let returnedPromise = false;
    let next = 0;
    const runStart = nowNs();
    const [cpuStart, runqStart] = this.probe.cpuAndRunq();
    const billedAtStart = this.accounting.billedNs;
    const slot = async (slotIndex: number): Promise<void> => {
      while (next < tasks.length) {
        const index = next++;
        this.running(slotIndex, index);
        const account: LoopAccount = { onLoopNs: 0 };
        const coreStart = this.probe.core();
        const start = nowNs();
        const billedBefore = this.accounting.billedNs;
        let error: TaskError | undefined;
        try {
          const result = this.accounting.run(account, () => fn(...tasks[index]));
          if (isThenable(result)) {
            returnedPromise = true;
            await result;
          }
        } catch (thrown) {
          error = describeError(thrown);
        }
        const end = nowNs();
        const othersNs = this.accounting.billedNs - billedBefore - account.onLoopNs;
        records.push({
          index,
          slot: slotIndex,
          start,
          end,
          cpu: 0,
          runq: 0,
          coreStart,
          coreEnd: this.probe.core(),
          pid: process.pid,
          tid: this.probe.tid,
          queueWaitNs: start - runStart,
          onLoopNs: account.onLoopNs,
          loopBusyNs: Math.max(0, othersNs),
          ...(error ? { error } : {}),
        });
      }
      this.running(slotIndex, -1);
    };
    this.accounting.enable();
    try {
      await Promise.all(Array.from({ length: Math.min(inFlight, tasks.length) }, (_, i) => slot(i)));
    } finally {
      this.accounting.disable();
    }
    const [cpuEnd, runqEnd] = this.probe.cpuAndRunq();
    const onCpu = cpuEnd - cpuStart;
    const cpuShare = onCpu + (runqEnd - runqStart) > 0 ? onCpu / (onCpu + (runqEnd - runqStart)) : 1;
    for (const record of records) {
      record.cpu = Math.min(record.end - record.start, (record.onLoopNs ?? 0) * cpuShare);
      record.runq = (record.onLoopNs ?? 0) * (1 - cpuShare);
    }
    records.sort((a, b) => a.index - b.index);
    return { tasks: records, returnedPromise, loopBusyNs: this.accounting.billedNs - billedAtStart };
  }
}
