import path from 'node:path';
import ts from 'typescript';
import type { SourceFile } from '../language';
import { analyzeSourceFile, emptySummary, isDeclarationFile, type TsFileSummary } from './file-analysis';
import { checkerOracle } from './oracle';

const CONFIG_NAMES = ['tsconfig.json', 'jsconfig.json'];

/** The nearest `tsconfig.json` / `jsconfig.json` above `filePath`, stopping at `stopAt` when given. */
export function findProjectConfig(filePath: string, stopAt?: string, exists: (p: string) => boolean = ts.sys.fileExists): string | undefined {
  let dir = path.dirname(filePath);
  for (;;) {
    for (const name of CONFIG_NAMES) {
      const candidate = path.join(dir, name);
      if (exists(candidate)) return candidate;
    }
    const parent = path.dirname(dir);
    if (parent === dir || (stopAt !== undefined && path.resolve(dir) === path.resolve(stopAt))) return undefined;
    dir = parent;
  }
}

export interface ProjectAnalysis {
  /** Summaries of the files the configuration covers, computed with the type checker. */
  summaries: TsFileSummary[];
  /** Files the configuration does not include: analyze them in syntax-only mode. */
  uncovered: SourceFile[];
}

/**
 * Type-aware mode: builds a `Program` from the configuration, with the given file texts taking
 * precedence over the disk (unsaved editor buffers), and runs the same rules with a
 * type-checker oracle. Throws with the configuration's own diagnostic when it cannot be read.
 */
export function summarizeProject(files: SourceFile[], configPath: string): ProjectAnalysis {
  const read = ts.readConfigFile(configPath, ts.sys.readFile);
  if (read.error) throw new Error(`${configPath}: ${ts.flattenDiagnosticMessageText(read.error.messageText, '\n')}`);
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, path.dirname(configPath), undefined, configPath);
  const normalize = (p: string): string => path.resolve(p).replace(/\\/g, '/').toLowerCase();
  const included = new Set(parsed.fileNames.map(normalize));
  const texts = new Map(files.map((f) => [normalize(f.path), f.text]));
  const covered = files.filter((f) => included.has(normalize(f.path)));
  const uncovered = files.filter((f) => !included.has(normalize(f.path)));
  const options: ts.CompilerOptions = { ...parsed.options, noEmit: true, skipLibCheck: true };
  if (path.basename(configPath) === 'jsconfig.json' && options.allowJs === undefined) options.allowJs = true;
  const host = ts.createCompilerHost(options, true);
  const readFromDisk = host.readFile.bind(host);
  host.readFile = (fileName) => texts.get(normalize(fileName)) ?? readFromDisk(fileName);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (fileName) => texts.has(normalize(fileName)) || fileExists(fileName);
  const program = ts.createProgram({ rootNames: parsed.fileNames, options, host });
  const oracle = checkerOracle(program.getTypeChecker());
  const summaries = covered.map((file) => {
    const sourceFile = program.getSourceFile(file.path);
    if (!sourceFile || isDeclarationFile(file.path)) return emptySummary(file.path);
    return analyzeSourceFile(sourceFile, file.path, oracle);
  });
  return { summaries, uncovered };
}
