/**
 * The Node harness (bundled as dist/conclens-node-harness.js), the counterpart of
 * conclens_harness.py: started by the runner with the configuration as JSON on stdin, it
 * loads the user's module, draws the tasks, runs every configuration (serial and async on its
 * own event loop, thread and process in pools) and writes harness-protocol.ts events on the
 * results descriptor. It exits explicitly at the end: timers a task left running would
 * otherwise keep it alive.
 */
import { readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import type { HarnessConfiguration, HarnessEvent } from '../harness-protocol';
import type { PoolKind, TaskError } from '../../shared/trace';
import { emitEvent } from './emitter';
import { GcRecorder } from './gc-recorder';
import { MainThreadRunner } from './main-thread-runs';
import { cloneFailure, describeError } from './measured-call';
import { runPool } from './pool-runs';
import type { NodeHarnessConfig } from './protocol';
import { evaluateTasks } from './tasks';
import { peakRssBytes, resetPeakRss, ThreadProbe } from './thread-probe';
import { exportedFunction, importExports } from './user-module';

/** Task spans over all runs, as for Python: about 400 bytes each in the trace. */
const MAX_TASK_SPANS = 300_000;
const EXIT_BAD_TARGET = 2;
const EXIT_RUN_FAILED = 3;

const config = JSON.parse(readFileSync(0, 'utf8')) as NodeHarnessConfig;
const emit = (event: HarnessEvent): void => emitEvent(config.resultsFd, event);
const displayFile = path.relative(config.root, config.file) || config.file;
const stray: TaskError[] = [];
process.on('unhandledRejection', (reason) => stray.push(describeError(reason)));
process.on('uncaughtException', (error) => stray.push(describeError(error)));

/** If the process that started the harness dies, nobody will end this one: do it, with its workers and temporary files. */
function followParent(): void {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid === parent) return;
    for (const dir of [config.dumpDir, ...config.ownedDirs]) rmSync(dir, { recursive: true, force: true });
    try {
      process.kill(-process.pid, 'SIGKILL');
    } catch {
      process.kill(process.pid, 'SIGKILL');
    }
  }, 500).unref();
}

function defaultWorkers(usable: number): number[] {
  const counts: number[] = [];
  for (let n = 1; n < usable; n *= 2) counts.push(n);
  counts.push(usable);
  return counts;
}

async function settle(): Promise<void> {
  for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
}

function strayNote(configuration: HarnessConfiguration, errors: TaskError[]): HarnessEvent {
  const [first] = errors;
  return {
    type: 'fault',
    fault: 'rejection',
    note: true,
    configuration,
    message: `${errors.length} unhandled rejection${errors.length > 1 ? 's' : ''} or uncaught error${errors.length > 1 ? 's' : ''} outside the tasks' own calls during ${configuration.label} (first: ${first.type}: ${first.message}); a promise nobody awaits or a callback the task left behind failed.`,
    error: first,
  };
}

