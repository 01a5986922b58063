// The fix: tell the worker through a message. The worker handles it between its own steps and
// stops soon after the parent asks.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

if (isMainThread) {
  const worker = new Worker(new URL(import.meta.url), { workerData: { limitMs: 200 } });
  await new Promise((resolve) => setTimeout(resolve, 20));
  worker.postMessage('stop');
  const ranMs = await new Promise((resolve) => worker.once('message', resolve));
  await new Promise((resolve) => worker.once('exit', resolve));
  console.log(`the worker stopped when asked, after ${ranMs} ms`);
} else {
  let stop = false;
  parentPort.once('message', () => { stop = true; });
  const started = Date.now();
  while (!stop && Date.now() - started < workerData.limitMs) await new Promise((resolve) => setTimeout(resolve, 5));
  parentPort.postMessage(Date.now() - started);
  parentPort.close();
}
