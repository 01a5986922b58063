/**
 * The editor side of profiling JavaScript and TypeScript: which documents qualify (the file
 * extensions the Node harness loads), which exported function the CodeLens or the cursor
 * names, and which Node runs it: the `concurrencyLens.nodePath` setting, else `node` on PATH
 * (the user's Node, not the editor's own runtime).
 */
import type * as vscode from 'vscode';
import path from 'node:path';
import { exportedFunctionAt, exportedFunctions, type ExportedFunction } from '../profiler/node/exported-functions';
import { findNodeInterpreter, type NodeLookup } from '../profiler/node/interpreter';
import { isNodeFile } from '../profiler/node/module-format';

/** Languages whose files the CodeLens looks at; the extension then decides (no .jsx or .tsx). */
export const NODE_LANGUAGE_IDS = ['javascript', 'typescript'] as const;

export function isNodeDocument(document: vscode.TextDocument): boolean {
  return (NODE_LANGUAGE_IDS as readonly string[]).includes(document.languageId) && isNodeFile(document.uri.fsPath);
}

export function nodeFunctions(document: vscode.TextDocument): ExportedFunction[] {
  return exportedFunctions(document.getText(), document.uri.fsPath);
}

/** The exported function to profile: by name, or the one around the cursor line; else why not. */
export function nodeTarget(document: vscode.TextDocument, pick: { name: string } | { line: number }): ExportedFunction | { refusal: string } {
  const file = path.basename(document.uri.fsPath);
  if ('name' in pick) {
    return nodeFunctions(document).find((fn) => fn.name === pick.name) ?? { refusal: `Concurrency Lens: ${file} exports no top-level function named ${pick.name}.` };
  }
  return (
    exportedFunctionAt(document.getText(), document.uri.fsPath, pick.line) ?? {
      refusal: `Concurrency Lens: put the cursor inside a function that ${file} exports from its top level (export function …, export const f = …, module.exports = { f }) to profile it: worker threads and child processes load it by name.`,
    }
  );
}

export async function resolveNodeInterpreter(configuredPath: string): Promise<NodeLookup & { source: string }> {
  if (configuredPath) return { ...(await findNodeInterpreter({ configured: configuredPath })), source: 'setting concurrencyLens.nodePath' };
  return { ...(await findNodeInterpreter()), source: 'PATH' };
}
