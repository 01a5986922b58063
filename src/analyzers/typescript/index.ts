import type { Finding } from '../../shared/findings';
import type { LanguageAnalyzer, SourceFile } from '../language';
import { mergeCopies } from './copies';
import { packageScope, perCallClasses, refineByOwnership } from './ownership';
import { summarizeFile, type TsFileSummary } from './file-analysis';
import { lockOrderFindings } from './lock-order';
import { summarizeProject } from './project';

export type { TsFileSummary } from './file-analysis';
export { findProjectConfig, summarizeProject, type ProjectAnalysis } from './project';

/**
 * The TypeScript/JavaScript analyzer. `summarize` is the syntax-only mode (one file, no types),
 * cheap enough for every file on a worker thread. `checkProject` is the additive type-aware mode:
 * given the files of a run and the `tsconfig.json`/`jsconfig.json` that covers them, it builds a
 * `Program` so types decide what syntax can only guess (a `SharedArrayBuffer`-backed view, an
 * `async-mutex` `Mutex`, a `Thenable`); files the configuration does not include fall back to
 * syntax-only mode in the same call.
 */
export interface TypeScriptAnalyzer extends LanguageAnalyzer<TsFileSummary> {
  checkProject(files: SourceFile[], configPath: string): Finding[];
}

function check(summaries: TsFileSummary[]): Finding[] {
  const perCall = perCallClasses(summaries.flatMap((s) => s.constructions.map((c) => ({ ...c, scope: packageScope(s.path) }))));
  const findings = mergeCopies(
    summaries.flatMap((s) => {
      if (s.findings.length === 0) return [];
      const refined = refineByOwnership(s.findings.map((finding, index) => ({ finding, facts: s.ownership[index] ?? undefined })), perCall);
      return refined.map((finding, index) => ({ finding, fingerprint: s.fingerprints[index] }));
    }),
  );
  findings.push(...lockOrderFindings(summaries.flatMap((s) => s.lockEdges)));
  return findings;
}

export const typescriptAnalyzer: TypeScriptAnalyzer = {
  language: 'javascript',
  extensions: ['.ts', '.tsx', '.js', '.jsx', '.mjs', '.cjs'],
  summarize(file) {
    // The executor turns a parse failure into a rejection, as the engine expects from a promise.
    return new Promise((resolve) => resolve(summarizeFile(file)));
  },
  check,
  checkProject(files, configPath) {
    const { summaries, uncovered } = summarizeProject(files, configPath);
    return check([...summaries, ...uncovered.map(summarizeFile)]);
  },
};
