// Benchmark: analyzes the local Python standard library with the built engine (worker
// threads on every usable CPU) and, in the same run, times Ruff's WebAssembly build on the
// same files with its default rules. Then times the editor path: re-analysis of one
// 2,000-line file through AnalysisSession.update + results. Then the JS/TS part: the .js/.ts
// files of this project's own node_modules through the engine and, alternating with it,
// ESLint with only `require-atomic-updates` on the same files. Prints figures; asserts nothing.
// Run through `npm run bench:analyze` (builds dist/ first). BENCH_REPETITIONS sets the
// repetitions of both comparisons (default 3); BENCH_PARTS=python or =javascript runs one part.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { TextDecoder } from 'node:util';
import * as esbuild from 'esbuild';
import { webTreeSitterCjs } from './esbuild-plugins.mjs';

const require = createRequire(import.meta.url);
const REPETITIONS = Number(process.env.BENCH_REPETITIONS ?? 3);
const SESSION_REPETITIONS = 30;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const fmt = (n) => Math.round(n).toLocaleString('en-US');

/** The engine API is not part of any shipped bundle, so bundle it next to the built worker. */
async function buildEngine() {
  const outdir = path.resolve('out', 'bench');
  mkdirSync(outdir, { recursive: true });
  // The TypeScript default libraries (lib.*.d.ts) are read from next to the bundle in type-aware mode.
  const typescriptLibs = readdirSync('dist').filter((name) => /^lib(\..*)?\.d\.ts$/.test(name));
  for (const file of ['analyzer-worker.js', 'tree-sitter.wasm', 'tree-sitter-python.wasm', ...typescriptLibs]) {
    const built = path.join('dist', file);
    if (!existsSync(built)) throw new Error(`${built} is missing: run "npm run build" first`);
    cpSync(built, path.join(outdir, file));
  }
  await esbuild.build({
    stdin: {
      contents: "export { analyzePaths, discoverFiles } from './src/analyzers/engine'; export { AnalysisSession } from './src/analyzers/session';",
      resolveDir: process.cwd(),
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: path.join(outdir, 'engine.js'),
    logLevel: 'error',
    plugins: [webTreeSitterCjs],
  });
  return require(path.join(outdir, 'engine.js'));
}

function stdlibRoot() {
  return execFileSync('python3', ['-c', "import sysconfig; print(sysconfig.get_paths()['stdlib'])"], { encoding: 'utf8' }).trim();
}

/** Wall time and process CPU time (all threads, so the workers' too) of one call. */
async function measure(work) {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const value = await work();
  const cpu = process.cpuUsage(cpuBefore);
  return { ms: performance.now() - started, cpuMs: (cpu.user + cpu.system) / 1000, value };
}

async function runOurs(engine, root, files, workers) {
  const config = { rules: {}, exclude: ['**/site-packages/**'] };
  let perFileMs = 0;
  const started = performance.now();
  // The last progress call marks the end of the per-file phase; the cross-file check follows.
  const onProgress = (done, total) => {
    if (done === total) perFileMs = performance.now() - started;
  };
  const result = await engine.analyzePaths(files, { config, root, workers, onProgress });
  return { result, perFileMs };
}

function runRuff(workspace, files) {
  const decoder = new TextDecoder('utf-8');
  let diagnostics = 0;
  let failures = 0;
  for (const file of files) {
    const text = decoder.decode(readFileSync(file));
    try {
      diagnostics += workspace.check(text).length;
    } catch {
      failures++;
    }
  }
  return { diagnostics, failures };
}

/** web-tree-sitter's parse alone, one thread, reading and decoding included as for Ruff: the floor under our time. */
async function createParseOnly() {
  const { Parser, Language } = require('web-tree-sitter');
  await Parser.init({ locateFile: () => path.resolve('dist', 'tree-sitter.wasm') });
  const parser = new Parser();
  parser.setLanguage(await Language.load(path.resolve('dist', 'tree-sitter-python.wasm')));
  const decoder = new TextDecoder('utf-8');
  return (files) => {
    for (const file of files) parser.parse(decoder.decode(readFileSync(file)))?.delete();
  };
}

async function timeSession(engine, root, files) {
  // A real module of about 2,000 lines: the stdlib file closest to that size, cut at the
  // first top-level statement after line 2,000 so the text still parses.
  const candidates = files
    .filter((file) => !file.includes(`${path.sep}test${path.sep}`))
    .map((file) => ({ file, lines: readFileSync(file, 'utf8').split('\n') }))
    .filter(({ lines }) => lines.length >= 2000)
    .sort((a, b) => a.lines.length - b.lines.length);
  const { file, lines } = candidates[0];
  let cut = 2000;
  while (cut < lines.length && !/^(def|class|async def|if|@)\b/.test(lines[cut])) cut++;
  const text = lines.slice(0, cut).join('\n');
  const session = new engine.AnalysisSession({ config: { rules: {}, exclude: [] }, root });
  const times = [];
  try {
    for (let i = 0; i < SESSION_REPETITIONS; i++) {
      const edited = `${text}\n# edit ${i}\n`;
      const started = performance.now();
      await session.update([{ path: file, text: edited }]);
      session.results();
      times.push(performance.now() - started);
    }
  } finally {
    session.dispose();
  }
  return { file, lines: cut, bytes: Buffer.byteLength(text), ms: median(times), min: Math.min(...times), max: Math.max(...times) };
}

/** Python: the local standard library, against Ruff, then the editor path. */
async function benchPython(engine) {
  const root = stdlibRoot();
  const files = await engine.discoverFiles([root], { root, exclude: ['**/site-packages/**'] });
  console.log(`Python stdlib: ${root} (${files.length} .py files, site-packages excluded), ${REPETITIONS} repetitions, ${os.availableParallelism()} CPUs`);

  const workers = os.availableParallelism();
  const { Workspace } = require('@astral-sh/ruff-wasm-nodejs');
  const ruffWorkspace = new Workspace(Workspace.defaultSettings());
  // Alternating the two tools spreads any background load over both alike.
  const oursRuns = [];
  const ruffRuns = [];
  const parseRuns = [];
  let oursRssMb = 0;
  for (let i = 0; i < REPETITIONS; i++) {
    oursRuns.push(await measure(() => runOurs(engine, root, files, workers)));
    oursRssMb = Math.max(oursRssMb, process.resourceUsage().maxRSS / 1024);
    ruffRuns.push(await measure(() => runRuff(ruffWorkspace, files)));
  }
  const parseOnly = await createParseOnly();
  for (let i = 0; i < REPETITIONS; i++) parseRuns.push(await measure(() => parseOnly(files)));
  const parseMs = median(parseRuns.map((r) => r.ms));
  const oursMs = median(oursRuns.map((r) => r.ms));
  const oursCpuMs = median(oursRuns.map((r) => r.cpuMs));
  const ruffMs = median(ruffRuns.map((r) => r.ms));
  const ruffCpuMs = median(ruffRuns.map((r) => r.cpuMs));
  const perFileMs = median(oursRuns.map((r) => r.value.perFileMs));
  const { result } = oursRuns[0].value;
  const perRule = new Map();
  for (const finding of result.findings) perRule.set(finding.ruleId, (perRule.get(finding.ruleId) ?? 0) + 1);

  console.log('\nConcurrency Lens (built engine, worker threads)');
  console.log(`  workers        ${workers}`);
  console.log(`  files          ${fmt(result.files)} (${result.notices.length} notices)`);
  console.log(`  lines          ${fmt(result.lines)}`);
  console.log(`  time           ${fmt(oursMs)} ms median wall (runs: ${oursRuns.map((r) => fmt(r.ms)).join(', ')} ms)`);
  console.log(`    per-file     ${fmt(perFileMs)} ms (read, parse, summarize on the workers)`);
  console.log(`    cross-file   ${fmt(oursMs - perFileMs)} ms (check, config, suppression on the main thread)`);
  console.log(`  CPU time       ${fmt(oursCpuMs)} ms median, all threads`);
  console.log(`  throughput     ${fmt(result.lines / (oursMs / 1000))} lines/s`);
  console.log(`  peak RSS       ${fmt(oursRssMb)} MB (process incl. worker threads, before Ruff ran)`);
  console.log(`  findings       ${result.findings.length}`);
  for (const [rule, count] of [...perRule].sort()) console.log(`    ${rule.padEnd(14)} ${count}`);
  const noticeKinds = new Map();
  for (const notice of result.notices) {
    const kind = notice.message.replace(/\(.*$/, '').trim();
    noticeKinds.set(kind, (noticeKinds.get(kind) ?? 0) + 1);
  }
  for (const [kind, count] of noticeKinds) console.log(`  notice × ${count}: ${kind}`);

  const ruff = ruffRuns[0].value;
  console.log('\nRuff (@astral-sh/ruff-wasm-nodejs, default rules, one thread)');
  console.log(`  time           ${fmt(ruffMs)} ms median wall (runs: ${ruffRuns.map((r) => fmt(r.ms)).join(', ')} ms)`);
  console.log(`  CPU time       ${fmt(ruffCpuMs)} ms median`);
  console.log(`  throughput     ${fmt(result.lines / (ruffMs / 1000))} lines/s`);
  console.log(`  diagnostics    ${ruff.diagnostics}${ruff.failures ? ` (${ruff.failures} files failed)` : ''}`);
  console.log(`  peak RSS       ${fmt(process.resourceUsage().maxRSS / 1024)} MB (whole process after both)`);

  console.log('\ntree-sitter parse alone (web-tree-sitter, one thread, no analysis)');
  console.log(`  time           ${fmt(parseMs)} ms median wall (runs: ${parseRuns.map((r) => fmt(r.ms)).join(', ')} ms), ${(parseMs / ruffMs).toFixed(2)} × Ruff`);

  console.log(`\nratio ours/ruff  ${(oursMs / ruffMs).toFixed(2)} wall (target ≤ 1.0), ${(oursCpuMs / ruffCpuMs).toFixed(2)} CPU`);

  const session = await timeSession(engine, root, files);
  console.log(`\nAnalysisSession.update + results on a ${session.lines}-line file (${path.relative(root, session.file)}, ${fmt(session.bytes / 1024)} KB):`);
  console.log(`  median ${session.ms.toFixed(1)} ms over ${SESSION_REPETITIONS} edits (min ${session.min.toFixed(1)}, max ${session.max.toFixed(1)})`);

  await timeLongFunction(engine);
}

/**
 * One generated function of 60,000 `counter += 1` lines, alone and started on two threads
 * (then every line is a finding): the whole analysis of that one file, median of the runs.
 */
async function timeLongFunction(engine) {
  const dir = path.resolve('out', 'bench', 'long-function');
  mkdirSync(dir, { recursive: true });
  const body = '    counter += 1\n'.repeat(60_000);
  const variants = {
    'plain.py': `counter = 0\n\ndef bump():\n    global counter\n${body}`,
    'threads.py': `import threading\n\ncounter = 0\n\ndef bump():\n    global counter\n${body}\nfor _ in range(2):\n    threading.Thread(target=bump).start()\n`,
  };
  console.log('\nA 60,000-line function (one file, generated):');
  for (const [name, text] of Object.entries(variants)) {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    const runs = [];
    let findings = 0;
    for (let i = 0; i < REPETITIONS; i++) {
      const run = await measure(() => engine.analyzePaths([file], { config: { rules: {}, exclude: [] }, root: dir, workers: 1 }));
      runs.push(run.ms);
      findings = run.value.findings.length;
    }
    console.log(`  ${name.padEnd(12)} ${fmt(median(runs))} ms median wall (runs: ${runs.map(fmt).join(', ')} ms), ${fmt(findings)} findings`);
  }
}

/**
 * The .js/.ts files of the project's own node_modules (nested node_modules included, links not
 * followed): real code nobody here wrote. Declaration files are .ts files and are counted; the
 * analyzer skips them at once. Files over the engine's size limit are left out for both tools
 * so both see the same files.
 */
function nodeModulesFiles(dir, maxBytes) {
  const files = [];
  let oversized = 0;
  const walk = (current) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && /\.(js|ts)$/.test(entry.name)) {
        if (statSync(full).size > maxBytes) oversized++;
        else files.push(full);
      }
    }
  };
  walk(dir);
  return { files: files.sort(), oversized };
}

