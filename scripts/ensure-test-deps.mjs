// Installs what the test tiers need, once, before the first tier that needs it: Debian's
// chromium (browser, in-host and e2e tiers), ripgrep, python3-distributed (the profiler's
// Dask runs, on /usr/bin/python3), and the VS Code server of the
// code-server npm package (cached under .vscode-test/, installed offline-safe per
// ../shared/docs/vscode-e2e.md). As a script (`npm test` runs it first) it installs all of
// it; as a module each tier asks for what it uses (`ensureChromium()`, `ensureE2eDeps()`,
// `ensureDask()`).
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, symlinkSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_PATH } from './chromium.mjs';

export const CODE_SERVER_VERSION = '4.100.3';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const codeServerCache = path.join(repoRoot, '.vscode-test', `code-server-${CODE_SERVER_VERSION}`);
export const codeServerEntry = path.join(codeServerCache, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const vscodeDir = path.join(codeServerCache, 'node_modules', 'code-server', 'lib', 'vscode');
/** Written last, so a half-finished install (interrupted, failed) is redone instead of reused. */
const completeMarker = path.join(codeServerCache, '.complete');

class MissingDependencyError extends Error {}

function run(command, args, cwd, extraEnv = {}) {
  const result = spawnSync(command, args, { cwd, stdio: 'inherit', env: { ...process.env, ...extraEnv } });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) failed with exit code ${result.status ?? result.signal}`);
  }
}

/** The executable `command` on PATH, looked up without a shell. */
function whichSync(command) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this PATH entry
    }
  }
  return undefined;
}

/** Debian's Python, for which Debian packages Dask. */
export const SYSTEM_PYTHON = '/usr/bin/python3';

/** Debian packages the tiers use, each with the test that tells whether it is there. */
const SYSTEM_PACKAGES = {
  chromium: () => existsSync(CHROMIUM_PATH),
  ripgrep: () => whichSync('rg') !== undefined,
  'python3-distributed': () => spawnSync(SYSTEM_PYTHON, ['-c', 'import distributed'], { stdio: 'ignore' }).status === 0,
};

/** Installs the missing ones among `names` with apt-get (root), or says what to install. */
function ensureSystemPackages(names = Object.keys(SYSTEM_PACKAGES)) {
  const missing = names.filter((name) => !SYSTEM_PACKAGES[name]());
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new MissingDependencyError(`Install the system packages first: sudo apt-get install -y ${missing.join(' ')}`);
  }
  run('apt-get', ['update'], repoRoot);
  run('apt-get', ['install', '-y', ...missing], repoRoot, { DEBIAN_FRONTEND: 'noninteractive' });
}

function installCodeServer() {
  rmSync(codeServerCache, { recursive: true, force: true });
  mkdirSync(codeServerCache, { recursive: true });
  // A private package.json keeps npm from walking up into the repository's own manifest.
  writeFileSync(path.join(codeServerCache, 'package.json'), JSON.stringify({ name: 'code-server-cache', private: true }));
  const npm = 'npm';
  run(npm, ['install', '--ignore-scripts', '--no-audit', '--no-fund', `code-server@${CODE_SERVER_VERSION}`], codeServerCache);
  // code-server's entry loads argon2 even with --auth none.
  run(npm, ['rebuild', 'argon2'], codeServerCache);
  run(npm, ['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], vscodeDir);
  // @vscode/ripgrep's postinstall downloads from GitHub; the system rg does the same job.
  const rgBin = path.join(vscodeDir, 'node_modules', '@vscode', 'ripgrep', 'bin');
  mkdirSync(rgBin, { recursive: true });
  rmSync(path.join(rgBin, 'rg'), { force: true });
  symlinkSync(whichSync('rg'), path.join(rgBin, 'rg'));
  run(npm, ['rebuild', '@vscode/spdlog', 'native-watchdog'], vscodeDir);
  rmSync(path.join(vscodeDir, 'node_modules.asar'), { force: true });
  symlinkSync('node_modules', path.join(vscodeDir, 'node_modules.asar'));
  writeFileSync(completeMarker, `${CODE_SERVER_VERSION}\n`);
}

/** The browser tier and the timeline benchmark need Chromium only. */
export function ensureChromium() {
  ensureSystemPackages(['chromium']);
  return CHROMIUM_PATH;
}

/** The profiler's Dask runs: an interpreter that has `distributed`. */
export function ensureDask() {
  ensureSystemPackages(['python3-distributed']);
  return SYSTEM_PYTHON;
}

/** Installs what the VS Code tiers miss and returns the paths their runners need. */
export function ensureE2eDeps() {
  ensureSystemPackages();
  if (!existsSync(completeMarker) || !existsSync(codeServerEntry)) {
    console.log(`Installing code-server ${CODE_SERVER_VERSION} into ${path.relative(repoRoot, codeServerCache)} (once)…`);
    installCodeServer();
  }
  return { codeServerEntry, chromiumPath: CHROMIUM_PATH };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const { codeServerEntry: entry } = ensureE2eDeps();
    console.log(`Test dependencies ready: ${CHROMIUM_PATH}, ${path.relative(repoRoot, entry)}`);
  } catch (error) {
    console.error(error instanceof MissingDependencyError ? error.message : `ensure-test-deps: ${error.message}`);
    process.exit(1);
  }
}
