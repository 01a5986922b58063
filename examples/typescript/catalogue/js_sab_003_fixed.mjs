// The fix: Atomics.waitAsync returns a promise, so the main thread keeps serving its event loop
// (the timer ticks) until the worker stores 1 and notifies.
import { Worker } from 'node:worker_threads';

const sab = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
const flag = new Int32Array(sab);
const worker = new Worker(new URL('./signal_worker.mjs', import.meta.url), { workerData: sab });
let ticks = 0;
const timer = setInterval(() => { ticks += 1; }, 20);
const result = await Atomics.waitAsync(flag, 0, 0, 1000).value;
clearInterval(timer);
await new Promise((resolve, reject) => worker.on('exit', resolve).on('error', reject));
console.log(`Atomics.waitAsync resolved with ${result}; timer ticks while waiting: ${ticks}`);
