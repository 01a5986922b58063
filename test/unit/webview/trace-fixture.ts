/** Small hand-checkable traces for the webview's pure modules, typed by src/shared/trace.ts. */
import { TRACE_VERSION, type LockSpan, type PoolKind, type ProfileTrace, type Run, type TaskSpan } from '../../../src/shared/trace';
import { traceMessages } from '../../../src/shared/webview-protocol';
import { TraceAssembler, type TraceModel } from '../../../src/webview/model';

export const ORIGIN = 1_000_000_000;

export function task(index: number, tid: number, startMs: number, endMs: number, parts: Partial<TaskSpan['decomposition']> = {}, pid = 100): TaskSpan {
  const wall = (endMs - startMs) * 1e6;
  return {
    index,
    pid,
    tid,
    worker: tid % 10,
    startNs: ORIGIN + startMs * 1e6,
    endNs: ORIGIN + endMs * 1e6,
    coreStart: 0,
    coreEnd: 1,
    decomposition: { cpuNs: wall, runqNs: 0, blockedNs: 0, lockWaitNs: 0, gilWaitNs: null, ioNs: null, sleepNs: null, samples: 0, ...parts },
  };
}

export function lockSpan(tid: number, requestMs: number, acquiredMs: number, releasedMs: number, line = 3, pid = 100): LockSpan {
  return { site: { file: 'work.py', line }, pid, tid, requestNs: ORIGIN + requestMs * 1e6, acquiredNs: ORIGIN + acquiredMs * 1e6, releasedNs: ORIGIN + releasedMs * 1e6 };
}

export function run(kind: PoolKind, workers: number, tasks: TaskSpan[], extra: Partial<Run> = {}): Run {
  const end = Math.max(ORIGIN, ...tasks.map((t) => t.endNs));
  return {
    kind,
    workers,
    repetition: 0,
    startNs: ORIGIN,
    endNs: end,
    wallNs: end - ORIGIN,
    speedup: 1,
    tasks,
    totals: { taskWallNs: 0, cpuNs: 0, runqNs: 0, lockWaitNs: 0, gilWaitNs: null, ioNs: null, sleepNs: null, errors: 0, finishSpreadNs: 0 },
    lockSpans: [],
    coreSamples: [],
    memory: [],
    ipc: null,
    ...extra,
  };
}

export function trace(runs: Run[], extra: Partial<ProfileTrace> = {}): ProfileTrace {
  return {
    version: TRACE_VERSION,
    createdAt: '2026-01-01T00:00:00Z',
    target: {
      file: 'work.py',
      function: 'work',
      language: 'python',
      module: 'work',
      tasksExpression: 'range(4)',
      taskCount: 4,
      interpreter: 'python3',
      interpreterVersion: '3.11.9',
      gilEnabled: true,
      freeThreadedBuild: false,
    },
    host: { platform: 'linux', cpusUsable: 2, cpuModel: 'test', startMethod: 'fork' },
    configuration: { kinds: ['thread'], workers: [2], repeat: 1, timeoutSec: 10, memoryLimitBytes: null },
    sampler: { available: true, hz: 250, coreHz: 50, unavailable: [], samples: 0 },
    runs,
    locks: [],
    lockOrder: { edges: [], cycles: [] },
    verdict: null,
    faults: [],
    output: { stdout: '', stderr: '', droppedBytes: 0 },
    ...extra,
  };
}

/** Streams the trace through the real protocol chunks into a model, as the webview does. */
export function modelOf(t: ProfileTrace, chunkItems = 2): TraceModel {
  const assembler = new TraceAssembler();
  let model: TraceModel | null = null;
  for (const message of traceMessages(t, 7, chunkItems)) model = assembler.accept(message) ?? model;
  if (!model) throw new Error('the stream did not finish');
  return model;
}
