/**
 * One measured call of the user's function, shared by the serial run and the pool workers:
 * wall on the monotonic clock, the thread's CPU and runqueue wait (the thread runs nothing
 * else meanwhile), cores, and heap and RSS at the end. A returned promise is awaited: the
 * task ends when it settles.
 */
import v8 from 'node:v8';
import type { HarnessTask } from '../harness-protocol';
import type { TaskError } from '../../shared/trace';
import { nowNs, type ThreadProbe } from './thread-probe';

export type UserFunction = (...args: unknown[]) => unknown;

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** A stack without the harness's own frames below the user's (this bundle's file). */
function userStack(stack: string): string {
  return stack
    .split('\n')
    .filter((line) => !line.includes(__filename))
    .join('\n');
}

/** Whatever was thrown (or a rejection's reason), as the trace records it. */
export function describeError(thrown: unknown): TaskError {
  if (thrown instanceof Error) {
    const code = (thrown as { code?: unknown }).code;
    return {
      type: typeof code === 'string' && code.startsWith('ERR_') ? code : thrown.name,
      message: thrown.message.slice(0, 2000),
      traceback: userStack(thrown.stack ?? `${thrown.name}: ${thrown.message}`).slice(-8000),
    };
  }
  const text = safeString(thrown);
  return { type: thrown === null ? 'null' : typeof thrown, message: text.slice(0, 2000), traceback: `thrown: ${text.slice(0, 2000)}` };
}

function safeString(value: unknown): string {
  try {
    return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    return Object.prototype.toString.call(value);
  }
}

export interface CallOutcome {
  record: HarnessTask;
  result: unknown;
  /** The function returned a promise (so an `async` run can overlap its waits). */
  returnedPromise: boolean;
}

export async function measuredCall(probe: ThreadProbe, fn: UserFunction, args: unknown[], index: number): Promise<CallOutcome> {
  const coreStart = probe.core();
  const [cpuStart, runqStart] = probe.cpuAndRunq();
  const start = nowNs();
  let result: unknown;
  let error: TaskError | undefined;
  let returnedPromise = false;
  try {
    result = fn(...args);
    if (isThenable(result)) {
      returnedPromise = true;
      result = await result;
    }
  } catch (thrown) {
    error = describeError(thrown);
  }
  const end = nowNs();
  const [cpuEnd, runqEnd] = probe.cpuAndRunq();
  const record: HarnessTask = {
    index,
    start,
    end,
    cpu: cpuEnd - cpuStart,
    runq: runqEnd - runqStart,
    coreStart,
    coreEnd: probe.core(),
    pid: process.pid,
    tid: probe.tid,
    heapUsedBytes: v8.getHeapStatistics().used_heap_size,
    rssBytes: process.memoryUsage.rss(),
  };
  if (error) record.error = error;
  return { record, result, returnedPromise };
}

/** Why a value could not be serialized, in one short line (V8 quotes a function's whole source). */
export function cloneFailure(thrown: unknown): TaskError {
  const error = describeError(thrown);
  const firstLine = error.message.split('\n')[0];
  const message = firstLine.length > 120 || firstLine !== error.message ? `${firstLine.slice(0, 100)}… could not be cloned` : firstLine.replace(/\.$/, '');
  return { type: 'DataCloneError', message, traceback: error.traceback };
}
