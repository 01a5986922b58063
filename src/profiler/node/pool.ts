/**
 * A pool of worker threads or child processes behind one API, for the harness's `thread` and
 * `process` runs. Written here rather than taken from tinypool or workerpool (both offer the
 * two runtimes) because the profile needs what neither exposes: the moment a task is handed
 * to a worker (its serialization happens then, on the main thread, as in a real pool that
 * clones on dispatch), an address for each worker (its GC pauses, event-loop utilization and
 * peak memory are collected at the end of a run), and termination that cannot be refused
 * (SIGKILL for processes, `terminate()` for threads, which stops even an endless loop).
 * Child processes use V8 serialization on their IPC channel, like structured clone.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import type { TaskError, WorkerStart } from '../../shared/trace';
import type { FromWorker, TaskMessage, ToWorker, WorkerInit, WorkerResult, WorkerStats } from './protocol';
import { nowNs } from './thread-probe';

export type PoolRuntime = 'thread' | 'process';

/** A worker ended while the pool still needed it (process.exit in a task, a crash, out of memory). */
export class WorkerExit extends Error {
  constructor(
    readonly worker: number,
    readonly code: number | null,
    readonly signal: string | null,
    readonly taskIndex: number | null,
    readonly detail: string,
  ) {
    super(`worker ${worker} exited (${signal ? `killed by ${signal}` : `exit code ${code}`})`);
  }
}

/** A worker could not load the module or find the function. */
export class WorkerLoadFailure extends Error {
  constructor(
    message: string,
    readonly error: TaskError,
  ) {
    super(message);
  }
}

export interface Dispatch {
  payload: Uint8Array;
  /** Main-thread time spent producing the payload. */
  serializeNs: number;
}

export interface Completed {
  worker: number;
  sentNs: number;
  serializeNs: number;
  argsBytes: number;
  result: WorkerResult;
}

interface Endpoint {
  readonly pid: number;
  send(message: ToWorker): void;
  kill(): Promise<void>;
}

interface PoolSlot {
  index: number;
  endpoint: Endpoint;
  spawnNs: number;
  start: WorkerStart | null;
  busyWith: { pending: Pending; sentNs: number; serializeNs: number; argsBytes: number } | null;
  exited: boolean;
  lastError: string;
  stats: ((stats: WorkerStats) => void) | null;
}

interface Pending {
  index: number;
  prepare: () => Dispatch;
  resolve: (completed: Completed) => void;
  reject: (error: Error) => void;
}

/** Only an ArrayBuffer the payload owns whole can be transferred instead of copied. */
function transferable(payload: Uint8Array): ArrayBuffer[] {
  return payload.byteOffset === 0 && payload.byteLength === payload.buffer.byteLength && payload.buffer instanceof ArrayBuffer ? [payload.buffer] : [];
}

export class WorkerPool {
  private readonly slots: PoolSlot[] = [];
  private readonly queue: Pending[] = [];
  private failure: Error | null = null;
  private terminating = false;

  constructor(
    private readonly runtime: PoolRuntime,
    private readonly size: number,
    private readonly script: string,
    private readonly init: WorkerInit,
    private readonly memoryLimitMb: number | null,
  ) {}

  start(): void {
    for (let index = 0; index < this.size; index++) this.slots.push(this.spawn(index));
  }

