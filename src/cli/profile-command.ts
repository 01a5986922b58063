/**
 * `conclens profile FILE --function NAME --args EXPR …`: runs the function serially and
 * under thread and process pools, prints the table and the verdict, optionally writes the
 * trace and a Chrome Trace Event export. Exit 0 when the profile completed (task exceptions
 * included), 2 for bad arguments or no usable interpreter, 3 when the profile could not
 * complete (timeout, crash, unpicklable, cancelled), with the message saying which.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { toChromeTrace } from '../profiler/chrome-trace';
import { buildStandaloneReportFromDist } from '../profiler/html-report';
import { findPythonInterpreter } from '../profiler/interpreter';
import { formatProfileTable } from '../profiler/format-table';
import { runProfile } from '../profiler/runner';
import { POOL_KINDS, type PoolKind } from '../shared/trace';

type Output = Writable | ((text: string) => void);

export interface ProfileIo {
  stdout: Output;
  stderr: Output;
  cwd: string;
  /** Where the timeline bundle (webview.js, webview.css) is; defaults to the CLI bundle's folder. */
  distDir?: string;
}

export const EXIT_PROFILED = 0;
export const EXIT_BAD_INPUT = 2;
export const EXIT_PROFILE_FAILED = 3;

const USAGE = `Usage: conclens profile FILE --function NAME --args EXPR [options]

Runs NAME from the Python FILE serially, under ThreadPoolExecutor and under
ProcessPoolExecutor (an async def also on one event loop, and optionally on a Dask
cluster), measures every task and recommends a pool and a size.

  --function NAME       the top-level function to profile (required)
  --args EXPR           Python expression, evaluated in the module, giving the tasks;
                        a tuple is *args, a dict is **kwargs, anything else one argument
  --workers 1,2,4       worker counts (default: 1, 2, 4, … up to the usable CPUs)
  --kinds LIST          any of serial,thread,process,async,dask (default: serial,
                        thread,process, and async when NAME is an async def)
  --dask-scheduler URL  tcp://HOST:PORT of an existing Dask cluster for the dask kind
                        (default: a local cluster of worker processes, stopped after)
  --repeat N            repetitions of each configuration (default 3)
  --timeout SEC         per-configuration timeout (default 60)
  --python PATH         interpreter (default: python3, then python, on PATH)
  --root DIR            workspace root the module is imported from (default: cwd)
  --start-method NAME   fork, spawn or forkserver for process pools
  --memory-limit MIB    address-space limit for the profiled processes
  --out FILE            write the trace (JSON, schema/trace.schema.json)
  --chrome-trace FILE   write a Chrome Trace Event file (Perfetto, chrome://tracing)
  --html FILE           write a self-contained timeline report (opens offline in any browser)
`;

function write(out: Output, text: string): void {
  if (typeof out === 'function') out(text);
  else out.write(text);
}

class BadInput extends Error {}

function positiveIntegers(flag: string, value: string): number[] {
  const numbers = value.split(',').map((part) => Number(part.trim()));
  if (numbers.length === 0 || numbers.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new BadInput(`${flag} expects positive integers separated by commas, got "${value}"`);
  }
  return numbers;
}

