/**
 * `conclens profile FILE --function NAME --args EXPR …`: runs the function serially and
 * under thread and process pools (for JavaScript and TypeScript files also with several
 * calls in flight on the event loop), prints the table and the verdict, optionally writes the
 * trace, a Chrome Trace Event export and an HTML report. The runtime follows the file's
 * extension. Every option, the interpreter and
 * every output path is checked before anything runs. Exit 0 when the profile completed (task
 * exceptions included); 2 on bad input, when nothing was profiled (an option, the interpreter,
 * the file, its import, the function, the tasks expression); 3 when the profile started but
 * could not complete (timeout, crash, unpicklable, every task failed, cancelled, an output
 * that could not be written), with the message saying which.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { toChromeTrace } from '../profiler/chrome-trace';
import { formatProfileTable } from '../profiler/format-table';
import { buildStandaloneReportFromDist } from '../profiler/html-report';
import { findPythonInterpreter } from '../profiler/interpreter';
import { nodeRuntimeOptions } from '../profiler/node/cli-options';
import { findNodeInterpreter } from '../profiler/node/interpreter';
import { isNodeFile } from '../profiler/node/module-format';
import { NODE_KINDS, runNodeProfile } from '../profiler/node/profile';
import { describeRange, inRange, isDaskSchedulerAddress, OPTION_RANGES, type OptionRange } from '../profiler/option-limits';
import { runProfile, type ProfileProgress } from '../profiler/runner';
import { POOL_KINDS, type PoolKind } from '../shared/trace';

type Output = Writable | ((text: string) => void);

export interface ProfileIo {
  stdout: Output;
  stderr: Output;
  cwd: string;
  /** Where the timeline bundle (webview.js, webview.css) is; defaults to the CLI bundle's folder. */
  distDir?: string;
  /** Where the Node harness bundles are; defaults to next to the CLI bundle. */
  nodeHarnessDir?: string;
}

export const EXIT_PROFILED = 0;
export const EXIT_BAD_INPUT = 2;
export const EXIT_PROFILE_FAILED = 3;

const USAGE = `Usage: conclens profile FILE --function NAME --args EXPR [options]

Runs NAME from FILE serially and under pools, measures every task and recommends a pool
and a size. A Python FILE (.py) runs under ThreadPoolExecutor and ProcessPoolExecutor (an
async def also on one event loop, and optionally on a Dask cluster); a JavaScript or
TypeScript FILE (.js .mjs .cjs .ts .mts .cts) with several calls in flight on the event
loop (async), in worker_threads (thread) and in child processes (process).

  --function NAME       the top-level (for JS/TS: exported) function to profile (required)
  --args EXPR           expression giving the tasks, evaluated in the module (Python) or with
                        the module's exports in scope (JS/TS); a tuple (JS/TS: an array) is
                        the arguments, a dict is **kwargs (Python), anything else one argument
  --workers 1,2,4       worker counts, and calls in flight for async, each 1 to 256
                        (default: 1, 2, 4, … up to the usable CPUs)
  --kinds LIST          Python: any of serial,thread,process,async,dask (default: serial,
                        thread,process, and async when NAME is an async def); JS/TS: any of
                        serial,async,thread,process (default: all four)
  --dask-scheduler URL  tcp://HOST:PORT of an existing Dask cluster for the dask kind
                        (Python; default: a local cluster of worker processes, stopped after)
  --repeat N            repetitions of each configuration, 1 to 50 (default 3)
  --timeout SEC         per-configuration timeout, 0.1 to 86400 (default 60)
  --python PATH         Python interpreter (default: python3, then python, on PATH)
  --node PATH           Node.js for JS/TS files (default: node on PATH; 20 or newer)
  --root DIR            workspace root the module is imported from, also the working
                        directory (default: the top of FILE's package, as \`python FILE\`
                        would import it; for JS/TS the working directory, or the folder of
                        the file's package.json when it lies outside; the working directory
                        stays)
  --start-method NAME   fork, spawn or forkserver for Python process pools
  --memory-limit MIB    address-space limit for the profiled processes (JS/TS: V8 heap
                        limit of the process and of each worker), 64 to 16777216
  --out FILE            write the trace (JSON, schema/trace.schema.json)
  --chrome-trace FILE   write a Chrome Trace Event file (Perfetto, chrome://tracing)
  --html FILE           write a self-contained timeline report (opens offline in any browser)

Exit status: 0 profiled (task exceptions included); 2 bad input, nothing was profiled;
3 the profile started but could not complete.
`;

