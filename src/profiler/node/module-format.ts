/**
 * Which files the Node profiler takes, and whether Node loads one as an ES module or as
 * CommonJS: `.mjs`/`.mts` and `.cjs`/`.cts` say so themselves; `.js`/`.ts` follow the `type`
 * of the nearest package.json, as Node does.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ModuleFormat } from './protocol';

export const NODE_EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'] as const;
const TYPESCRIPT = new Set(['.ts', '.mts', '.cts']);

export function isNodeFile(file: string): boolean {
  return (NODE_EXTENSIONS as readonly string[]).includes(path.extname(file).toLowerCase());
}

export function isTypeScriptFile(file: string): boolean {
  return TYPESCRIPT.has(path.extname(file).toLowerCase());
}

function nearestPackageType(directory: string): string | undefined {
  for (let dir = directory; ; dir = path.dirname(dir)) {
    try {
      const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { type?: unknown };
      return typeof manifest.type === 'string' ? manifest.type : undefined;
    } catch (error) {
      // A package.json Node cannot parse stops its lookup too; only a missing one moves up.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

export function moduleFormatOf(file: string): ModuleFormat {
  const extension = path.extname(file).toLowerCase();
  if (extension === '.mjs' || extension === '.mts') return 'esm';
  if (extension === '.cjs' || extension === '.cts') return 'commonjs';
  return nearestPackageType(path.dirname(file)) === 'module' ? 'esm' : 'commonjs';
}
