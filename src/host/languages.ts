import type * as vscode from 'vscode';
import { ANALYZERS, analyzerForPath } from '../analyzers/index';

/**
 * VS Code language ids whose documents are analyzed while they are edited; package.json lists
 * the same ids as `onLanguage:` activation events.
 */
export const ANALYZED_LANGUAGE_IDS: readonly string[] = ['python', 'typescript', 'typescriptreact', 'javascript', 'javascriptreact'];

/** A document is analyzed when it lives on disk (findings carry file paths) and an analyzer claims it. */
export function isAnalyzable(document: vscode.TextDocument): boolean {
  return (
    document.uri.scheme === 'file' &&
    ANALYZED_LANGUAGE_IDS.includes(document.languageId) &&
    analyzerForPath(document.uri.fsPath) !== undefined
  );
}

/** A glob matching every file extension an analyzer claims (for file system watchers). */
export function analyzedFilesGlob(): string {
  const extensions = [...new Set(ANALYZERS.flatMap((analyzer) => analyzer.extensions.map((ext) => ext.replace(/^\./, ''))))];
  return `**/*.{${extensions.join(',')}}`;
}