function write(out: Output, text: string): void {
  if (typeof out === 'function') out(text);
  else out.write(text);
}

class BadInput extends Error {}

function bounded(flag: string, value: string, range: OptionRange): number {
  const number = Number(value);
  if (value.trim() === '' || !inRange(number, range)) throw new BadInput(`${flag} expects ${describeRange(range)}, got "${value}"`);
  return number;
}

/** Each count once, in the order given. */
function workerCounts(value: string): number[] {
  return [...new Set(value.split(',').map((part) => bounded('--workers', part, OPTION_RANGES.workers)))];
}

/** The top of FILE's package: the first directory up from it without an `__init__.py` (its own
 *  directory for a plain script), where `python -m pkg.mod` would be run. */
function packageRoot(file: string): string {
  let directory = path.dirname(file);
  while (existsSync(path.join(directory, '__init__.py')) && path.dirname(directory) !== directory) directory = path.dirname(directory);
  return directory;
}

/** A JavaScript or TypeScript file's root: the working directory when the file is inside it,
 *  else its package (the nearest folder up with a package.json), else the file's own folder.
 *  Node resolves imports from the file itself; the root only places it and its project. */
function nodeRoot(file: string, cwd: string): string {
  if (isWithin(cwd, file)) return cwd;
  for (let directory = path.dirname(file); ; directory = path.dirname(directory)) {
    if (existsSync(path.join(directory, 'package.json'))) return directory;
    if (path.dirname(directory) === directory) return path.dirname(file);
  }
}

const isWithin = (parent: string, child: string): boolean => {
  const relative = path.relative(parent, child);
  return !relative.startsWith('..') && !path.isAbsolute(relative);
};

function sourceFile(value: string, cwd: string): string {
  const file = path.resolve(cwd, value);
  let stats;
  try {
    stats = statSync(file);
  } catch {
    throw new BadInput(`no such file: ${value}`);
  }
  if (!stats.isFile()) throw new BadInput(`not a file: ${value}`);
  if (!file.endsWith('.py') && !isNodeFile(file)) throw new BadInput(`not a Python, JavaScript or TypeScript file: ${value}`);
  try {
    accessSync(file, constants.R_OK);
  } catch {
    throw new BadInput(`cannot read ${value}`);
  }
  return file;
}

/** An output path that can be written: checked before the profile runs, not after it. */
function outputPath(flag: string, value: string, cwd: string): string {
  const file = path.resolve(cwd, value);
  const directory = path.dirname(file);
  let stats;
  try {
    stats = statSync(directory);
  } catch {
    throw new BadInput(`${flag} ${value}: the directory ${directory} does not exist`);
  }
  if (!stats.isDirectory()) throw new BadInput(`${flag} ${value}: ${directory} is not a directory`);
  try {
    accessSync(directory, constants.W_OK);
  } catch {
    throw new BadInput(`${flag} ${value}: cannot write in ${directory}`);
  }
  if (existsSync(file) && statSync(file).isDirectory()) throw new BadInput(`${flag} ${value}: that is a directory`);
  return file;
}

