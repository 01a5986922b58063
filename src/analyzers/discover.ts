import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Minimatch } from 'minimatch';
import { analyzerForPath } from './index';

/** Directories that hold tools, caches or dependencies rather than the project's own code. */
const SKIPPED_DIR_NAMES = new Set(['.git', 'node_modules', '__pycache__', '.venv', 'venv']);

/** A Python virtual environment under any name: `pyvenv.cfg` (venv, virtualenv) or `env/bin/activate`. */
function isVirtualEnv(dir: string, name: string): boolean {
  if (existsSync(path.join(dir, 'pyvenv.cfg'))) return true;
  return name === 'env' && existsSync(path.join(dir, 'bin', 'activate'));
}

/** Exclude globs, matched against paths relative to the root with `/` separators. */
export function excludeMatcher(exclude: string[], root: string): (absolutePath: string) => boolean {
  const patterns = exclude.map((glob) => new Minimatch(glob, { dot: true, matchBase: !glob.includes('/') }));
  return (absolutePath) => {
    const relative = path.relative(root, absolutePath).split(path.sep).join('/');
    if (relative === '' || relative.startsWith('../')) return false;
    // `build/**` and `build` both exclude the directory and everything under it.
    return patterns.some((pattern) => pattern.match(relative) || pattern.match(`${relative}/`) || pattern.match(`${relative}/x`));
  };
}

export class PathNotFoundError extends Error {
  constructor(readonly path: string) {
    super(`path not found: ${path}`);
    this.name = 'PathNotFoundError';
  }
}

/**
 * The files of `paths` that an analyzer handles: directories are walked (not following
 * symbolic links to directories, so link cycles cannot trap the walk), tool and dependency
 * directories and `exclude` globs are skipped. Sorted and free of duplicates.
 */
export async function discoverFiles(paths: string[], opts: { root?: string; exclude: string[] }): Promise<string[]> {
  const root = path.resolve(opts.root ?? process.cwd());
  const isExcluded = excludeMatcher(opts.exclude, root);
  const found = new Set<string>();

  async function walk(dir: string): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (isExcluded(full)) continue;
      if (entry.isDirectory()) {
        if (SKIPPED_DIR_NAMES.has(entry.name) || isVirtualEnv(full, entry.name)) continue;
        await walk(full);
      } else if (analyzerForPath(entry.name) && (entry.isFile() || (entry.isSymbolicLink() && (await isFile(full))))) {
        found.add(full);
      }
    }
  }

  for (const given of paths) {
    const full = path.resolve(root, given);
    const info = await stat(full).catch(() => undefined);
    if (!info) throw new PathNotFoundError(given);
    if (info.isDirectory()) {
      if (!isExcluded(full)) await walk(full);
    } else if (analyzerForPath(full) && !isExcluded(full)) {
      found.add(full);
    }
  }
  return [...found].sort();
}

async function isFile(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined))?.isFile() ?? false;
}
