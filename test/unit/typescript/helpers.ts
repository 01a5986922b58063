import type { Finding } from '../../../src/shared/findings';
import { typescriptAnalyzer } from '../../../src/analyzers/typescript/index';

/** Runs the syntax-only pipeline (summarize each file, then check over all) as the engine does. */
export async function analyze(files: Record<string, string> | string, name = '/work/sample.ts'): Promise<Finding[]> {
  const entries = typeof files === 'string' ? [[name, files] as const] : Object.entries(files);
  const summaries = await Promise.all(entries.map(([path, text]) => typescriptAnalyzer.summarize({ path, text })));
  // The engine moves summaries between threads: they must survive structured cloning.
  return typescriptAnalyzer.check(summaries.map((s) => structuredClone(s)));
}

export function ruleIds(findings: Finding[]): string[] {
  return findings.map((f) => f.ruleId).sort();
}

/** One-based line of each finding of `ruleId`, for readable assertions. */
export function linesOf(findings: Finding[], ruleId: string): number[] {
  return findings.filter((f) => f.ruleId === ruleId).map((f) => f.range.start.line + 1);
}
