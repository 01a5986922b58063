// Worker isolation: `workerData` is a structured clone, not a shared object. The parent sets
// `settings.stop` after starting the worker, expecting the worker to see it; the worker only
// ever sees its own copy and keeps running until its own time limit.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

if (isMainThread) {
  const settings = { stop: false, limitMs: 200 };
  const worker = new Worker(new URL(import.meta.url), { workerData: settings });
  await new Promise((resolve) => setTimeout(resolve, 20));
  settings.stop = true; // expect: JS-WRK-001
  const ranMs = await new Promise((resolve) => worker.once('message', resolve));
  await new Promise((resolve) => worker.once('exit', resolve));
  console.log(`the worker ignored the stop flag and ran ${ranMs} ms`);
} else {
  const started = Date.now();
  while (!workerData.stop && Date.now() - started < workerData.limitMs) await new Promise((resolve) => setTimeout(resolve, 5));
  parentPort.postMessage(Date.now() - started);
}