async function main(): Promise<number> {
  followParent();
  if (config.transpiled) process.setSourceMapsEnabled(true);
  const probe = new ThreadProbe();
  const usableCpus = os.availableParallelism();
  emit({
    type: 'hello',
    pid: process.pid,
    python: process.execPath,
    version: process.versions.node,
    implementation: 'node',
    freeThreadedBuild: false,
    gilEnabled: false,
    usableCpus,
    procAvailable: probe.procAvailable,
    startMethod: '',
    runtime: 'node',
    node: { v8: process.versions.v8, moduleFormat: config.moduleFormat, transpiled: config.transpiled },
  });

  let exported: Record<string, unknown>;
  try {
    exported = await importExports(config.moduleFile, config.moduleFormat);
    await settle();
  } catch (thrown) {
    const error = describeError(thrown);
    emit({ type: 'fault', fault: 'import', error, message: `could not load ${displayFile}: ${error.type}: ${error.message}` });
    return EXIT_BAD_TARGET;
  }
  if (stray.length > 0) {
    const [error] = stray;
    emit({ type: 'fault', fault: 'import', error, message: `loading ${displayFile} left an unhandled rejection or uncaught error: ${error.type}: ${error.message}` });
    return EXIT_BAD_TARGET;
  }
  const fn = exportedFunction(exported, config.function, displayFile);
  if (typeof fn === 'string') {
    emit({ type: 'fault', fault: 'import', message: fn });
    return EXIT_BAD_TARGET;
  }

  // runNodeProfile always names the kinds; the dask kind is Python's (the setting is shared).
  const asked = config.kinds ?? [];
  const kinds = asked.filter((kind) => kind !== 'dask');
  if (asked.includes('dask')) {
    emit({
      type: 'fault',
      fault: 'tasks',
      skippedKind: 'dask',
      message: `the dask kind runs Python functions on a Dask cluster; ${config.function} is a JavaScript or TypeScript function, so it was not run on one.`,
    });
  }
  const workersList = config.workers ?? defaultWorkers(usableCpus);
  const plan: [PoolKind, number][] = kinds.includes('serial') ? [['serial', 1]] : [];
  for (const kind of ['async', 'thread', 'process'] as const) if (kinds.includes(kind)) plan.push(...workersList.map((w): [PoolKind, number] => [kind, w]));
  const runs = plan.length * config.repeat;
  const drawn = await evaluateTasks(config.tasks, exported, Math.max(1, Math.floor(MAX_TASK_SPANS / runs)), (cap) =>
    `the tasks expression gives more than ${cap} tasks: in ${runs} runs (${plan.length} configurations x ${config.repeat} repetitions) that is more than the ${MAX_TASK_SPANS} task spans the profiler keeps, beyond which the trace no longer fits in memory. Profile a representative slice ([...(${config.tasks})].slice(0, ${cap})), fewer worker counts or repetitions, or give each task a batch of the work.`,
  );
  if (!drawn.ok) {
    emit({ type: 'fault', fault: 'tasks', message: drawn.message, error: drawn.error ?? null });
    return EXIT_BAD_TARGET;
  }
  const tasks = drawn.tasks;
  emit({ type: 'tasks', count: tasks.length, module: displayFile, kinds });

  const skipped = new Set<PoolKind>();
  for (const kind of ['thread', 'process'] as const) {
    if (!kinds.includes(kind)) continue;
    const unsendable = tasks.findIndex((args) => {
      try {
        v8.serialize(args);
        return false;
      } catch {
        return true;
      }
    });
    if (unsendable < 0) break;
    let reason = '';
    try {
      v8.serialize(tasks[unsendable]);
    } catch (thrown) {
      reason = cloneFailure(thrown).message;
    }
    for (const skippedKind of ['thread', 'process'] as const) {
      if (!kinds.includes(skippedKind)) continue;
      skipped.add(skippedKind);
      emit({
        type: 'fault',
        fault: 'unserializable',
        skippedKind,
        message: `${skippedKind === 'thread' ? 'worker threads' : 'child processes'} cannot receive the arguments of task ${unsendable} (${reason}): only data that structured clone copies can cross, no functions, sockets or class instances with private state.`,
      });
    }
    break;
  }

  const gc = new GcRecorder(process.pid, probe.tid);
  const mainThread = new MainThreadRunner(probe, gc, config.resultsFd, config.watchdogScript, Math.max(...workersList, 1));
  await mainThread.ready;
  const init = { type: 'init' as const, moduleFile: config.moduleFile, moduleFormat: config.moduleFormat, functionName: config.function, sourceMaps: config.transpiled };
  const memoryLimitMb = config.memoryLimitBytes ? Math.max(1, Math.round(config.memoryLimitBytes / 2 ** 20)) : null;
  const noted = new Set<string>();
  for (let repetition = 0; repetition < config.repeat; repetition++) {
    for (const [kind, workers] of plan) {
      if (skipped.has(kind)) continue;
      const label = kind === 'serial' ? 'serial' : `${kind} x${workers}`;
      const configuration: HarnessConfiguration = { kind, workers, repetition, label };
      emit({ type: 'config-start', ...configuration, timeoutSec: config.timeoutSec });
      stray.length = 0;
      if (kind === 'serial' || kind === 'async') {
        resetPeakRss();
        const run = await mainThread.run(configuration, config.timeoutSec, fn, tasks);
        emit({
          type: 'run',
          ...configuration,
          start: run.start,
          end: run.end,
          wallNs: run.end - run.start,
          tasks: run.tasks,
          ipc: null,
          memory: [{ pid: process.pid, peakRssBytes: peakRssBytes() }],
          eventLoops: [run.eventLoop],
          ...(run.loopBusyNs === null ? {} : { eventLoop: { busyNs: run.loopBusyNs } }),
          gcSpans: run.gcSpans,
        });
        if (stray.length > 0) emit(strayNote(configuration, stray.splice(0)));
        const left = Object.entries(run.leftBehind);
        if (left.length > 0 && !noted.has(`handles:${kind}`)) {
          noted.add(`handles:${kind}`);
          emit({
            type: 'fault',
            fault: 'open-handles',
            note: true,
            configuration,
            message: `the tasks of ${label} left ${left.map(([type, n]) => `${n} ${type}${n > 1 ? 's' : ''}`).join(', ')} on the event loop after they settled (timers, sockets or servers they started and never closed); they keep running during the later configurations, which distorts them.`,
          });
        }
        if (kind === 'serial' && !run.returnedPromise && kinds.includes('async') && !noted.has('not-async')) {
          noted.add('not-async');
          skipped.add('async');
          emit({
            type: 'fault',
            fault: 'not-async',
            note: true,
            configuration,
            message: `${config.function} returned no promise: with several calls in flight on one event loop nothing could overlap, so async runs were left out.`,
          });
        }
      } else {
        const outcome = await runPool(configuration, tasks, probe, { workerScript: config.workerScript, init, memoryLimitMb, timeoutSec: config.timeoutSec });
        if (!outcome.ok) {
          emit(outcome.fault);
          return EXIT_RUN_FAILED;
        }
        emit({ type: 'run', ...configuration, ...outcome.run });
        const errors = [...outcome.stray, ...stray.splice(0)];
        if (errors.length > 0) emit(strayNote(configuration, errors));
      }
    }
  }
  emit({ type: 'done' });
  return 0;
}

main().then(
  (code) => process.exit(code),
  (thrown) => {
    const error = describeError(thrown);
    emit({ type: 'fault', fault: 'crash', error, message: `the Node harness failed: ${error.type}: ${error.message}` });
    process.exit(EXIT_RUN_FAILED);
  },
);
