import type { Finding } from '../../../src/shared/findings';
import { pythonAnalyzer } from '../../../src/analyzers/python/index';
import { assertMessageShape } from '../message-shape';

export const ROOT = '/project';

/** Summarizes every file (as the worker threads would) and checks them as one run. */
export async function analyzePython(files: Record<string, string>): Promise<Finding[]> {
  const summaries = [];
  for (const [name, text] of Object.entries(files)) {
    const summary = await pythonAnalyzer.summarize({ path: `${ROOT}/${name}`, text });
    summaries.push(structuredClone(summary));
  }
  const findings = pythonAnalyzer.check(summaries);
  // Every Python message, in every test, has the one shape of issue 13 (item 4).
  for (const finding of findings) assertMessageShape(finding);
  return findings;
}

/** Strips common leading indentation so fixtures can be written indented in the test file. */
export function py(strings: TemplateStringsArray, ...values: unknown[]): string {
  const raw = strings.reduce((acc, s, i) => acc + s + (i < values.length ? String(values[i]) : ''), '');
  const lines = raw.replace(/^\n/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.match(/^ */)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

export function ids(findings: Finding[]): string[] {
  return findings.map((f) => f.ruleId);
}

export function only(findings: Finding[], ruleId: string): Finding[] {
  return findings.filter((f) => f.ruleId === ruleId);
}

/** `line rule severity` per finding: what a test of where and how loud compares. */
export const summary = (findings: { ruleId: string; severity: string; range: { start: { line: number } } }[]) =>
  findings.map((f) => `${f.range.start.line} ${f.ruleId} ${f.severity}`);
