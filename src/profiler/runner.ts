/**
 * Runs the harness on a user function and turns what it reports into a trace.
 *
 * The interpreter is spawned with an argument array (no shell) as the leader of its own
 * process group. That first process is the keeper (conclens_keeper.py): it forks the harness,
 * is the subreaper of everything below it, and kills and reaps all of it when the harness
 * ends or when this process dies. Cancellation and timeouts signal the whole group (SIGTERM,
 * SIGKILL shortly after), and a final SIGKILL to the group follows every run. The Node
 * harness (src/profiler/node/) is started the same way, without a keeper: it is the group
 * leader itself and ends its workers and itself when this process dies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Fault, PoolKind, ProfileTrace } from '../shared/trace';
import { BoundedOutput } from './bounded-output';
import { parseHarnessEvent, type HarnessConfig, type HarnessEvent } from './harness-protocol';
import { isDaskSchedulerAddress, numericOptionProblem } from './option-limits';
import { ProcSampler } from './sampler';
import { buildTrace } from './trace-builder';

export interface ProfileOptions {
  python: string;
  /** Workspace root: the module is imported relative to it, lock sites are relative to it. */
  root: string;
  /** Working directory of the profiled code (default: the root). */
  cwd?: string;
  file: string;
  function: string;
  /** Python expression evaluated in the module's namespace to an iterable of tasks. */
  tasks: string;
  /** Default: serial, thread and process, and async when the function is a coroutine function. */
  kinds?: PoolKind[];
  /** `tcp://HOST:PORT` of an existing Dask scheduler for the dask kind (default: a LocalCluster). */
  daskScheduler?: string;
  workers?: number[];
  repeat?: number;
  timeoutSec?: number;
  memoryLimitBytes?: number;
  startMethod?: 'fork' | 'spawn' | 'forkserver';
  maxOutputBytes?: number;
  sampleHz?: number;
  /** Put in the environment of every profiled process as CONCLENS_RUN_ID (tests find leftovers by it). */
  runId?: string;
  /** Defaults to conclens_harness.py next to the bundle (dist/) or in src/profiler/python. */
  harnessPath?: string;
  /** Where the run's temporary directory is made (default: the system's). The profiled code's
   *  TMPDIR is inside it, so whatever it leaves there is removed with the run. */
  tempDir?: string;
}

export interface ProfileProgress {
  message: string;
  /** Configurations finished so far and in total, once the harness knows. */
  done: number;
  total: number | null;
  /** The configuration now running, so a caller can word it its own way. */
  running?: { kind: PoolKind; workers: number; repetition: number; repeat: number };
}

export interface ProfileOutcome {
  trace: ProfileTrace;
  /** True when every configuration ran (task exceptions included). */
  completed: boolean;
  /** True when nothing ran because the module, the function, the tasks expression or the memory
   *  limit cannot be used: bad input, as opposed to a profile that started and failed. */
  inputError?: boolean;
  /** One sentence for the user: what happened. */
  message: string;
}

/** Grace between SIGTERM and SIGKILL to the process group; cancel must finish within 2 s. */
const KILL_GRACE_MS = 1000;
/** How long past its own per-configuration timeout the harness may take before the runner acts. */
const RUNNER_TIMEOUT_SLACK_MS = 5000;
/** How long the output pipes may stay open after the keeper exits (only a process that escaped
 *  it could hold them) before they are closed. */
const PIPE_DRAIN_MS = 2000;
/** Faults the harness reports when it refuses its input (`cluster`: a --dask-scheduler that does not answer). */
const INPUT_FAULTS: ReadonlySet<Fault['fault']> = new Set(['import', 'tasks', 'memory', 'no-main-guard', 'cluster']);

const DEFAULT_KINDS: PoolKind[] = ['serial', 'thread', 'process'];

/** Configurations a profile runs: an existing Dask cluster is measured once per repetition, at its own size. */
function plannedConfigurations(kinds: PoolKind[], workerCounts: number, repeat: number, daskScheduler: string | undefined): number {
  const sizes = (kind: PoolKind): number => (kind === 'serial' || (kind === 'dask' && daskScheduler) ? 1 : workerCounts);
  return kinds.reduce((sum, kind) => sum + sizes(kind), 0) * repeat;
}

/** The harness's default pool sizes: 1, 2, 4, … and the usable CPU count itself. */
export function defaultWorkerCounts(usableCpus: number): number[] {
  const counts: number[] = [];
  for (let n = 1; n < usableCpus; n *= 2) counts.push(n);
  counts.push(usableCpus);
  return counts;
}

