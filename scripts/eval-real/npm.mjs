// The TS/JS side of eval:real: the packages of eval/real/npm/package.json (exact versions,
// with a lockfile) installed into its ignored node_modules without running install scripts,
// each top-level package analyzed (the analyzer skips nested node_modules by design).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

function ensureInstalled(dir) {
  const lock = path.join(dir, 'package-lock.json');
  const installedLock = path.join(dir, 'node_modules', '.package-lock.json');
  if (existsSync(installedLock) && statSync(installedLock).mtimeMs >= statSync(lock).mtimeMs) return;
  const run = spawnSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  if (run.status !== 0) throw new Error(`npm ci in ${dir} failed`);
}

/** Every installed package folder, scoped ones included (`@scope/name`). */
function installedPackages(modules) {
  return readdirSync(modules, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .flatMap((entry) =>
      entry.name.startsWith('@')
        ? readdirSync(path.join(modules, entry.name), { withFileTypes: true })
            .filter((inner) => inner.isDirectory())
            .map((inner) => `${entry.name}/${inner.name}`)
        : [entry.name],
    );
}

export function npmPackageRoots(dir) {
  ensureInstalled(dir);
  const modules = path.join(dir, 'node_modules');
  const direct = Object.keys(JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).dependencies ?? {});
  const roots = installedPackages(modules).sort();
  return { base: modules, roots, description: `${direct.length} packages and their dependencies (${roots.length} installed)` };
}
