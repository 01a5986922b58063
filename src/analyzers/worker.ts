// Entry point of an analyzer worker thread (bundled to dist/analyzer-worker.js): summarizes
// one file per request so parsing never blocks the thread that owns the UI or the CLI loop.
import { parentPort } from 'node:worker_threads';
import { threadUnusable } from './analyzer-signals';
import { summarizeFile, summarizeSource, type FileOutcome } from './file-outcome';
import type { WorkerReady, WorkerRequest, WorkerResponse } from './worker-pool';

const port = parentPort;
if (!port) throw new Error('analyzer-worker must run as a worker thread');

port.on('message', (request: WorkerRequest) => {
  void answer(request);
});
port.postMessage({ ready: true } satisfies WorkerReady);

async function answer(request: WorkerRequest): Promise<void> {
  const outcome =
    request.text === undefined
      ? await summarizeFile(request.path, request.maxBytes)
      : await summarizeSource({ path: request.path, text: request.text });
  const retire = threadUnusable() !== undefined;
  try {
    port!.postMessage({ id: request.id, outcome, retire } satisfies WorkerResponse);
  } catch (error) {
    // A summary that cannot be cloned is an analyzer bug; report it for this file only.
    const notice: FileOutcome = {
      kind: 'notice',
      path: request.path,
      message: `not analyzed: the analyzer's summary could not leave the worker (${(error as Error).message})`,
      lines: outcome.lines,
    };
    port!.postMessage({ id: request.id, outcome: notice, retire } satisfies WorkerResponse);
  }
}
