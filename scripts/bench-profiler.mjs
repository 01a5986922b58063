// Profiler overhead: the same workloads bare (plain executors or pools, no instrumentation, no
// sampler) and profiled (harness + lock proxies or Node measurements + /proc sampler),
// alternating in one run, comparing the wall time of the same pool configuration. Python
// first, then Node. Prints medians and the profiled/bare ratio; the target is within 5% of
// wall time. Run: npm run bench:profiler [rounds] [python|node]
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { runProfile } from '../src/profiler/runner.ts';
import { runNodeProfile } from '../src/profiler/node/profile.ts';
import { transpile } from '../src/profiler/node/transpile.ts';
import { nodeHarnessEntries } from './esbuild-plugins.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const root = path.join(repo, 'examples', 'profiling');
const rounds = Number(process.argv[2] ?? 5);
const only = process.argv[3];

const workloads = [
  { name: 'CPU-bound, processes', file: 'cpu_bound.py', function: 'count_primes', tasks: '[(1, 60000)] * 8', kind: 'process', workers: 2 },
  { name: 'CPU-bound, threads', file: 'cpu_bound.py', function: 'count_primes', tasks: '[(1, 60000)] * 8', kind: 'thread', workers: 2 },
  { name: 'releases the GIL, threads', file: 'gil_releasing.py', function: 'compress_block', tasks: '[4] * 8', kind: 'thread', workers: 2 },
  { name: 'lock-contended, threads', file: 'lock_contended.py', function: 'deposit_many', tasks: '[20000] * 8', kind: 'thread', workers: 2 },
  { name: 'I/O-bound (local HTTP), threads', file: 'io_bound.py', function: 'fetch', tasks: 'range(16)', kind: 'thread', workers: 4 },
  { name: 'coroutines awaiting, async', file: 'async_io.py', function: 'fetch_quote', tasks: 'range(32)', kind: 'async', workers: 8 },
  // Every step is timed: tasks that only hand control back to the loop are the worst case.
  { name: 'coroutines, 2,000 bare hops, async', file: 'async_io.py', function: 'relay', tasks: '[2000] * 16', kind: 'async', workers: 8 },
];

/** The bare run: import the module like the harness does, time executor creation to results. */
const BARE = `
import json, os, sys, time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
cfg = json.loads(sys.argv[1])
sys.path.insert(0, os.path.dirname(os.path.abspath(cfg["file"])))
module = __import__(os.path.splitext(os.path.basename(cfg["file"]))[0])
fn = getattr(module, cfg["function"])
tasks = list(eval(cfg["tasks"], vars(module)))
def submit(pool, task):
    if isinstance(task, tuple):
        return pool.submit(fn, *task)
    if isinstance(task, dict):
        return pool.submit(fn, **task)
    return pool.submit(fn, task)
async def in_flight():
    # As the harness's async kind runs them: N slots on one loop taking the next task.
    import asyncio
    pending = iter(tasks)
    async def slot():
        for task in pending:
            await fn(*task) if isinstance(task, tuple) else await fn(task)
    await asyncio.gather(*(slot() for _ in range(cfg["workers"])))
start = time.perf_counter_ns()
if cfg["kind"] == "async":
    import asyncio
    asyncio.run(in_flight())
else:
    pool = (ThreadPoolExecutor if cfg["kind"] == "thread" else ProcessPoolExecutor)(max_workers=cfg["workers"])
    with pool:
        for future in [submit(pool, task) for task in tasks]:
            future.result()
print(time.perf_counter_ns() - start)
`;

/** Detached like the profiled run: a new session may get its own scheduler autogroup, and
 *  both sides must compete for the CPU on equal terms. */
function bare(workload) {
  return workload.runtime === 'node' ? bareRun(process.execPath, [path.join(repo, 'scripts', 'bench-profiler-node-bare.mjs'), JSON.stringify(workload.bare)], workload) : bareRun('python3', ['-c', BARE, JSON.stringify({ ...workload, file: path.join(root, workload.file) })], workload);
}

function bareRun(command, args, workload) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Number(stdout.trim())) : reject(new Error(`bare ${workload.name} failed: ${stderr}`))));
  });
}

/** Sampler CPU over profiled wall time, per profiled run. */
const samplerCpu = [];