function positiveNumber(flag: string, value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new BadInput(`${flag} expects a positive number, got "${value}"`);
  return number;
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
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(values.function)) throw new BadInput(`--function expects a Python name, got "${values.function}"`);
  if (values.args === undefined) throw new BadInput('--args EXPR is required (a Python expression giving the tasks)');
  const root = path.resolve(cwd, values.root ?? '.');
  const file = path.resolve(cwd, positionals[0]);
  if (!existsSync(file)) throw new BadInput(`no such file: ${positionals[0]}`);
  if (!file.endsWith('.py')) throw new BadInput(`not a Python file: ${positionals[0]}`);
  if (path.relative(root, file).startsWith('..')) throw new BadInput(`${positionals[0]} is outside the root ${root} (use --root)`);
  const daskScheduler = values['dask-scheduler'];
  if (daskScheduler !== undefined && !/^(tcp|tls):\/\/[^\s/:]+:\d{1,5}$/.test(daskScheduler)) {
    throw new BadInput(`--dask-scheduler expects tcp://HOST:PORT (or tls://), got "${daskScheduler}"`);
  }
  // Without --kinds the harness picks them (async joins for an async def); a scheduler asks for dask.
  let kinds = values.kinds?.split(',').map((k) => k.trim());
  if (kinds === undefined && daskScheduler !== undefined) kinds = ['serial', 'thread', 'process', 'dask'];
  for (const kind of kinds ?? []) {
    if (!(POOL_KINDS as readonly string[]).includes(kind)) throw new BadInput(`--kinds accepts ${POOL_KINDS.join(', ')}; got "${kind}"`);
  }
  if (daskScheduler !== undefined && !kinds?.includes('dask')) throw new BadInput('--dask-scheduler needs the dask kind in --kinds');
  const startMethod = values['start-method'];
  if (startMethod !== undefined && !['fork', 'spawn', 'forkserver'].includes(startMethod)) {
    throw new BadInput(`--start-method accepts fork, spawn or forkserver; got "${startMethod}"`);
  }
  return {
    root,
    file: path.relative(root, file),
    function: values.function,
    tasks: values.args,
    kinds: kinds as PoolKind[] | undefined,
    daskScheduler,
    workers: values.workers === undefined ? undefined : positiveIntegers('--workers', values.workers),
    repeat: values.repeat === undefined ? 3 : positiveIntegers('--repeat', values.repeat)[0],
    timeoutSec: values.timeout === undefined ? 60 : positiveNumber('--timeout', values.timeout),
    python: values.python,
    startMethod: startMethod as 'fork' | 'spawn' | 'forkserver' | undefined,
    memoryLimitBytes: values['memory-limit'] === undefined ? undefined : Math.round(positiveNumber('--memory-limit', values['memory-limit']) * 2 ** 20),
    out: values.out === undefined ? undefined : path.resolve(cwd, values.out),
    chromeTrace: values['chrome-trace'] === undefined ? undefined : path.resolve(cwd, values['chrome-trace']),
    html: values.html === undefined ? undefined : path.resolve(cwd, values.html),
  };
}

export async function profileCommand(argv: string[], io: ProfileIo): Promise<number> {
  let options: ReturnType<typeof parse>;
  try {
    options = parse(argv, io.cwd);
  } catch (error) {
    write(io.stderr, `conclens profile: ${(error as Error).message}\n${USAGE}`);
    return EXIT_BAD_INPUT;
  }
  if (options === null) {
    write(io.stdout, USAGE);
    return EXIT_PROFILED;
  }
  const lookup = await findPythonInterpreter({ configured: options.python });
  if (!lookup.ok) {
    write(io.stderr, `conclens profile: ${lookup.message}\n`);
    return EXIT_BAD_INPUT;
  }

  const controller = new AbortController();
  const cancel = (): void => controller.abort();
  process.once('SIGINT', cancel);
  process.once('SIGTERM', cancel);
  try {
    const outcome = await runProfile(
      { ...options, python: lookup.interpreter.path },
      {
        signal: controller.signal,
        onProgress: (progress) => write(io.stderr, `  ${progress.message}\n`),
      },
    );
    write(io.stdout, formatProfileTable(outcome.trace));
    if (options.out) await writeFile(options.out, JSON.stringify(outcome.trace, null, 1));
    if (options.chromeTrace && outcome.trace.runs.length > 0) {
      await writeFile(options.chromeTrace, JSON.stringify(toChromeTrace(outcome.trace)));
    }
    // The report is written even for an incomplete profile: its partial trace and fault say why.
    if (options.html) await writeFile(options.html, await buildStandaloneReportFromDist(outcome.trace, io.distDir ?? __dirname));
    if (!outcome.completed) {
      write(io.stderr, `conclens profile: the profile did not complete: ${outcome.message}\n`);
      return EXIT_PROFILE_FAILED;
    }
    return EXIT_PROFILED;
  } finally {
    process.off('SIGINT', cancel);
    process.off('SIGTERM', cancel);
  }
}
