import path from 'node:path';
import type { LanguageAnalyzer } from './language';
import { pythonAnalyzer } from './python/index';

/** Every language the engine analyzes; a new language is one more entry here. */
export const ANALYZERS: readonly LanguageAnalyzer[] = [pythonAnalyzer];

const byExtension = new Map<string, LanguageAnalyzer>(
  ANALYZERS.flatMap((analyzer) => analyzer.extensions.map((ext) => [ext.toLowerCase(), analyzer] as const)),
);

export function analyzerForPath(filePath: string): LanguageAnalyzer | undefined {
  return byExtension.get(path.extname(filePath).toLowerCase());
}

export function analyzerForLanguage(language: LanguageAnalyzer['language']): LanguageAnalyzer | undefined {
  return ANALYZERS.find((analyzer) => analyzer.language === language);
}
