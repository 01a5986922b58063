/**
 * Writes harness events as JSON lines on the results descriptor, synchronously: the harness
 * exits right after its last event, and the watchdog thread must be able to write while the
 * main thread is stuck in user code.
 */
import { writeSync } from 'node:fs';
import type { HarnessEvent } from '../harness-protocol';

const pause = new Int32Array(new SharedArrayBuffer(4));

export function emitEvent(fd: number, event: HarnessEvent): void {
  const data = Buffer.from(`${JSON.stringify(event)}\n`);
  let offset = 0;
  while (offset < data.length) {
    try {
      offset += writeSync(fd, data, offset);
    } catch (error) {
      // The runner reads as fast as it can; a full pipe only needs a moment.
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}
