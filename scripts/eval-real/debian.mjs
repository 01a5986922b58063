// The Python side of eval:real: Debian's python3-* packages pinned in
// eval/real/python/packages.txt (`name=version` per line, `#` comments), installed with
// apt-get for /usr/bin/python3 when missing (as root), analyzed where dpkg put them.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const DIST_PACKAGES = '/usr/lib/python3/dist-packages';

function pinnedPackages(dir) {
  return readFileSync(path.join(dir, 'packages.txt'), 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter(Boolean)
    .map((line) => {
      const [name, version] = line.split('=');
      return { name, version };
    });
}

function installedVersion(name) {
  const query = spawnSync('dpkg-query', ['-W', '-f', '${Version}', name], { encoding: 'utf8' });
  return query.status === 0 ? query.stdout.trim() : undefined;
}

function ensureInstalled(packages) {
  const missing = packages.filter((p) => installedVersion(p.name) !== p.version);
  if (missing.length === 0) return;
  const specs = missing.map((p) => `${p.name}=${p.version}`);
  if (process.getuid?.() !== 0) throw new Error(`install the pinned packages first: sudo apt-get install -y ${specs.join(' ')}`);
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', ...specs]]) {
    const run = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (run.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed`);
  }
}

/** The top-level modules and packages a Debian package put into dist-packages. */
function topLevelEntries(name) {
  const listing = spawnSync('dpkg', ['-L', name], { encoding: 'utf8' }).stdout ?? '';
  const tops = new Set();
  for (const file of listing.split('\n')) {
    if (!file.startsWith(`${DIST_PACKAGES}/`)) continue;
    const top = file.slice(DIST_PACKAGES.length + 1).split('/')[0];
    if (top.endsWith('.dist-info') || top.endsWith('.egg-info') || top.endsWith('.pth')) continue;
    // Only what `import` can reach: python3-kafka also ships a copy under `kafka-python/`.
    if (/^[A-Za-z_]\w*(\.py)?$/.test(top)) tops.add(top);
  }
  return [...tops].filter((top) => existsSync(path.join(DIST_PACKAGES, top)));
}

export function pythonPackageRoots(dir) {
  const packages = pinnedPackages(dir);
  ensureInstalled(packages);
  const roots = [...new Set(packages.flatMap((p) => topLevelEntries(p.name)))].sort();
  return { base: DIST_PACKAGES, roots, description: `${packages.length} packages (${roots.length} top-level modules)` };
}
