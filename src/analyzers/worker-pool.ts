import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FileOutcome } from './file-outcome';

export interface WorkerTask {
  path: string;
  /** Text already in memory (editor buffer); the worker reads the file when absent. */
  text?: string;
  maxBytes: number;
}

export interface WorkerRequest extends WorkerTask {
  id: number;
}

export interface WorkerResponse {
  id: number;
  outcome: FileOutcome;
  /** The worker cannot analyze any more files (its parser aborted): replace it. */
  retire?: boolean;
}

/** Sent once by a worker whose modules have loaded: its tasks' deadlines start from here. */
export interface WorkerReady {
  ready: true;
}

export interface WorkerScript {
  file: string;
  execArgv: string[];
}

/**
 * The worker bundle sits next to the running bundle (dist/). Run from the TypeScript
 * sources (unit tests under tsx), the worker is the .ts file and tsx must load it too.
 */
export function defaultWorkerScript(): WorkerScript {
  const bundled = path.join(__dirname, 'analyzer-worker.js');
  if (existsSync(bundled)) return { file: bundled, execArgv: [] };
  const source = path.join(__dirname, 'worker.ts');
  if (existsSync(source)) return { file: source, execArgv: ['--require', createRequire(__filename).resolve('tsx/cjs')] };
  throw new Error(`analyzer worker not found next to ${__dirname} (expected analyzer-worker.js)`);
}

interface PendingTask {
  request: WorkerRequest;
  resolve(outcome: FileOutcome): void;
  reject(error: unknown): void;
}

interface Slot {
  worker: Worker;
  current?: PendingTask;
  lastError?: string;
  deadline?: NodeJS.Timeout;
  timedOut?: boolean;
  /** Loading a worker can take longer than a task on a busy machine; it is not the file's fault. */
  ready?: boolean;
}

export interface WorkerPoolOptions {
  script?: WorkerScript;
  /** A file still in analysis after this long has its worker stopped and gets a notice. */
  taskTimeoutMs?: number;
}

/** Far beyond the seconds a 10 MB file takes; only a hung analyzer reaches it. */
export const DEFAULT_TASK_TIMEOUT_MS = 120_000;

/**
 * A fixed number of analyzer worker threads fed from one queue. A worker that dies (an
 * analyzer blowing up the thread, out of memory) costs only the file it was working on:
 * that file gets a notice and a fresh worker takes the next file. So does a worker that
 * answers but says it cannot go on (a parser that aborted): it is replaced before its next file.
 */
export class WorkerPool {
  private readonly slots = new Set<Slot>();
  private readonly queue: PendingTask[] = [];
  private nextId = 0;
  private terminated = false;

  private readonly script: WorkerScript;
  private readonly taskTimeoutMs: number;

  constructor(
    private readonly size: number,
    options: WorkerPoolOptions = {},
  ) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`worker count must be a positive integer, got ${size}`);
    this.script = options.script ?? defaultWorkerScript();
    this.taskTimeoutMs = options.taskTimeoutMs ?? DEFAULT_TASK_TIMEOUT_MS;
  }

  run(task: WorkerTask): Promise<FileOutcome> {
    if (this.terminated) return Promise.reject(new Error('worker pool is terminated'));
    return new Promise<FileOutcome>((resolve, reject) => {
      this.queue.push({ request: { ...task, id: this.nextId++ }, resolve, reject });
      this.dispatch();
    });
  }

  /** Stops every worker at once; queued and running tasks reject. */
  async terminate(): Promise<void> {
    if (this.terminated) return;
    this.terminated = true;
    const error = new Error('worker pool terminated');
    for (const task of this.queue.splice(0)) task.reject(error);
    const slots = [...this.slots];
    this.slots.clear();
    for (const slot of slots) {
      clearTimeout(slot.deadline);
      slot.current?.reject(error);
    }
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const slot = this.idleSlot();
      if (!slot) return;
      const task = this.queue.shift()!;
      slot.current = task;
      if (slot.ready) this.armDeadline(slot);
      slot.worker.postMessage(task.request);
    }
  }

  private armDeadline(slot: Slot): void {
    slot.deadline = setTimeout(() => {
      slot.timedOut = true;
      void slot.worker.terminate();
    }, this.taskTimeoutMs);
  }

  private idleSlot(): Slot | undefined {
    for (const slot of this.slots) if (!slot.current) return slot;
    return this.slots.size < this.size ? this.spawn() : undefined;
  }

  private spawn(): Slot {
    const worker = new Worker(this.script.file, { execArgv: this.script.execArgv });
    const slot: Slot = { worker };
    worker.on('message', (response: WorkerResponse | WorkerReady) => {
      if ('ready' in response) {
        slot.ready = true;
        if (slot.current) this.armDeadline(slot);
        return;
      }
      const task = slot.current;
      if (!task || task.request.id !== response.id) return;
      clearTimeout(slot.deadline);
      slot.current = undefined;
      if (response.retire) {
        // Out of the pool before the next dispatch, so no file is sent to a thread that cannot analyze it.
        this.slots.delete(slot);
        void slot.worker.terminate();
      }
      task.resolve(response.outcome);
      this.dispatch();
    });
    worker.on('error', (error) => {
      slot.lastError = error.message;
    });
    worker.on('exit', (code) => {
      if (!this.slots.delete(slot)) return; // the whole pool was terminated
      clearTimeout(slot.deadline);
      const task = slot.current;
      if (task) {
        const message = slot.timedOut
          ? `not analyzed: analysis took longer than ${this.taskTimeoutMs / 1000} s and was stopped`
          : `not analyzed: the analyzer worker crashed on this file (${slot.lastError ?? `exit code ${code}`})`;
        task.resolve({ kind: 'notice', path: task.request.path, message, lines: 0 });
      }
      this.dispatch();
    });
    this.slots.add(slot);
    return slot;
  }
}
