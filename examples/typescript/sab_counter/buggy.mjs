// A counter in a SharedArrayBuffer, incremented by two worker threads with plain `counter[0]++`.
// That is a load, an add and a store: when both threads load the same value, both store
// value + 1 and one increment is lost. The workers report ready and wait at a start gate (slot 1) so that they
// really run at the same time; on a multi-core machine the final count comes out short.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const INCREMENTS = 10_000_000;
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
  for (let i = 0; i < INCREMENTS; i++) counter[COUNT]++; // expect: JS-SAB-001
}
