import type { Finding } from '../../shared/findings';
import { packageScope } from './ownership';

/**
 * Packages ship one source several times: TypeScript in `src/`, JavaScript in `dist/cjs`,
 * `dist/esm`, `lib/`, and bundles that inline it. A finding in each copy is one problem, so it is
 * reported once, on the source when it is there, with the other copies as related locations.
 * Two findings are copies when they say the same thing (`FindingSink` fingerprints: rule,
 * function, the names in the flagged code) in one installed package, or, outside
 * `node_modules`, in files that differ only in build folders and extension.
 */

const BUILD_FOLDERS = new Set([
  'dist', 'build', 'lib', 'out', 'esm', 'cjs', 'commonjs', 'module', 'modules', 'src', 'source', 'es', 'es5', 'es6', 'es2015', 'es2017', 'es2018',
  'es2019', 'es2020', 'es2022', 'esnext', 'umd', 'node', 'browser', 'workerd', 'react-native', 'mjs', '_cjs', '_esm', 'bundle', 'debug',
]);
const SOURCE_EXTENSION = /\.[cm]?tsx?$/i;

/** An installed package (`…/node_modules/@scope/name`), or the path a file would have without build folders and extension. */
function copyScope(file: string): string {
  const installed = packageScope(file);
  if (installed) return installed;
  const parts = file.replace(/\\/g, '/').replace(/\.[cm]?[jt]sx?$/i, '').split('/');
  return parts.filter((part) => !BUILD_FOLDERS.has(part.toLowerCase())).join('/');
}

/** Which copy to report: the TypeScript source, then a `src/` file, then an ES module build, then the shortest path. */
function preference(file: string): [number, number, number, number] {
  const normalized = file.replace(/\\/g, '/');
  return [SOURCE_EXTENSION.test(normalized) ? 0 : 1, /\/src\//.test(normalized) ? 0 : 1, /\/esm\/|\.mjs$/.test(normalized) ? 0 : 1, normalized.length];
}

function compare(a: Finding, b: Finding): number {
  const pa = preference(a.file);
  const pb = preference(b.file);
  for (let i = 0; i < pa.length; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
  return a.file < b.file ? -1 : a.file > b.file ? 1 : 0;
}

export function mergeCopies(entries: { finding: Finding; fingerprint: string }[]): Finding[] {
  const groups = new Map<string, Finding[]>();
  for (const { finding, fingerprint } of entries) {
    const key = `${copyScope(finding.file)}\n${fingerprint}`;
    groups.set(key, [...(groups.get(key) ?? []), finding]);
  }
  return [...groups.values()].flatMap((group) => {
    const files = new Set(group.map((f) => f.file));
    // Two findings in one file are two sites, not copies.
    if (files.size < group.length || group.length === 1) return group;
    const [primary, ...copies] = [...group].sort(compare);
    return [{ ...primary, related: [...primary.related, ...copies.map((copy) => ({ file: copy.file, range: copy.range, message: 'the same finding in a built copy of this source' }))] }];
  });
}
