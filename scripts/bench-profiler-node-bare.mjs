// The bare side of the Node overhead benchmark (scripts/bench-profiler.mjs): the same
// function on the same kind of pool with nothing measured, no sampler, no harness. It loads
// the module and the tasks like the harness, then times pool creation to the last result, as
// the harness does. Usage: node bench-profiler-node-bare.mjs '{"file", "function", "tasks", "kind", "workers"}'
// (this file is also the worker script of its thread and process pools).
import { fork } from 'node:child_process';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

async function load(file) {
  const namespace = await import(pathToFileURL(file).href);
  return file.endsWith('.cjs') ? { ...namespace.default } : { ...namespace };
}

async function serveTasks(config, post, onMessage) {
  const fn = (await load(config.file))[config.function];
  onMessage(async ({ index, args }) => post({ index, result: await fn(...args) }));
  post({ ready: true });
}

const asWorkerProcess = process.argv[2] === '--worker';
if (!isMainThread) {
  await serveTasks(workerData, (message) => parentPort.postMessage(message), (handle) => parentPort.on('message', handle));
} else if (asWorkerProcess) {
  await serveTasks(JSON.parse(process.argv[3]), (message) => process.send(message), (handle) => process.on('message', handle));
  process.on('disconnect', () => process.exit(0));
} else {
  const config = JSON.parse(process.argv[2]);
  const exported = await load(config.file);
  const names = Object.keys(exported).filter((name) => /^[A-Za-z_$][\w$]*$/.test(name));
  const tasks = [...(await new Function(...names, `return (${config.tasks});`)(...names.map((n) => exported[n])))].map((t) => (Array.isArray(t) ? t : [t]));
  const fn = exported[config.function];
  const start = process.hrtime.bigint();
  if (config.kind === 'async') {
    let next = 0;
    const slot = async () => {
      while (next < tasks.length) await fn(...tasks[next++]);
    };
    await Promise.all(Array.from({ length: config.workers }, slot));
  } else {
    const script = fileURLToPath(import.meta.url);
    const workers = Array.from({ length: config.workers }, () =>
      config.kind === 'thread'
        ? new Worker(script, { workerData: config })
        : fork(script, ['--worker', JSON.stringify(config)], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    );
    await new Promise((resolve) => {
      let next = 0;
      let done = 0;
      for (const worker of workers) {
        const send = (message) => (config.kind === 'thread' ? worker.postMessage(message) : worker.send(message));
        const dispatch = () => next < tasks.length && send({ index: next, args: tasks[next++] });
        worker.on('message', (message) => {
          if (!message.ready && ++done === tasks.length) resolve();
          dispatch();
        });
      }
    });
    for (const worker of workers) {
      if (config.kind === 'thread') void worker.terminate();
      else worker.kill('SIGKILL');
    }
  }
  process.stdout.write(`${process.hrtime.bigint() - start}\n`);
  process.exit(0);
}
