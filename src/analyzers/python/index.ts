import type { Finding } from '../../shared/findings';
import type { LanguageAnalyzer, SourceFile } from '../language';
import { Program } from './program';
import { asyncFindings } from './rules/asyncio';
import { lockFindings } from './rules/locks';
import { processFindings } from './rules/processes';
import { raceFindings } from './rules/races';
import { waiterFindings } from './rules/waiters';
import { summarizePython } from './summarize';
import type { PythonModuleSummary } from './summary';

export type { PythonModuleSummary } from './summary';

function compareFindings(a: Finding, b: Finding): number {
  return (
    a.file.localeCompare(b.file) ||
    a.range.start.line - b.range.start.line ||
    a.range.start.character - b.range.start.character ||
    a.ruleId.localeCompare(b.ruleId)
  );
}

/** The Python analyzer: tree-sitter summaries per file, one linked program per run. */
export const pythonAnalyzer: LanguageAnalyzer<PythonModuleSummary> = {
  language: 'python',
  extensions: ['.py', '.pyw'],
  summarize(file: SourceFile): Promise<PythonModuleSummary> {
    return summarizePython(file);
  },
  check(summaries: PythonModuleSummary[]): Finding[] {
    // A file that imports a module only Python 2 has cannot run here: its code is dead (unless
    // the run itself provides a module of that name).
    const modules = new Set(summaries.map((s) => s.module));
    const program = new Program(summaries.filter((s) => !s.python2Import || modules.has(s.python2Import)));
    const findings = [...raceFindings(program), ...asyncFindings(program), ...waiterFindings(program), ...lockFindings(program), ...processFindings(program)];
    const seen = new Set<string>();
    return findings.sort(compareFindings).filter((f) => {
      const id = `${f.ruleId}|${f.file}|${f.range.start.line}|${f.range.start.character}`;
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
  },
};
