import path from 'node:path';
import ts from 'typescript';
import type { SourceFile } from './language';
import { analyzeSourceFile, emptySummary, isDeclarationFile, type TsFileSummary } from './typescript/file-analysis';
import { checkerOracle } from './typescript/oracle';

const normalize = (p: string): string => path.resolve(p).replace(/\\/g, '/').toLowerCase();

/**
 * The type-aware mode for the editor: one TypeScript LanguageService per project configuration,
 * kept for the life of the session. After an edit, `getProgram()` re-parses only the changed
 * files and reuses every other SourceFile (the default libraries included) from the previous
 * Program, and the checker binds lazily, so an update costs a few milliseconds of parsing plus
 * the type queries of the changed file, where a fresh Program costs the whole project.
 * Loaded on first use only (it carries the TypeScript compiler).
 */
export class TypeAwareProject {
  private readonly service: ts.LanguageService;
  private readonly included: Set<string>;
  private readonly rootNames: string[];
  /**
   * Editor texts win over the disk (no text: read the disk). Versions come from one counter so
   * every change, including going back to the disk, gives a version the service has not seen.
   */
  private readonly overlays = new Map<string, { text?: string; version: number }>();
  private versions = 0;

  constructor(readonly configPath: string) {
    const read = ts.readConfigFile(configPath, ts.sys.readFile);
    if (read.error) throw new Error(`${configPath}: ${ts.flattenDiagnosticMessageText(read.error.messageText, '\n')}`);
    const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, path.dirname(configPath), undefined, configPath);
    // The options of the analyzer's own checkProject (typescript/project.ts): nothing is emitted
    // or checked beyond what the rules ask, and a jsconfig.json implies JavaScript.
    const options: ts.CompilerOptions = { ...parsed.options, noEmit: true, skipLibCheck: true };
    if (path.basename(configPath) === 'jsconfig.json' && options.allowJs === undefined) options.allowJs = true;
    this.rootNames = parsed.fileNames;
    this.included = new Set(parsed.fileNames.map(normalize));
    const overlay = (fileName: string) => this.overlays.get(normalize(fileName));
    const host: ts.LanguageServiceHost = {
      getCompilationSettings: () => options,
      getScriptFileNames: () => this.rootNames,
      getScriptVersion: (fileName) => String(overlay(fileName)?.version ?? 0),
      getScriptSnapshot: (fileName) => {
        const text = overlay(fileName)?.text ?? ts.sys.readFile(fileName);
        return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
      },
      getCurrentDirectory: () => path.dirname(configPath),
      getDefaultLibFileName: (opts) => ts.getDefaultLibFilePath(opts),
      fileExists: (fileName) => overlay(fileName)?.text !== undefined || ts.sys.fileExists(fileName),
      readFile: (fileName) => overlay(fileName)?.text ?? ts.sys.readFile(fileName),
      readDirectory: ts.sys.readDirectory.bind(ts.sys),
      directoryExists: ts.sys.directoryExists.bind(ts.sys),
      getDirectories: ts.sys.getDirectories.bind(ts.sys),
    };
    this.service = ts.createLanguageService(host, ts.createDocumentRegistry());
  }

  covers(filePath: string): boolean {
    return this.included.has(normalize(filePath));
  }

  /** Records the current text of a covered file; unchanged text keeps the file's version. */
  setText(file: SourceFile): void {
    const key = normalize(file.path);
    if (this.overlays.get(key)?.text === file.text) return;
    this.overlays.set(key, { text: file.text, version: ++this.versions });
  }

  /** Back to the text on disk (the file left the session). */
  forget(filePath: string): void {
    const key = normalize(filePath);
    if (this.overlays.has(key)) this.overlays.set(key, { version: ++this.versions });
  }

  /** Type-aware summaries of `paths` (covered files) against the project's current Program. */
  summarize(paths: string[]): TsFileSummary[] {
    const program = this.service.getProgram();
    if (!program) throw new Error(`${this.configPath}: the TypeScript language service produced no program`);
    const oracle = checkerOracle(program.getTypeChecker());
    return paths.map((filePath) => {
      const sourceFile = program.getSourceFile(filePath);
      if (!sourceFile || isDeclarationFile(filePath)) return emptySummary(filePath);
      return analyzeSourceFile(sourceFile, filePath, oracle);
    });
  }

  dispose(): void {
    this.service.dispose();
  }
}
