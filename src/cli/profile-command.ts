/**
 * `conclens profile FILE --function NAME --args EXPR …`: runs the function serially and
 * under thread and process pools (for JavaScript and TypeScript files also with several
 * calls in flight on the event loop), prints the table and the verdict, optionally writes the
 * trace and a Chrome Trace Event export. The runtime follows the file's extension. Exit 0
 * when the profile completed (task exceptions included), 2 for bad arguments or no usable
 * interpreter, 3 when the profile could not complete (timeout, crash, unpicklable,
 * cancelled), with the message saying which.
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
import { nodeRuntimeOptions } from '../profiler/node/cli-options';
import { findNodeInterpreter } from '../profiler/node/interpreter';
import { NODE_KINDS, runNodeProfile } from '../profiler/node/profile';
import { runProfile, type ProfileProgress } from '../profiler/runner';
import type { PoolKind } from '../shared/trace';

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
and a size. A Python FILE (.py) runs under ThreadPoolExecutor and ProcessPoolExecutor; a
JavaScript or TypeScript FILE (.js .mjs .cjs .ts .mts .cts) with several calls in flight on
the event loop (async), in worker_threads (thread) and in child processes (process).

  --function NAME       the top-level (for JS/TS: exported) function to profile (required)
  --args EXPR           expression giving the tasks, evaluated in the module (Python) or with
                        the module's exports in scope (JS/TS); a tuple (JS/TS: an array) is
                        the arguments, a dict is **kwargs (Python), anything else one argument
  --workers 1,2,4       worker counts, and calls in flight for async (default: 1, 2, 4, …
                        up to the usable CPUs)
  --kinds LIST          any of serial,thread,process, and async for JS/TS (default: all)
  --repeat N            repetitions of each configuration (default 3)
  --timeout SEC         per-configuration timeout (default 60)
  --python PATH         Python interpreter (default: python3, then python, on PATH)
  --node PATH           Node.js for JS/TS files (default: node on PATH; 20 or newer)
  --root DIR            workspace root the module is imported from (default: cwd)
  --start-method NAME   fork, spawn or forkserver for Python process pools
  --memory-limit MIB    address-space limit for the profiled processes (JS/TS: V8 heap
                        limit of the process and of each worker)
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
      node: { type: 'string' },
      root: { type: 'string' },
      'start-method': { type: 'string' },
      'memory-limit': { type: 'string' },
      out: { type: 'string' },
      'chrome-trace': { type: 'string' },
      html: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return null;
  if (positionals.length !== 1) throw new BadInput(`expected exactly one FILE, got ${positionals.length}`);
  if (!values.function) throw new BadInput('--function NAME is required');
  const file = path.resolve(cwd, positionals[0]);
  const runtime = nodeRuntimeOptions(positionals[0], file, values);
  const language = runtime ? 'a JavaScript' : 'a Python';
  if (!(runtime ? /^[A-Za-z_$][\w$]*$/ : /^[A-Za-z_][A-Za-z0-9_]*$/).test(values.function)) throw new BadInput(`--function expects ${language} name, got "${values.function}"`);
  if (values.args === undefined) throw new BadInput(`--args EXPR is required (${language} expression giving the tasks)`);
  const root = path.resolve(cwd, values.root ?? '.');
  if (!existsSync(file)) throw new BadInput(`no such file: ${positionals[0]}`);
  if (!runtime && !file.endsWith('.py')) throw new BadInput(`not a Python, JavaScript or TypeScript file: ${positionals[0]}`);
  if (path.relative(root, file).startsWith('..')) throw new BadInput(`${positionals[0]} is outside the root ${root} (use --root)`);
  const allowedKinds: readonly string[] = runtime ? NODE_KINDS : ['serial', 'thread', 'process'];
  const kinds = values.kinds?.split(',').map((k) => k.trim()) ?? [...allowedKinds];
  for (const kind of kinds) {
    if (!allowedKinds.includes(kind)) throw new BadInput(`--kinds accepts ${allowedKinds.join(', ')}; got "${kind}"`);
  }
  const startMethod = values['start-method'];
  if (startMethod !== undefined && !['fork', 'spawn', 'forkserver'].includes(startMethod)) {
    throw new BadInput(`--start-method accepts fork, spawn or forkserver; got "${startMethod}"`);
  }
  return {
    runtime,
    root,
    file: path.relative(root, file),
    function: values.function,
    tasks: values.args,
    kinds: kinds as PoolKind[],
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
