/**
 * A realistic trace for the browser tests, made by the real profiler on a fixture, with
 * hostile strings planted where a trace carries text (function name, file paths, exception
 * messages), and the standalone report built from it with the real bundle.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildStandaloneReportFromDist } from '../../src/profiler/html-report';
import { runProfile } from '../../src/profiler/runner';
import type { ProfileTrace } from '../../src/shared/trace';
import { scratchDir } from '../unit/scratch';

export const REPO = path.resolve(__dirname, '../..');
export const HOSTILE = '<img src=x onerror="window.__pwned=3"></script><script>window.__pwned=4</script>';

export interface ReportFixture {
  trace: ProfileTrace;
  htmlPath: string;
}

export async function profileFixtureTrace(): Promise<ProfileTrace> {
  const outcome = await runProfile({
    python: 'python3',
    root: path.join(REPO, 'test/fixtures/webview'),
    file: 'contended_work.py',
    function: 'work',
    tasks: 'range(24)',
    kinds: ['serial', 'thread', 'process'],
    workers: [1, 2],
    repeat: 2,
    timeoutSec: 60,
    harnessPath: path.join(REPO, 'src/profiler/python/conclens_harness.py'),
  });
  if (!outcome.completed) throw new Error(`the fixture profile did not complete: ${outcome.message}`);
  return outcome.trace;
}

/** Plants hostile text in every kind of string the views show. */
export function withHostileStrings(trace: ProfileTrace): ProfileTrace {
  const copy = structuredClone(trace);
  copy.target.function = `work${HOSTILE}`;
  copy.target.file = `${HOSTILE}/contended_work.py`;
  for (const lock of copy.locks) lock.site.file = `${HOSTILE}.py`;
  for (const run of copy.runs) for (const span of run.lockSpans) span.site.file = `${HOSTILE}.py`;
  if (copy.verdict) copy.verdict.summary = `${copy.verdict.summary} ${HOSTILE}`;
  copy.faults.push({ fault: 'harness', message: HOSTILE, fatal: true });
  return copy;
}

export async function writeReport(trace: ProfileTrace, name = 'report.html'): Promise<ReportFixture> {
  const dir = scratchDir('conclens-report-');
  const htmlPath = path.join(dir, name);
  await writeFile(htmlPath, await buildStandaloneReportFromDist(trace, path.join(REPO, 'dist')));
  return { trace, htmlPath };
}