export function defaultHarnessPath(): string {
  const candidates = [
    path.join(__dirname, 'conclens_harness.py'),
    path.join(__dirname, 'python', 'conclens_harness.py'),
    path.resolve(__dirname, '..', 'src', 'profiler', 'python', 'conclens_harness.py'),
  ];
  for (const candidate of candidates) {
    try {
      readFileSync(candidate, { flag: 'r' });
      return candidate;
    } catch {
      continue;
    }
  }
  throw new Error(`conclens_harness.py not found next to the bundle (looked in ${candidates.join(', ')})`);
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** Waits until no process of the group is left (SIGKILL is asynchronous), at most `limitMs`. */
async function groupGone(child: ChildProcess, limitMs: number): Promise<void> {
  if (child.pid === undefined) return;
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    try {
      process.kill(-child.pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function readLines(stream: Readable, onLine: (line: string) => void): Promise<void> {
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  lines.on('line', onLine);
  return new Promise((resolve) => lines.once('close', resolve));
}

export interface RunControl {
  signal?: AbortSignal;
  onProgress?: (progress: ProfileProgress) => void;
}

/**
 * How to start a harness that speaks harness-protocol.ts. The Python one is the default;
 * src/profiler/node/ supplies the Node one, so both share this runner, the sampler and the
 * trace builder.
 */
export interface HarnessLaunch {
  /** "Python", "Node.js": names the runtime in messages. */
  runtimeName: string;
  executable: string;
  args: string[];
  env: Record<string, string>;
  /** What can end the interpreter at once, for the message when the function does. */
  abruptExitCauses: string;
  /** Fields of this runtime's harness configuration beyond HarnessConfig. */
  config?: Record<string, unknown>;
  language?: ProfileTrace['target']['language'];
}

function pythonLaunch(options: ProfileOptions): HarnessLaunch {
  return {
    runtimeName: 'Python',
    executable: options.python,
    args: [options.harnessPath ?? defaultHarnessPath()],
    env: { PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
    abruptExitCauses: 'the function ended the interpreter (os._exit, a crash in C code, or the out-of-memory killer)',
  };
}

/** Why a profile that ended well has no verdict. */
function withoutVerdict(trace: ProfileTrace): string {
  if (trace.runs.length === 0) return 'The profile finished without any run.';
  if (!trace.runs.some((r) => r.kind === 'serial')) return 'No serial run: a speedup needs the serial baseline (add serial to the kinds).';
  return 'Only the serial baseline ran: there is no pool to compare it with.';
}

export async function runProfile(options: ProfileOptions, control: RunControl = {}): Promise<ProfileOutcome> {
  return runHarness(pythonLaunch(options), options, control);
}

export async function runHarness(
  launch: HarnessLaunch,
  options: Omit<ProfileOptions, 'python' | 'harnessPath'>,
  control: RunControl = {},
): Promise<ProfileOutcome> {
  const problem =
    numericOptionProblem(options) ??
    (options.daskScheduler !== undefined && !isDaskSchedulerAddress(options.daskScheduler)
      ? `daskScheduler must be tcp://HOST:PORT (or tls://), got "${options.daskScheduler}"`
      : null);
  if (problem) throw new Error(`invalid profiling option: ${problem}`);
  const dumpDir = mkdtempSync(path.join(options.tempDir ?? os.tmpdir(), 'conclens-profile-'));
  const userTempDir = path.join(dumpDir, 'tmp');
  mkdirSync(userTempDir);
  let kinds = options.kinds ?? DEFAULT_KINDS;
  const repeat = options.repeat ?? 3;
  const timeoutSec = options.timeoutSec ?? 60;
  const config: HarnessConfig = {
    root: path.resolve(options.root),
    file: path.resolve(options.root, options.file),
    function: options.function,
    tasks: options.tasks,
    cwd: path.resolve(options.cwd ?? options.root),
    kinds: options.kinds ?? null,
    workers: options.workers ?? null,
    repeat,
    timeoutSec,
    dumpDir,
    resultsFd: 3,
    parentPid: process.pid,
    startMethod: options.startMethod ?? null,
    memoryLimitBytes: options.memoryLimitBytes ?? null,
    daskScheduler: options.daskScheduler ?? null,
  };
  const events: HarnessEvent[] = [];
  const faults: Fault[] = [];
  const stdout = new BoundedOutput(options.maxOutputBytes ?? 64 * 1024);
  const stderr = new BoundedOutput(options.maxOutputBytes ?? 64 * 1024);
  const progress = control.onProgress ?? (() => undefined);

  const child = spawn(launch.executable, launch.args, {
    cwd: config.cwd,
    detached: true,
    shell: false,
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ...launch.env,
      TMPDIR: userTempDir,
      CONCLENS_RUN_ID: options.runId ?? `${process.pid}-${Date.now()}`,
    },
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  child.stdin?.on('error', () => undefined);
  child.stdin?.end(JSON.stringify({ ...config, ...launch.config }));

  let sampler: ProcSampler | null = null;
  let stopReason: Fault | null = null;
  let runnerTimer: NodeJS.Timeout | null = null;
  let configurationsDone = 0;
  let total: number | null = null;
  let workerCounts = 0;
  /** The harness (the keeper's child) once it has said hello: native stacks are asked of it. */
  let harnessPid: number | undefined;

  const stopGroup = (fault: Fault): void => {
    stopReason ??= fault;
    killGroup(child, 'SIGTERM');
    setTimeout(() => killGroup(child, 'SIGKILL'), KILL_GRACE_MS).unref();
  };

  const onAbort = (): void => stopGroup({ fault: 'cancelled', fatal: true, message: 'Profiling was cancelled; every profiled process was stopped.' });
  if (control.signal?.aborted) onAbort();
  control.signal?.addEventListener('abort', onAbort, { once: true });

  /** The harness stops a configuration that outlives its timeout itself; this catches a
   *  harness that cannot (stuck in C code holding the GIL): native stacks, then kill. */
  const armRunnerTimeout = (label: string): void => {
    if (runnerTimer) clearTimeout(runnerTimer);
    runnerTimer = setTimeout(() => {
      if (harnessPid !== undefined) {
        try {
          process.kill(harnessPid, 'SIGUSR2');
        } catch {
          // Already gone.
        }
      }
      setTimeout(() => {
        let detail = '';
        try {
          detail = readFileSync(path.join(dumpDir, 'harness.native.txt'), 'utf8');
        } catch {
          detail = '';
        }
        stopGroup({
          fault: 'timeout',
          fatal: true,
          message: `${label} did not finish within ${timeoutSec}s${label.startsWith('importing') ? '' : ' and the harness did not respond (stuck in native code)'}; stopped.`,
          detail,
        });
      }, 300).unref();
    }, timeoutSec * 1000 + RUNNER_TIMEOUT_SLACK_MS);
  };

  // Importing the module and evaluating the tasks expression run user code too.
  armRunnerTimeout('importing the module and evaluating the tasks');

  const onEvent = (event: HarnessEvent): void => {
    events.push(event);
    switch (event.type) {
      case 'hello': {
        harnessPid = event.pid;
        workerCounts = (options.workers ?? defaultWorkerCounts(event.usableCpus)).length;
        total = plannedConfigurations(kinds, workerCounts, repeat, options.daskScheduler);
        if (options.sampleHz !== 0) {
          sampler = new ProcSampler(event.pid, options.sampleHz ?? 250);
          sampler.start();
        }
        progress({ message: `${launch.runtimeName} ${event.version} started`, done: 0, total });
        break;
      }
      case 'tasks': {
        if (runnerTimer) clearTimeout(runnerTimer);
        // The harness settles the default kinds once it knows whether the function is a coroutine.
        if (event.kinds) {
          kinds = event.kinds;
          total = plannedConfigurations(kinds, workerCounts, repeat, options.daskScheduler);
        }
        progress({ message: `${event.count} tasks`, done: 0, total });
        break;
      }
      case 'config-start':
        armRunnerTimeout(event.label);
        progress({
          message: `running ${event.label} (repetition ${event.repetition + 1}/${repeat})`,
          done: configurationsDone,
          total,
          running: { kind: event.kind, workers: event.workers, repetition: event.repetition, repeat },
        });
        break;
      case 'run':
        configurationsDone++;
        if (runnerTimer) clearTimeout(runnerTimer);
        // The workers of an existing Dask cluster are not ours to sample.
        if (!event.dask || event.dask.local) sampler?.addPids(event.memory.map((m) => m.pid));
        progress({ message: `finished ${event.label}`, done: configurationsDone, total });
        break;
      case 'fault':
        faults.push({
          fault: event.fault,
          message: event.message,
          fatal: event.skippedKind === undefined && !event.note,
          configuration: event.configuration
            ? { kind: event.configuration.kind, workers: event.configuration.workers, repetition: event.configuration.repetition }
            : undefined,
          skippedKind: event.skippedKind,
          stacks: event.stacks,
          lockState: event.lockState,
          detail: event.error?.traceback,
        });
        break;
      case 'notice':
        faults.push({ fault: 'harness', fatal: false, message: event.message });
        break;
      case 'ended':
        if (event.strayProcesses.length > 0) {
          const shown = event.strayProcesses.slice(0, 3).map((p) => `pid ${p.pid}: ${p.command || '?'}`).join('; ');
          faults.push({
            fault: 'harness',
            fatal: false,
            message: `The function left ${event.strayProcesses.length} process(es) running (${shown}${event.strayProcesses.length > 3 ? '; …' : ''}); they were killed when the profile ended.`,
          });
        }
        break;
      case 'done':
        break;
    }
  };

  const results = child.stdio[3] as Readable;
  const resultsRead = readLines(results, (line) => {
    if (!line.trim()) return;
    try {
      onEvent(parseHarnessEvent(line));
    } catch (error) {
      faults.push({ fault: 'harness', fatal: false, message: `unreadable harness output: ${(error as Error).message}` });
    }
  });

  const ending = await Promise.race([exited, spawnError]);
  if (ending instanceof Error) {
    if (runnerTimer) clearTimeout(runnerTimer);
    control.signal?.removeEventListener('abort', onAbort);
    rmSync(dumpDir, { recursive: true, force: true });
    throw new Error(`could not start ${launch.executable}: ${ending.message}`);
  }
  // The keeper has killed everything below it; whatever is left of the group goes too.
  killGroup(child, 'SIGKILL');
  await groupGone(child, 1000);
  // Only a process that escaped the keeper (no subreaper on this system) could still hold a
  // pipe open: never wait for it.
  const pipes = [results, child.stdout, child.stderr].filter((s): s is Readable => s !== null);
  const drained = await Promise.race([
    Promise.all([resultsRead, ...pipes.slice(1).map((s) => new Promise((resolve) => (s.closed ? resolve(null) : s.once('close', resolve))))]).then(() => true),
    new Promise<boolean>((resolve) => setTimeout(resolve, PIPE_DRAIN_MS, false).unref()),
  ]);
  if (!drained) {
    for (const pipe of pipes) pipe.destroy();
    faults.push({ fault: 'harness', fatal: false, message: 'A process started by the function escaped the profiler and kept its output pipes open; they were closed.' });
  }
  if (runnerTimer) clearTimeout(runnerTimer);
  control.signal?.removeEventListener('abort', onAbort);
  const samplerResult = (sampler as ProcSampler | null)?.stop() ?? null;

  const finished = events.some((e) => e.type === 'done');
  if (stopReason) faults.push(stopReason);
  if (!finished && !faults.some((f) => f.fatal)) {
    const running = [...events].reverse().find((e) => e.type === 'config-start');
    const where = running && running.type === 'config-start' ? ` during ${running.label}` : '';
    // The keeper reports how the harness ended; without it, how the keeper itself did.
    const ended = events.find((e): e is Extract<HarnessEvent, { type: 'ended' }> => e.type === 'ended');
    const signal = ended ? ended.signal : ending.signal;
    const how = signal ? `was killed by ${signal}` : `exited with code ${ended ? ended.code : ending.code}`;
    faults.push({
      fault: 'harness',
      fatal: true,
      message: `The profiled ${launch.runtimeName} process ${how}${where}: ${launch.abruptExitCauses}.`,
      detail: stderr.text().slice(-8000),
    });
  }
  if (stdout.dropped > 0 || stderr.dropped > 0) {
    faults.push({ fault: 'output', fatal: false, message: `The function wrote more output than kept: ${stdout.dropped + stderr.dropped} bytes were dropped.` });
  }
  rmSync(dumpDir, { recursive: true, force: true });

  const trace = buildTrace({
    options: { ...options, kinds, repeat, timeoutSec, language: launch.language },
    events,
    faults,
    sampler: samplerResult,
    output: { stdout: stdout.text(), stderr: stderr.text(), droppedBytes: stdout.dropped + stderr.dropped },
  });
  const fatal = trace.faults.find((f) => f.fatal);
  const skipped = trace.faults.find((f) => f.skippedKind);
  const completed = finished && !fatal && !skipped;
  const message =
    fatal?.message ??
    skipped?.message ??
    trace.verdict?.summary ??
    withoutVerdict(trace);
  // Refused before any configuration ran: the module, the function, the tasks, the limit or the cluster.
  const inputError = !events.some((e) => e.type === 'config-start') && trace.faults.some((f) => f.fatal && !f.configuration && INPUT_FAULTS.has(f.fault));
  return { trace, completed, inputError, message };
}
