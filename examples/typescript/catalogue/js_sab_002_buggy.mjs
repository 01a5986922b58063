// Mixed atomic and plain access to one shared slot: a worker counts with Atomics.add while the
// main thread resets the slot with a plain store. The plain store is not ordered with the
// worker's atomic updates, so the reset can be lost or land in the middle of a batch.
import { Worker, isMainThread, workerData } from 'node:worker_threads';

if (isMainThread) {
  const sab = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  const view = new Int32Array(sab);
  const worker = new Worker(new URL(import.meta.url), { workerData: sab });
  view[0] = 0; // expect: JS-SAB-002
  await new Promise((resolve, reject) => worker.on('exit', resolve).on('error', reject));
  console.log(`count after the reset: ${Atomics.load(view, 0)} (the reset raced with the worker)`);
} else {
  const counter = new Int32Array(workerData);
  for (let i = 0; i < 100_000; i++) Atomics.add(counter, 0, 1);
}