function parse(argv: string[], cwd: string) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      function: { type: 'string' },
      args: { type: 'string' },
      workers: { type: 'string' },
      kinds: { type: 'string' },
      repeat: { type: 'string' },
      timeout: { type: 'string' },
      python: { type: 'string' },
      node: { type: 'string' },
      root: { type: 'string' },
      'start-method': { type: 'string' },
      'memory-limit': { type: 'string' },
      out: { type: 'string' },
      'chrome-trace': { type: 'string' },
      html: { type: 'string' },
      'dask-scheduler': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return null;
  if (positionals.length !== 1) throw new BadInput(`expected exactly one FILE, got ${positionals.length}`);
  if (!values.function) throw new BadInput('--function NAME is required');
  const file = sourceFile(positionals[0], cwd);
  const runtime = nodeRuntimeOptions(positionals[0], file, values);
  const language = runtime ? 'a JavaScript' : 'a Python';
  const name = runtime ? /^[\p{ID_Start}_$][\p{ID_Continue}$\u200c\u200d]*$/u : /^[\p{ID_Start}_][\p{ID_Continue}]*$/u;
  if (!name.test(values.function)) throw new BadInput(`--function expects ${language} name, got "${values.function}"`);
  if (values.args === undefined) throw new BadInput(`--args EXPR is required (${language} expression giving the tasks)`);
  if (!values.args.trim()) throw new BadInput(`--args is empty: it needs ${language} expression giving the tasks`);
  let root: string;
  if (values.root !== undefined) {
    root = path.resolve(cwd, values.root);
    if (!existsSync(root) || !statSync(root).isDirectory()) throw new BadInput(`--root ${values.root} is not a directory`);
    if (!isWithin(root, file)) throw new BadInput(`${positionals[0]} is outside the root ${root} (use --root)`);
  } else {
    // As `python FILE` (or `python -m pkg.mod` at the top of its package) would import it;
    // paths are shown relative to the working directory when the package is inside it.
    const top = runtime ? nodeRoot(file, cwd) : packageRoot(file);
    root = isWithin(cwd, top) ? cwd : top;
  }
  const daskScheduler = values['dask-scheduler'];
  if (daskScheduler !== undefined && !isDaskSchedulerAddress(daskScheduler)) {
    throw new BadInput(`--dask-scheduler expects tcp://HOST:PORT (or tls://), got "${daskScheduler}"`);
  }
  // Without --kinds the harness picks them (Python: async joins for an async def); a scheduler asks for dask.
  let kinds = values.kinds === undefined ? undefined : [...new Set(values.kinds.split(',').map((k) => k.trim()))];
  if (kinds === undefined && daskScheduler !== undefined) kinds = ['serial', 'thread', 'process', 'dask'];
  const allowedKinds: readonly string[] = runtime ? NODE_KINDS : POOL_KINDS;
  for (const kind of kinds ?? []) {
    if (!allowedKinds.includes(kind)) throw new BadInput(`--kinds accepts ${allowedKinds.join(', ')}${runtime ? ' for JavaScript and TypeScript' : ''}; got "${kind}"`);
  }
  if (daskScheduler !== undefined && !kinds?.includes('dask')) throw new BadInput('--dask-scheduler needs the dask kind in --kinds');
  const startMethod = values['start-method'];
  if (startMethod !== undefined && !['fork', 'spawn', 'forkserver'].includes(startMethod)) {
    throw new BadInput(`--start-method accepts fork, spawn or forkserver; got "${startMethod}"`);
  }
  const outputs = {
    out: values.out === undefined ? undefined : outputPath('--out', values.out, cwd),
    chromeTrace: values['chrome-trace'] === undefined ? undefined : outputPath('--chrome-trace', values['chrome-trace'], cwd),
    html: values.html === undefined ? undefined : outputPath('--html', values.html, cwd),
  };
  const named = Object.values(outputs).filter((o): o is string => o !== undefined);
  if (named.includes(file)) throw new BadInput(`an output would overwrite the profiled file ${positionals[0]}`);
  if (new Set(named).size !== named.length) throw new BadInput('--out, --chrome-trace and --html must name different files');
  return {
    runtime,
    root,
    cwd: values.root === undefined ? cwd : root,
    file: path.relative(root, file),
    function: values.function,
    tasks: values.args,
    kinds: kinds as PoolKind[] | undefined,
    daskScheduler,
    workers: values.workers === undefined ? undefined : workerCounts(values.workers),
    repeat: values.repeat === undefined ? 3 : bounded('--repeat', values.repeat, OPTION_RANGES.repeat),
    timeoutSec: values.timeout === undefined ? 60 : bounded('--timeout', values.timeout, OPTION_RANGES.timeoutSec),
    python: values.python,
    startMethod: startMethod as 'fork' | 'spawn' | 'forkserver' | undefined,
    memoryLimitBytes:
      values['memory-limit'] === undefined ? undefined : Math.round(bounded('--memory-limit', values['memory-limit'], OPTION_RANGES.memoryLimitMiB) * 2 ** 20),
    ...outputs,
  };
}

