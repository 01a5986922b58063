/**
 * The watchdog thread (bundled as dist/conclens-node-watchdog.js). Serial and async runs call
 * the user's function on the harness's main thread, where an endless loop stops every timer;
 * this thread is armed for each such configuration and, when it outlives its timeout, writes
 * the timeout fault itself (naming the tasks that were running, which the main thread keeps in
 * shared memory) and ends the harness. The runner then ends everything else in its group.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { HarnessConfiguration } from '../harness-protocol';
import { emitEvent } from './emitter';

export interface WatchdogData {
  resultsFd: number;
  /** [generation, then the index of the task in each slot, -1 when empty]. */
  shared: SharedArrayBuffer;
}

export type WatchdogMessage = { type: 'arm'; configuration: HarnessConfiguration; timeoutMs: number } | { type: 'disarm' };

const { resultsFd, shared } = workerData as WatchdogData;
const state = new Int32Array(shared);
let timer: NodeJS.Timeout | null = null;

function running(): number[] {
  const tasks: number[] = [];
  for (let i = 1; i < state.length; i++) {
    const task = Atomics.load(state, i);
    if (task >= 0) tasks.push(task);
  }
  return tasks.sort((a, b) => a - b);
}

function fire(configuration: HarnessConfiguration, timeoutMs: number, generation: number): void {
  // Disarmed in the meantime: the main thread moved on just as the timer fired.
  if (Atomics.load(state, 0) !== generation) return;
  const tasks = running();
  const which = tasks.length === 0 ? 'no task had started' : `task${tasks.length > 1 ? 's' : ''} ${tasks.slice(0, 10).join(', ')}${tasks.length > 10 ? ', …' : ''} ${tasks.length > 1 ? 'were' : 'was'} still running on the main thread`;
  emitEvent(resultsFd, {
    type: 'fault',
    fault: 'timeout',
    configuration,
    message: `${configuration.label} did not finish within ${timeoutMs / 1000}s (an endless loop, or a promise that never settles): ${which}; stopped.`,
    stacks: [],
  });
  process.kill(process.pid, 'SIGKILL');
}

parentPort?.on('message', (message: WatchdogMessage) => {
  if (timer) clearTimeout(timer);
  timer = null;
  if (message.type === 'arm') {
    const generation = Atomics.load(state, 0);
    timer = setTimeout(() => fire(message.configuration, message.timeoutMs, generation), message.timeoutMs);
  }
});
