// The fix: every access of the shared slot goes through Atomics, so the reset is a
// sequentially consistent store ordered with the worker's atomic additions.
import { Worker, isMainThread, workerData } from 'node:worker_threads';

if (isMainThread) {
  const sab = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  const view = new Int32Array(sab);
  const worker = new Worker(new URL(import.meta.url), { workerData: sab });
  Atomics.store(view, 0, 0);
  await new Promise((resolve, reject) => worker.on('exit', resolve).on('error', reject));
  console.log(`count after the reset: ${Atomics.load(view, 0)}`);
} else {
  const counter = new Int32Array(workerData);
  for (let i = 0; i < 100_000; i++) Atomics.add(counter, 0, 1);
}
