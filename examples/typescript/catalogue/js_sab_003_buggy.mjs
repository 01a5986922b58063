// Atomics.wait on the main thread blocks the event loop: nothing else in this thread runs until
// the worker signals, so a 20 ms timer that should tick about five times does not tick once.
// (Browsers refuse Atomics.wait on the main thread outright; node lets it freeze the loop.)
import { Worker } from 'node:worker_threads';

const sab = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
const flag = new Int32Array(sab);
const worker = new Worker(new URL('./signal_worker.mjs', import.meta.url), { workerData: sab });
let ticks = 0;
const timer = setInterval(() => { ticks += 1; }, 20);
const result = Atomics.wait(flag, 0, 0, 1000); // expect: JS-SAB-003
clearInterval(timer);
await new Promise((resolve, reject) => worker.on('exit', resolve).on('error', reject));
console.log(`Atomics.wait returned ${result}; timer ticks while waiting: ${ticks}`);
