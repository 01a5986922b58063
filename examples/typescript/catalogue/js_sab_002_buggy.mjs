// Mixed atomic and plain access to one shared slot: a worker counts with Atomics.add while the
// main thread resets the slot with a plain store. The ECMAScript memory model gives that plain
// store no order with the worker's atomic updates (it is a data race), so the reset may be
// seen late or not at all. On x86 it usually looks fine, which is why nobody notices; the
// program can only report what this run saw.
import { Worker, isMainThread, workerData } from 'node:worker_threads';

if (isMainThread) {
  const sab = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  const view = new Int32Array(sab);
  const worker = new Worker(new URL(import.meta.url), { workerData: sab });
  view[0] = 0; // expect: JS-SAB-002
  await new Promise((resolve, reject) => worker.on('exit', resolve).on('error', reject));
  console.log(`count after the reset: ${Atomics.load(view, 0)} (plain reset: nothing orders it with the worker's updates)`);
} else {
  const counter = new Int32Array(workerData);
  for (let i = 0; i < 100_000; i++) Atomics.add(counter, 0, 1);
}
