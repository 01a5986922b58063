// Worker for the js_sab_003 pair: about 100 ms of work, then it sets the shared flag to 1 and
// wakes whoever waits on it.
import { workerData } from 'node:worker_threads';

const flag = new Int32Array(workerData);
const until = Date.now() + 100;
while (Date.now() < until);
Atomics.store(flag, 0, 1);
Atomics.notify(flag, 0);
