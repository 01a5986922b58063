import path from 'node:path';
import type { LanguageAnalyzer } from './language';
import { pythonAnalyzer } from './python/index';

/**
 * Defers loading an analyzer's module to its first use. The TypeScript analyzer carries the
 * TypeScript compiler, which costs each thread about a quarter of a second to load; a run
 * over Python files alone should not pay that on the main thread and every worker.
 */
function onFirstUse(
  language: LanguageAnalyzer['language'],
  extensions: readonly string[],
  load: () => LanguageAnalyzer,
): LanguageAnalyzer {
  let analyzer: LanguageAnalyzer | undefined;
  const loaded = () => (analyzer ??= load());
  return { language, extensions, summarize: (file) => loaded().summarize(file), check: (summaries) => loaded().check(summaries) };
}

/**
 * The TypeScript analyzer module with its type-aware entry points (`findProjectConfig`,
 * `summarizeProject`), loaded on first call. A synchronous require keeps `check` synchronous;
 * esbuild evaluates the module only here.
 */
export function loadTypeScriptModule(): typeof import('./typescript/index') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./typescript/index') as typeof import('./typescript/index');
}

/** The type-aware project (a TypeScript LanguageService), loaded with the compiler on first call. */
export function loadProjectService(): typeof import('./project-service') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./project-service') as typeof import('./project-service');
}

const typescriptAnalyzer = onFirstUse('javascript', ['.ts', '.tsx', '.js', '.jsx', '.mjs', '.cjs'], () => loadTypeScriptModule().typescriptAnalyzer);

/** Every language the engine analyzes; a new language is one more entry here. */
export const ANALYZERS: readonly LanguageAnalyzer[] = [pythonAnalyzer, typescriptAnalyzer];

const byExtension = new Map<string, LanguageAnalyzer>(
  ANALYZERS.flatMap((analyzer) => analyzer.extensions.map((ext) => [ext.toLowerCase(), analyzer] as const)),
);

export function analyzerForPath(filePath: string): LanguageAnalyzer | undefined {
  return byExtension.get(path.extname(filePath).toLowerCase());
}

export function analyzerForLanguage(language: LanguageAnalyzer['language']): LanguageAnalyzer | undefined {
  return ANALYZERS.find((analyzer) => analyzer.language === language);
}