/** ESLint 9 with nothing but `require-atomic-updates`; .ts through typescript-eslint's parser, no type information. */
function eslintWithOneRule() {
  const { ESLint } = require('eslint');
  const tseslint = require('typescript-eslint');
  return new ESLint({
    cwd: process.cwd(),
    // Inline `/* eslint ... */` comments in the packages would switch other rules on.
    allowInlineConfig: false,
    overrideConfigFile: true,
    overrideConfig: [
      // node_modules is ignored by default (even with `ignore: false`); here it is the input.
      { ignores: ['!**/node_modules/'] },
      { files: ['**/*.js', '**/*.ts'], rules: { 'require-atomic-updates': 'error' } },
      { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } },
    ],
  });
}

async function runEslint(eslint, files) {
  const results = await eslint.lintFiles(files);
  let findings = 0;
  let unparsed = 0;
  for (const result of results) {
    const ignored = result.messages.find((m) => !m.fatal && m.ruleId === null && m.message.startsWith('File ignored'));
    // A skipped file would make ESLint look fast while measuring nothing.
    if (ignored) throw new Error(`ESLint did not lint ${result.filePath}: ${ignored.message}`);
    if (result.messages.some((m) => m.fatal)) unparsed++;
    findings += result.messages.filter((m) => m.ruleId === 'require-atomic-updates').length;
  }
  return { files: results.length, findings, unparsed };
}

