// The fix: `Atomics.add(counter, COUNT, 1)` makes the load, add and store one indivisible
// operation, so no increment is lost however the two worker threads interleave.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

// Atomics are slower than plain increments: fewer of them keep the example quick.
const INCREMENTS = 2_000_000;
const COUNT = 0;
const GATE = 1;

if (isMainThread) {
  const sab = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
  const view = new Int32Array(sab);
  const workers = [0, 1].map(() => new Worker(new URL(import.meta.url), { workerData: sab }));
  await Promise.all(workers.map((worker) => new Promise((resolve) => worker.once('message', resolve))));
  Atomics.store(view, GATE, 1);
  Atomics.notify(view, GATE);
  await Promise.all(workers.map((worker) => new Promise((resolve, reject) => worker.on('exit', resolve).on('error', reject))));
  const total = Atomics.load(view, COUNT);
  console.log(`counter: ${total} (expected ${2 * INCREMENTS}, lost ${2 * INCREMENTS - total})`);
} else {
  const counter = new Int32Array(workerData);
  parentPort.postMessage('ready');
  Atomics.wait(counter, GATE, 0);
  for (let i = 0; i < INCREMENTS; i++) Atomics.add(counter, COUNT, 1);
}