async function profiled(workload) {
  const common = { root, file: workload.file, function: workload.function, tasks: workload.tasks, kinds: [workload.kind], workers: [workload.workers], repeat: 1, timeoutSec: 120 };
  const outcome = workload.runtime === 'node'
    ? await runNodeProfile({ ...common, node: process.execPath, nodeVersion: process.versions.node, harnessDir: await nodeHarness() })
    : await runProfile({ ...common, python: 'python3' });
  const run = outcome.trace.runs.find((r) => r.kind === workload.kind);
  if (!run) throw new Error(`profiled ${workload.name} failed: ${outcome.message}`);
  samplerCpu.push((outcome.trace.sampler.cpuMs ?? 0) / (outcome.trace.runs.reduce((s, r) => s + r.wallNs, 0) / 1e6));
  return run.wallNs;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** The Node harness bundles from current sources, as the tests build them. */
let harnessDir = null;
async function nodeHarness() {
  if (!harnessDir) {
    harnessDir = path.join(repo, 'out', 'bench-node-harness');
    mkdirSync(harnessDir, { recursive: true });
    const entryPoints = Object.fromEntries(Object.entries(nodeHarnessEntries).map(([name, entry]) => [name, path.join(repo, entry)]));
    await esbuild.build({ entryPoints, outdir: harnessDir, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'error' });
  }
  return harnessDir;
}

/** The bare Node side imports plain JavaScript: TypeScript is transpiled once, as the profiler does. */
const checksums = await transpile(path.join(root, 'checksums.ts'), 'commonjs', root, mkdtempSync(path.join(os.tmpdir(), 'conclens-bench-')), Number(process.versions.node.split('.')[0]));
if (!checksums.ok) throw new Error(checksums.message);
const nodeWorkload = (name, file, bareFile, fn, tasks, kind, workers) => ({ runtime: 'node', name, file, function: fn, tasks, kind, workers, bare: { file: bareFile, function: fn, tasks, kind, workers } });
const blocks = 'Array.from({ length: 8 }, (_, i) => ({ bytes: 12_000_000, seed: i }))';
workloads.push(
  nodeWorkload('Node CPU-bound TS, worker threads', 'checksums.ts', checksums.moduleFile, 'fnv1a', blocks, 'thread', 2),
  nodeWorkload('Node CPU-bound TS, child processes', 'checksums.ts', checksums.moduleFile, 'fnv1a', blocks, 'process', 2),
  nodeWorkload('Node I/O-bound (local HTTP), async', 'quotes.mjs', path.join(root, 'quotes.mjs'), 'fetchQuote', 'Array.from({ length: 32 }, (_, i) => i)', 'async', 8),
);

console.log(`profiler overhead, ${rounds} alternating rounds per workload (median wall of the pool section)`);
console.log(['workload'.padEnd(34), 'bare'.padStart(10), 'profiled'.padStart(10), 'ratio'.padStart(7), 'bare spread'.padStart(12)].join(' '));
const ratios = [];
const ratiosByRuntime = { python: [], node: [] };
for (const workload of workloads.filter((w) => !only || (w.runtime ?? 'python') === only)) {
  const bareWalls = [];
  const profiledWalls = [];
  for (let round = 0; round < rounds; round++) {
    // Alternate which goes first so drift in machine load does not favour one side.
    if (round % 2 === 0) {
      bareWalls.push(await bare(workload));
      profiledWalls.push(await profiled(workload));
    } else {
      profiledWalls.push(await profiled(workload));
      bareWalls.push(await bare(workload));
    }
  }
  const b = median(bareWalls);
  const p = median(profiledWalls);
  ratios.push(p / b);
  ratiosByRuntime[workload.runtime ?? 'python'].push(p / b);
  const spread = (Math.max(...bareWalls) - Math.min(...bareWalls)) / b;
  console.log([workload.name.padEnd(34), `${(b / 1e6).toFixed(1)}ms`.padStart(10), `${(p / 1e6).toFixed(1)}ms`.padStart(10), (p / b).toFixed(3).padStart(7), `±${Math.round(spread * 50)}%`.padStart(12)].join(' '));
}
console.log(`sampler CPU: median ${(100 * median(samplerCpu)).toFixed(1)}% of one core while profiling (the runner process, at 250 Hz)`);
const perRuntime = Object.entries(ratiosByRuntime).filter(([, list]) => list.length > 0).map(([runtime, list]) => `${runtime === 'node' ? 'Node' : 'Python'} ${median(list).toFixed(3)}`);
console.log(`median ratio ${median(ratios).toFixed(3)}: ${perRuntime.join(', ')} (target ≤ 1.05; a bare spread above that means the machine is too noisy to tell)`);
