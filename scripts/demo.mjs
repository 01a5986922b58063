// `npm run demo`: builds, then shows Concurrency Lens on the example workspace (examples/).
// The demo is a list of steps sharing one context, so later parts (profiling, the HTML
// report) add a step instead of rewriting the script. It exits 0 only when every
// `# expect:` (Python) and `// expect:` (TypeScript/JavaScript) marker of the examples was
// reported and no fixed file was flagged.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { exampleLanguage, expectationsIn, fileRole, listExampleFiles, scenarioOf } from './example-expectations.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const EXAMPLES_DIR = path.join(ROOT, 'examples');
// `--cli FILE` runs another build of the CLI (the unit test bundles one of its own).
const { values: options } = parseArgs({ options: { cli: { type: 'string', default: path.join(ROOT, 'dist', 'cli.js') } } });
const CLI = path.resolve(options.cli);
const CLI_EXIT_FINDINGS = 1;

const FINDING_LINE = /^(?<file>\S.*?):(?<line>\d+):(?<column>\d+): (?<severity>error|warning|information|hint) (?<ruleId>[A-Z]+-[A-Z]+-\d{3}) (?<message>.*)$/;

class DemoFailure extends Error {}

function runCli(args) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, ...args], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? error.code : 0;
      if (typeof code !== 'number') reject(error);
      else resolve({ code, stdout, stderr });
    });
  });
}

/** Findings of the text report, with absolute paths and zero-based lines like the analyzer's. */
function parseTextReport(stdout) {
  return stdout.split('\n').flatMap((line) => {
    const match = FINDING_LINE.exec(line);
    if (!match) return [];
    const { file, severity, ruleId, message } = match.groups;
    return [{ file: path.resolve(ROOT, file), line: Number(match.groups.line) - 1, severity, ruleId, message }];
  });
}

