import { existsSync, type Dirent, type Stats } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Minimatch } from 'minimatch';
import type { Notice } from '../shared/findings';
import { nonRegularKind, notRegular } from './decode';
import { analyzerForPath } from './index';

/** Directories that hold tools, caches or dependencies rather than the project's own code. */
const SKIPPED_DIR_NAMES = new Set(['.git', 'node_modules', '__pycache__', '.venv', 'venv']);

/** A Python virtual environment under any name: `pyvenv.cfg` (venv, virtualenv) or `env/bin/activate`. */
function isVirtualEnv(dir: string, name: string): boolean {
  if (existsSync(path.join(dir, 'pyvenv.cfg'))) return true;
  return name === 'env' && existsSync(path.join(dir, 'bin', 'activate'));
}

/** An exclude glob minimatch refuses (too long, too many extglobs…); names the option and the glob. */
export class InvalidGlobError extends Error {
  constructor(
    readonly index: number,
    glob: string,
    reason: string,
  ) {
    const shown = glob.length > 60 ? `(a glob of ${glob.length} characters)` : JSON.stringify(glob);
    super(`exclude[${index}] ${shown}: ${reason}`);
    this.name = 'InvalidGlobError';
  }
}

/**
 * Exclude globs, matched against paths relative to the root with `/` separators. An invalid
 * glob throws InvalidGlobError, or, given `invalid`, is reported there and left out.
 */
export function excludeMatcher(exclude: string[], root: string, invalid?: (error: InvalidGlobError) => void): (absolutePath: string) => boolean {
  const patterns: Minimatch[] = [];
  exclude.forEach((glob, index) => {
    try {
      patterns.push(new Minimatch(glob, { dot: true, matchBase: !glob.includes('/') }));
    } catch (error) {
      const problem = new InvalidGlobError(index, glob, error instanceof Error ? error.message : String(error));
      if (!invalid) throw problem;
      invalid(problem);
    }
  });
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

export interface Discovery {
  /** Absolute paths of the files to analyze, sorted, without duplicates. */
  files: string[];
  /** Paths found but skipped: each is a file or directory the run does not analyze. */
  notices: Notice[];
}

/** The directory listing of the walk; tests pass one that changes the tree as it is walked. */
export type ReadDirectory = (dir: string) => Promise<Dirent[]>;

const readDirectory: ReadDirectory = (dir) => readdir(dir, { withFileTypes: true });

function directoryNotice(dir: string, error: unknown): Notice {
  const code = (error as NodeJS.ErrnoException).code ?? String(error);
  const why = code === 'ENOENT' ? 'it vanished during the walk' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : 'cannot read it';
  return { file: dir, message: `skipped directory: ${why} (${code})` };
}

/** Some file systems do not say what an entry is; the walk asks stat then. */
function typeUnknown(entry: Dirent): boolean {
  return !(entry.isFile() || entry.isDirectory() || entry.isSymbolicLink() || entry.isFIFO() || entry.isSocket() || entry.isCharacterDevice() || entry.isBlockDevice());
}

/**
 * The files of `paths` that an analyzer handles, in one walk: directories are walked (not
 * following symbolic links to directories, so link cycles cannot trap the walk), tool and
 * dependency directories and `exclude` globs are skipped, and only regular files are taken (a
 * FIFO or a device is never opened). A directory that cannot be read or vanishes during the walk
 * costs a notice, not the run; a path given that does not exist is the caller's mistake and throws.
 */
export async function discoverSources(
  paths: string[],
  opts: { root?: string; exclude: string[]; readDirectory?: ReadDirectory },
): Promise<Discovery> {
  const root = path.resolve(opts.root ?? process.cwd());
  const isExcluded = excludeMatcher(opts.exclude, root);
  const list = opts.readDirectory ?? readDirectory;
  const found = new Set<string>();
  const notices: Notice[] = [];

  async function walk(dir: string): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await list(dir);
    } catch (error) {
      notices.push(directoryNotice(dir, error));
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (isExcluded(full)) continue;
      const unknown = typeUnknown(entry);
      const isDirectory = entry.isDirectory() || (unknown && (await lstat(full).catch(() => undefined))?.isDirectory());
      if (isDirectory) {
        if (SKIPPED_DIR_NAMES.has(entry.name) || isVirtualEnv(full, entry.name)) continue;
        await walk(full);
      } else if (analyzerForPath(entry.name) && (entry.isFile() || ((entry.isSymbolicLink() || unknown) && (await isFile(full))))) {
        found.add(full);
      }
    }
  }

  for (const given of paths) {
    const full = path.resolve(root, given);
    let info: Stats;
    try {
      info = await stat(full);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new PathNotFoundError(given);
      notices.push({ file: full, message: `skipped: cannot read it (${code ?? String(error)})` });
      continue;
    }
    if (info.isDirectory()) {
      if (!isExcluded(full)) await walk(full);
    } else if (analyzerForPath(full) && !isExcluded(full)) {
      const kind = nonRegularKind(info);
      if (kind) notices.push({ file: full, message: `skipped: ${notRegular(kind)}` });
      else found.add(full);
    }
  }
  return { files: [...found].sort(), notices };
}

/** The files of `paths` alone (see discoverSources); skipped paths are left out silently. */
export async function discoverFiles(paths: string[], opts: { root?: string; exclude: string[] }): Promise<string[]> {
  return (await discoverSources(paths, opts)).files;
}

async function isFile(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined))?.isFile() ?? false;
}