/** Writes one output; a failure is reported and the other outputs are still written. */
async function writeOutput(io: ProfileIo, flag: string, file: string, content: () => Promise<string> | string): Promise<boolean> {
  try {
    await writeFile(file, await content());
    return true;
  } catch (error) {
    write(io.stderr, `conclens profile: could not write ${flag} ${file}: ${(error as Error).message}\n`);
    return false;
  }
}

export async function profileCommand(argv: string[], io: ProfileIo): Promise<number> {
  let options: ReturnType<typeof parse>;
  try {
    options = parse(argv, io.cwd);
  } catch (error) {
    write(io.stderr, `conclens profile: ${(error as Error).message} (see conclens profile --help)\n`);
    return EXIT_BAD_INPUT;
  }
  if (options === null) {
    write(io.stdout, USAGE);
    return EXIT_PROFILED;
  }
  const lookup = options.runtime ? await findNodeInterpreter({ configured: options.runtime.node }) : await findPythonInterpreter({ configured: options.python });
  if (!lookup.ok) {
    write(io.stderr, `conclens profile: ${lookup.message}\n`);
    return EXIT_BAD_INPUT;
  }

  const controller = new AbortController();
  const cancel = (): void => controller.abort();
  process.once('SIGINT', cancel);
  process.once('SIGTERM', cancel);
  try {
    const control = {
      signal: controller.signal,
      onProgress: (progress: ProfileProgress) => write(io.stderr, `  ${progress.message}\n`),
    };
    const outcome = options.runtime
      ? await runNodeProfile({ ...options, node: lookup.interpreter.path, nodeVersion: lookup.interpreter.version, harnessDir: io.nodeHarnessDir }, control)
      : await runProfile({ ...options, python: lookup.interpreter.path }, control);
    write(io.stdout, formatProfileTable(outcome.trace));
    const written = [
      options.out ? await writeOutput(io, '--out', options.out, () => JSON.stringify(outcome.trace, null, 1)) : true,
      options.chromeTrace && outcome.trace.runs.length > 0
        ? await writeOutput(io, '--chrome-trace', options.chromeTrace, () => JSON.stringify(toChromeTrace(outcome.trace)))
        : true,
      // The report is written even for an incomplete profile: its partial trace and fault say why.
      options.html ? await writeOutput(io, '--html', options.html, () => buildStandaloneReportFromDist(outcome.trace, io.distDir ?? __dirname)) : true,
    ];
    if (!outcome.completed) {
      write(io.stderr, `conclens profile: ${outcome.inputError ? 'nothing was profiled' : 'the profile did not complete'}: ${outcome.message}\n`);
      return outcome.inputError ? EXIT_BAD_INPUT : EXIT_PROFILE_FAILED;
    }
    return written.every(Boolean) ? EXIT_PROFILED : EXIT_PROFILE_FAILED;
  } finally {
    process.off('SIGINT', cancel);
    process.off('SIGTERM', cancel);
  }
}