  /** Runs task `index` on the next free worker; `prepare` serializes its arguments at that moment. */
  run(index: number, prepare: () => Dispatch): Promise<Completed> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ index, prepare, resolve, reject });
      this.dispatch();
    });
  }

  /** Tasks running right now, by worker (for a timeout's report). */
  running(): { worker: number; pid: number; task: number; sentNs: number }[] {
    return this.slots
      .flatMap((s) => (s.busyWith ? [{ worker: s.index, pid: s.endpoint.pid, task: s.busyWith.pending.index, sentNs: s.busyWith.sentNs }] : []))
      .sort((a, b) => a.task - b.task);
  }

  starts(): WorkerStart[] {
    return this.slots.map((s) => s.start).filter((s): s is WorkerStart => s !== null);
  }

  pids(): number[] {
    return this.slots.map((s) => s.endpoint.pid);
  }

  /** Each live worker's GC pauses, event-loop utilization and peak memory; at most `limitMs`. */
  async collect(limitMs = 2000): Promise<WorkerStats[]> {
    const replies = this.slots
      .filter((slot) => !slot.exited && slot.start)
      .map(
        (slot) =>
          new Promise<WorkerStats | null>((resolve) => {
            const timer = setTimeout(() => resolve(null), limitMs);
            slot.stats = (stats) => {
              clearTimeout(timer);
              resolve(stats);
            };
            slot.endpoint.send({ type: 'collect' });
          }),
      );
    return (await Promise.all(replies)).filter((s): s is WorkerStats => s !== null);
  }

  async terminate(): Promise<void> {
    this.terminating = true;
    for (const pending of this.queue.splice(0)) pending.reject(new Error('the pool was stopped'));
    await Promise.all(this.slots.map((slot) => slot.endpoint.kill()));
  }

  private spawn(index: number): PoolSlot {
    const slot: PoolSlot = { index, endpoint: null as unknown as Endpoint, spawnNs: nowNs(), start: null, busyWith: null, exited: false, lastError: '', stats: null };
    const onMessage = (message: FromWorker): void => this.onMessage(slot, message);
    const onExit = (code: number | null, signal: string | null): void => this.onExit(slot, code, signal);
    slot.endpoint = this.runtime === 'thread' ? this.spawnThread(onMessage, onExit, slot) : this.spawnProcess(onMessage, onExit, slot);
    slot.endpoint.send(this.init);
    return slot;
  }

  private spawnThread(onMessage: (m: FromWorker) => void, onExit: (code: number | null, signal: string | null) => void, slot: PoolSlot): Endpoint {
    const worker = new Worker(this.script, {
      stdout: false,
      stderr: false,
      ...(this.memoryLimitMb ? { resourceLimits: { maxOldGenerationSizeMb: this.memoryLimitMb } } : {}),
    });
    worker.on('message', onMessage);
    worker.on('error', (error) => (slot.lastError = `${(error as NodeJS.ErrnoException).code ?? error.name}: ${error.message}`));
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.once('exit', (code) => onExit(code, null));
    return {
      pid: process.pid,
      send: (message) => worker.postMessage(message, message.type === 'task' ? transferable(message.payload) : []),
      kill: async () => {
        if (slot.exited) return;
        await worker.terminate();
        await exited;
      },
    };
  }

  private spawnProcess(onMessage: (m: FromWorker) => void, onExit: (code: number | null, signal: string | null) => void, slot: PoolSlot): Endpoint {
    const child: ChildProcess = fork(this.script, [], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: this.memoryLimitMb ? [`--max-old-space-size=${this.memoryLimitMb}`] : [],
    });
    child.on('message', (message) => onMessage(message as FromWorker));
    child.on('error', (error) => (slot.lastError = error.message));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.once('exit', (code, signal) => onExit(code, signal));
    return {
      pid: child.pid ?? -1,
      send: (message) => {
        if (child.connected) child.send(message);
      },
      kill: async () => {
        if (slot.exited) return;
        child.kill('SIGKILL');
        await exited;
      },
    };
  }

  private onMessage(slot: PoolSlot, message: FromWorker): void {
    switch (message.type) {
      case 'ready':
        slot.start = { pid: message.pid, tid: message.tid, worker: slot.index, spawnNs: slot.spawnNs, readyNs: nowNs(), importNs: message.importNs };
        this.dispatch();
        break;
      case 'load-failed':
        this.fail(new WorkerLoadFailure(message.message, message.error));
        break;
      case 'result': {
        const busy = slot.busyWith;
        slot.busyWith = null;
        busy?.pending.resolve({ worker: slot.index, sentNs: busy.sentNs, serializeNs: busy.serializeNs, argsBytes: busy.argsBytes, result: message });
        this.dispatch();
        break;
      }
      case 'stats':
        slot.stats?.(message);
        slot.stats = null;
        break;
    }
  }

  private onExit(slot: PoolSlot, code: number | null, signal: string | null): void {
    slot.exited = true;
    slot.stats?.({ type: 'stats', pid: slot.endpoint.pid, tid: slot.endpoint.pid, gcSpans: [], eventLoop: { utilization: 0, activeNs: 0, idleNs: 0 }, peakRssBytes: null, stray: [] });
    if (this.terminating) return;
    this.fail(new WorkerExit(slot.index, code, signal, slot.busyWith?.pending.index ?? null, slot.lastError));
  }

  /** The first failure ends the run: every queued and running task is rejected with it. */
  private fail(error: Error): void {
    this.failure ??= error;
    for (const pending of this.queue.splice(0)) pending.reject(this.failure);
    for (const slot of this.slots) {
      slot.busyWith?.pending.reject(this.failure);
      slot.busyWith = null;
    }
  }

  private dispatch(): void {
    if (this.failure) return;
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (!slot.start || slot.busyWith || slot.exited) continue;
      const pending = this.queue.shift()!;
      let dispatch: Dispatch;
      try {
        dispatch = pending.prepare();
      } catch (error) {
        pending.reject(error as Error);
        continue;
      }
      // Read the size now: a transferred payload is empty on this side once sent.
      slot.busyWith = { pending, sentNs: nowNs(), serializeNs: dispatch.serializeNs, argsBytes: dispatch.payload.byteLength };
      const message: TaskMessage = { type: 'task', index: pending.index, payload: dispatch.payload };
      slot.endpoint.send(message);
    }
  }
}
