import { collectFileNotes, UnanalyzableFileError } from './analyzer-signals';
import { countLines, DEFAULT_MAX_FILE_BYTES, readSource } from './decode';
import { analyzerForPath } from './index';
import type { LanguageAnalyzer, SourceFile } from './language';
import { findSuppressions, type LineSuppression } from './suppression';

/**
 * What the per-file phase produces for one file, on a worker thread or in-process. Plain
 * data only: it crosses the thread boundary by structured cloning.
 */
export type FileOutcome =
  | {
      kind: 'summary';
      path: string;
      language: LanguageAnalyzer['language'];
      summary: unknown;
      suppressions: LineSuppression[];
      /** What was analyzed only in part (deep nesting) and suppression comments that suppress less than they seem to. */
      notes: string[];
      lines: number;
    }
  /** A file that was not analyzed, and why. */
  | { kind: 'notice'; path: string; message: string; lines: number };

function notAnalyzed(language: LanguageAnalyzer['language'], error: unknown): string {
  if (error instanceof UnanalyzableFileError) return `not analyzed: ${error.message}`;
  const reason = error instanceof RangeError && /call stack/i.test(error.message) ? 'nesting too deep to analyze' : error instanceof Error ? error.message : String(error);
  return `not analyzed: the ${language} analyzer failed (${reason})`;
}

/** Summarizes text already in memory (an editor buffer, or a file just read). */
export async function summarizeSource(
  file: SourceFile,
  analyzer: LanguageAnalyzer | undefined = analyzerForPath(file.path),
): Promise<FileOutcome> {
  const lines = countLines(file.text);
  if (!analyzer) return { kind: 'notice', path: file.path, message: 'skipped: no analyzer for this file type', lines };
  try {
    const { value: summary, notes } = await collectFileNotes(() => analyzer.summarize(file));
    const scan = await findSuppressions(analyzer.language, file);
    return { kind: 'summary', path: file.path, language: analyzer.language, summary, suppressions: scan.suppressions, notes: [...notes, ...scan.notes], lines };
  } catch (error) {
    return { kind: 'notice', path: file.path, message: notAnalyzed(analyzer.language, error), lines };
  }
}

/** Reads, decodes and summarizes one file from disk. */
export async function summarizeFile(filePath: string, maxBytes = DEFAULT_MAX_FILE_BYTES): Promise<FileOutcome> {
  const decoded = await readSource(filePath, maxBytes);
  if (!decoded.ok) return { kind: 'notice', path: filePath, message: decoded.message, lines: 0 };
  return summarizeSource({ path: filePath, text: decoded.text });
}