const isReported = (finding) => finding.severity === 'error' || finding.severity === 'warning';
const relative = (file) => path.relative(ROOT, file);
const countBy = (items, key) => {
  const counts = new Map();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return new Map([...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
};

const analyzeStep = {
  title: 'Analyze examples/ with the built CLI',
  async run(context) {
    if (!existsSync(CLI)) throw new DemoFailure(`${relative(CLI)} is missing: run "npm run build" first (npm run demo does)`);
    console.log(`$ node ${relative(CLI)} analyze examples --format text`);
    const { code, stdout, stderr } = await runCli(['analyze', 'examples', '--format', 'text']);
    if (stderr.trim()) console.log(stderr.trimEnd());
    // Exit code 1 means "findings were reported", which is what a workspace of bugs should get.
    if (code !== 0 && code !== CLI_EXIT_FINDINGS) throw new DemoFailure(`the CLI failed with exit code ${code}`);
    context.findings = parseTextReport(stdout);
    context.summaryLine = stdout.trimEnd().split('\n').at(-1);
    console.log(context.summaryLine);
  },
};

const byScenarioStep = {
  title: 'Findings by scenario',
  run(context) {
    const scenarios = countBy(context.files, (file) => scenarioOf(EXAMPLES_DIR, file));
    for (const scenario of scenarios.keys()) {
      console.log(`\n${scenario}/`);
      const findings = context.findings.filter((f) => scenarioOf(EXAMPLES_DIR, f.file) === scenario);
      if (findings.length === 0) console.log('  (nothing reported)');
      for (const f of findings) {
        console.log(`  ${path.relative(path.join(EXAMPLES_DIR, scenario), f.file)}:${f.line + 1}  ${f.severity} ${f.ruleId}  ${f.message}`);
      }
    }
  },
};

const summaryStep = {
  title: 'Summary',
  run(context) {
    const reported = context.findings.filter(isReported);
    console.log('findings per rule:');
    for (const [ruleId, count] of countBy(reported, (f) => f.ruleId)) console.log(`  ${ruleId.padEnd(13)} ${count}`);
    const filesPerLanguage = countBy(context.files, exampleLanguage);
    const findingsPerLanguage = countBy(reported, (f) => exampleLanguage(f.file));
    for (const [language, count] of filesPerLanguage) {
      console.log(`${language} files: ${count}, warnings and errors: ${findingsPerLanguage.get(language) ?? 0}`);
    }
    const perRole = countBy(reported, (f) => fileRole(f.file));
    const filesPerRole = countBy(context.files, fileRole);
    for (const role of ['buggy', 'fixed', 'support']) {
      console.log(`${role.padEnd(7)} files: ${filesPerRole.get(role) ?? 0}, warnings and errors: ${perRole.get(role) ?? 0}`);
    }
  },
};

const expectationsStep = {
  title: 'Check the expected findings',
  run(context) {
    const reported = context.findings.filter(isReported);
    const sameSpot = (f, e) => f.file === e.file && f.line === e.line && f.ruleId === e.ruleId;
    const missed = context.expectations.filter((e) => !reported.some((f) => sameSpot(f, e)));
    const unexpected = reported.filter((f) => !context.expectations.some((e) => sameSpot(f, e)));
    const found = context.expectations.length - missed.length;
    console.log(`expected findings reported: ${found} of ${context.expectations.length}`);
    for (const e of missed) console.log(`  MISSED      ${relative(e.file)}:${e.line + 1} ${e.ruleId}`);
    for (const f of unexpected) console.log(`  UNEXPECTED  ${relative(f.file)}:${f.line + 1} ${f.ruleId} (${f.severity})`);
    if (missed.length > 0 || unexpected.length > 0) {
      throw new DemoFailure(`${missed.length} missed and ${unexpected.length} unexpected finding(s)`);
    }
  },
};

const PROFILING_DIR = path.join(EXAMPLES_DIR, 'profiling');
const REPORTS_DIR = path.join(ROOT, 'out', 'demo');
// Python: `# conclens: tasks=` above a `def`; JavaScript and TypeScript: `// conclens: tasks=` above an exported function.
const TASKS_COMMENT = /^(?:# conclens: tasks=(?<pyTasks>.+)\n\s*def (?<pyName>[A-Za-z_]\w*)|\/\/ conclens: tasks=(?<jsTasks>.+)\n\s*export (?:async )?function (?<jsName>[A-Za-z_$][\w$]*))\(/gm;

/** The functions of examples/profiling/ with the tasks their `conclens: tasks=` comment gives. */
function profilingTargets() {
  return ['cpu_bound.py', 'io_bound.py', 'gil_releasing.py', 'lock_contended.py', 'quotes.mjs', 'checksums.ts'].flatMap((file) =>
    [...readFileSync(path.join(PROFILING_DIR, file), 'utf8').matchAll(TASKS_COMMENT)].map(({ groups }) => ({
      file,
      name: groups.pyName ?? groups.jsName,
      tasks: (groups.pyTasks ?? groups.jsTasks).trim(),
    })),
  );
}

const profileStep = {
  title: 'Profile the examples/profiling functions under pools (Python) and on the event loop, worker threads and child processes (Node)',
  async run(context) {
    mkdirSync(REPORTS_DIR, { recursive: true });
    for (const target of profilingTargets()) {
      const stem = target.file.replace(/\.(py|mjs|ts)$/, '');
      const html = path.join(REPORTS_DIR, `${stem}.html`);
      const args = ['profile', path.join(PROFILING_DIR, target.file), '--root', PROFILING_DIR, '--function', target.name, '--args', target.tasks];
      // One repetition at 1 and 2 workers keeps the demo short; the verdict says how sure it is.
      args.push('--repeat', '1', '--workers', '1,2', '--timeout', '60', '--out', path.join(REPORTS_DIR, `${stem}.trace.json`), '--html', html);
      console.log(`$ conclens profile examples/profiling/${target.file} --function ${target.name} --args "${target.tasks}"`);
      const { code, stdout, stderr } = await runCli(args);
      if (code !== 0) throw new DemoFailure(`profiling ${target.file} failed (exit ${code}): ${stderr.trim().split('\n').pop()}`);
      const verdict = stdout.slice(stdout.indexOf('Verdict:')).trimEnd();
      console.log(`${verdict}\n  report: ${relative(html)}\n`);
      context.reports.push(html);
    }
  },
};

const reportStep = {
  title: 'Open the timeline reports',
  run(context) {
    console.log('Self-contained HTML timelines (open in any browser, offline):');
    for (const report of context.reports) console.log(`  ${report}`);
  },
};

const STEPS = [analyzeStep, byScenarioStep, summaryStep, expectationsStep, profileStep, reportStep];

async function main() {
  const files = listExampleFiles(EXAMPLES_DIR);
  const context = {
    files,
    expectations: files.flatMap((file) => expectationsIn(file, readFileSync(file, 'utf8'))),
    findings: [],
    reports: [],
  };
  for (const [index, step] of STEPS.entries()) {
    console.log(`\n== ${index + 1}/${STEPS.length} ${step.title}`);
    await step.run(context);
  }
  console.log('\nDemo passed: every expected finding was reported, the fixed versions are clean, and every profile completed.');
}

main().catch((error) => {
  console.error(`\ndemo failed: ${error instanceof DemoFailure ? error.message : error.stack}`);
  process.exitCode = 1;
});
