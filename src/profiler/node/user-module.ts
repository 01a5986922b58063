/**
 * Loads the user's module the way the project would: `import()` lets Node pick ESM or
 * CommonJS from the extension and the nearest package.json (a transpiled TypeScript module
 * already carries the format in its extension). For CommonJS, `module.exports` is the
 * exports; for ESM, the namespace.
 */
import { pathToFileURL } from 'node:url';
import type { ModuleFormat } from './protocol';
import type { UserFunction } from './measured-call';

export async function importExports(moduleFile: string, format: ModuleFormat): Promise<Record<string, unknown>> {
  const namespace = (await import(pathToFileURL(moduleFile).href)) as Record<string, unknown>;
  if (format === 'commonjs') {
    const exported = namespace.default;
    return typeof exported === 'object' || typeof exported === 'function' ? { ...(exported as Record<string, unknown>) } : { default: exported };
  }
  return { ...namespace };
}

/** The exported function, or a sentence saying what is there instead. */
export function exportedFunction(exported: Record<string, unknown>, name: string, displayFile: string): UserFunction | string {
  const value = exported[name];
  if (typeof value === 'function') return value as UserFunction;
  if (value === undefined) {
    const names = Object.keys(exported).filter((key) => typeof exported[key] === 'function');
    return `${displayFile} exports no function named ${name} (${names.length ? `its exported functions: ${names.slice(0, 20).join(', ')}` : 'it exports no functions'})`;
  }
  return `${displayFile} exports ${name}, but it is ${value === null ? 'null' : `a ${typeof value}`}, not a function`;
}