/** JS/TS: the project's node_modules, against ESLint's require-atomic-updates. */
async function benchJavaScript(engine) {
  const nodeModules = path.resolve('node_modules');
  const maxBytes = 10 * 1024 * 1024;
  const { files, oversized } = nodeModulesFiles(nodeModules, maxBytes);
  const declarations = files.filter((file) => file.endsWith('.d.ts')).length;
  const workers = os.availableParallelism();
  console.log(
    `\nnode_modules: ${files.length} .js/.ts files (${declarations} of them .d.ts; ${oversized} over ${maxBytes / 1024 / 1024} MB left out), ${REPETITIONS} repetitions, ${workers} CPUs`,
  );
  const eslint = eslintWithOneRule();
  const oursRuns = [];
  const eslintRuns = [];
  // Alternating the two tools spreads any background load over both alike.
  for (let i = 0; i < REPETITIONS; i++) {
    oursRuns.push(await measure(() => engine.analyzePaths(files, { config: { rules: {}, exclude: [] }, root: nodeModules, workers })));
    eslintRuns.push(await measure(() => runEslint(eslint, files)));
  }
  const oursMs = median(oursRuns.map((r) => r.ms));
  const oursCpuMs = median(oursRuns.map((r) => r.cpuMs));
  const eslintMs = median(eslintRuns.map((r) => r.ms));
  const eslintCpuMs = median(eslintRuns.map((r) => r.cpuMs));
  const result = oursRuns[0].value;
  const perRule = new Map();
  for (const finding of result.findings) perRule.set(finding.ruleId, (perRule.get(finding.ruleId) ?? 0) + 1);
  const lines = result.lines;

  console.log('\nConcurrency Lens on node_modules (built engine, worker threads, syntax-only: dependencies are never type-aware)');
  console.log(`  files          ${fmt(result.files)} (${result.notices.length} notices)`);
  console.log(`  lines          ${fmt(lines)}`);
  console.log(`  time           ${fmt(oursMs)} ms median wall (runs: ${oursRuns.map((r) => fmt(r.ms)).join(', ')} ms)`);
  console.log(`  CPU time       ${fmt(oursCpuMs)} ms median, all threads (runs: ${oursRuns.map((r) => fmt(r.cpuMs)).join(', ')} ms)`);
  console.log(`  throughput     ${fmt(lines / (oursMs / 1000))} lines/s`);
  console.log(`  findings       ${result.findings.length}`);
  for (const [rule, count] of [...perRule].sort()) console.log(`    ${rule.padEnd(14)} ${count}`);
  // Few enough to judge one by one: where they are.
  for (const finding of result.findings.slice(0, 25)) {
    console.log(`    ${path.relative(nodeModules, finding.file)}:${finding.range.start.line + 1} ${finding.ruleId}`);
  }
  for (const notice of result.notices.slice(0, 5)) console.log(`  notice: ${path.relative(nodeModules, notice.file)}: ${notice.message}`);

  const eslintResult = eslintRuns[0].value;
  console.log(`\nESLint ${eslintVersion()} with only require-atomic-updates (one thread; .ts via typescript-eslint's parser, no types)`);
  console.log(`  files          ${fmt(eslintResult.files)} (${eslintResult.unparsed} could not be parsed)`);
  console.log(`  lines          ${fmt(lines)}`);
  console.log(`  time           ${fmt(eslintMs)} ms median wall (runs: ${eslintRuns.map((r) => fmt(r.ms)).join(', ')} ms)`);
  console.log(`  CPU time       ${fmt(eslintCpuMs)} ms median (runs: ${eslintRuns.map((r) => fmt(r.cpuMs)).join(', ')} ms)`);
  console.log(`  throughput     ${fmt(lines / (eslintMs / 1000))} lines/s`);
  console.log(`  findings       ${eslintResult.findings}`);

  console.log(`\nratio ours/eslint  ${(oursMs / eslintMs).toFixed(2)} wall (target ≤ 1.0), ${(oursCpuMs / eslintCpuMs).toFixed(2)} CPU`);

  await timeTypeScriptSession(engine);
}

/**
 * The editor path for TypeScript: edits of one file of this repository (its tsconfig.json
 * covers about 150 files) through AnalysisSession, type-aware (the session's kept
 * LanguageService) and, with the session rooted below the tsconfig, syntax-only.
 */
async function timeTypeScriptSession(engine) {
  const file = path.resolve('src/analyzers/typescript/async-flow.ts');
  const text = readFileSync(file, 'utf8');
  const timeEdits = async (root) => {
    const session = new engine.AnalysisSession({ config: { rules: {}, exclude: [] }, root });
    const times = [];
    try {
      for (let i = 0; i <= SESSION_REPETITIONS; i++) {
        const started = performance.now();
        await session.update([{ path: file, text: `${text}\n// edit ${i}\n` }]);
        session.results();
        times.push(performance.now() - started);
      }
    } finally {
      session.dispose();
    }
    const [first, ...edits] = times;
    return { first, median: median(edits), min: Math.min(...edits), max: Math.max(...edits) };
  };
  const typed = await timeEdits(process.cwd());
  const syntaxOnly = await timeEdits(path.dirname(file));
  const lines = text.split('\n').length;
  console.log(`\nAnalysisSession.update + results on a ${lines}-line TypeScript file (${path.relative(process.cwd(), file)}), ${SESSION_REPETITIONS} edits:`);
  console.log(`  type-aware     first ${typed.first.toFixed(0)} ms (builds the project), then median ${typed.median.toFixed(1)} ms (min ${typed.min.toFixed(1)}, max ${typed.max.toFixed(1)})`);
  console.log(`  syntax-only    first ${syntaxOnly.first.toFixed(0)} ms, then median ${syntaxOnly.median.toFixed(1)} ms (min ${syntaxOnly.min.toFixed(1)}, max ${syntaxOnly.max.toFixed(1)})`);
}

function eslintVersion() {
  return require('eslint/package.json').version;
}

const parts = (process.env.BENCH_PARTS ?? 'python,javascript').split(',');
const engine = await buildEngine();
if (parts.includes('python')) await benchPython(engine);
if (parts.includes('javascript')) await benchJavaScript(engine);
