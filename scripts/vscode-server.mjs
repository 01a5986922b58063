// Shared by the integration and e2e runners: a throwaway copy of a fixture workspace, the
// browser-hosted VS Code (code-server, see ../shared/docs/vscode-e2e.md) in its own process
// group, the workbench URL that loads this repository as the extension under development,
// and headless Chromium through playwright-core.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, URLSearchParams } from 'node:url';
import { ensureE2eDeps } from './ensure-test-deps.mjs';
export { launchChromium } from './chromium.mjs';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const STARTUP_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 3_000;
/** Fails early, with the fix, when the bundles the server loads are missing. */
export function requireBuild(files) {
  const missing = files.filter((file) => !existsSync(path.join(repoRoot, file)));
  if (missing.length > 0) throw new Error(`Missing build output ${missing.join(', ')}: run "npm run build" first.`);
}

/** A fresh temporary directory holding a copy of test/fixtures/<name>, so tests may edit it. */
export function copyFixture(name, scratch) {
  const target = path.join(scratch, name);
  cpSync(path.join(repoRoot, 'test', 'fixtures', name), target, { recursive: true });
  return target;
}

export function makeScratchDir(prefix) {
  return mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
}

/**
 * Starts code-server on a free port. `trusted: false` leaves workspace trust on (Restricted
 * Mode); the seeded settings keep the trust prompt from blocking the workbench.
 */
export async function startCodeServer({ workspace, scratch, trusted = true, settings = {}, env = {}, log = () => {} }) {
  const { codeServerEntry } = ensureE2eDeps();
  const dataDir = path.join(scratch, 'data');
  mkdirSync(path.join(dataDir, 'User'), { recursive: true });
  writeFileSync(
    path.join(dataDir, 'User', 'settings.json'),
    JSON.stringify({
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'security.workspace.trust.startupPrompt': 'never',
      'security.workspace.trust.banner': 'never',
      'extensions.autoCheckUpdates': false,
      'telemetry.telemetryLevel': 'off',
      'git.openRepositoryInParentFolders': 'never',
      ...settings,
    }),
  );
  const args = [
    codeServerEntry,
    '--auth', 'none',
    '--bind-addr', '127.0.0.1:0',
    '--disable-telemetry',
    '--disable-update-check',
    // Its own config file, so nothing is written to the user's ~/.config.
    '--config', path.join(scratch, 'code-server.yaml'),
    '--user-data-dir', dataDir,
    '--extensions-dir', path.join(scratch, 'extensions'),
    ...(trusted ? ['--disable-workspace-trust'] : []),
    workspace,
  ];
  // VS Code leaves its IPC and git sockets in the temporary folder: give it one inside the
  // scratch folder, which is removed with it.
  const tmp = path.join(scratch, 'tmp');
  mkdirSync(tmp, { recursive: true });
  // detached: its own process group, so stop() also ends the extension host and watchers.
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: tmp, ...env } });
  const output = [];
  const collect = (chunk) => {
    const text = chunk.toString();
    output.push(text);
    log(text);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);

  const exited = new Promise((resolve) => child.once('exit', resolve));
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`code-server did not start within ${STARTUP_TIMEOUT_MS} ms:\n${output.join('')}`)), STARTUP_TIMEOUT_MS);
    const onData = () => {
      const match = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(output.join(''));
      if (!match) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      resolve(Number(match[1]));
    };
    child.stdout.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`code-server exited (${code}) before listening:\n${output.join('')}`));
    });
  }).catch(async (error) => {
    await stopGroup(child, exited);
    throw error;
  });

  return {
    port,
    output: () => output.join(''),
    stop: () => stopGroup(child, exited),
  };
}

async function stopGroup(child, exited) {
  if (child.exitCode !== null || child.signalCode !== null) {
    killGroup(child.pid, 'SIGKILL');
    return;
  }
  killGroup(child.pid, 'SIGTERM');
  const timer = new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS, 'timeout'));
  await Promise.race([exited, timer]);
  // Children that ignore SIGTERM (or outlive the leader) go with the whole group.
  killGroup(child.pid, 'SIGKILL');
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if (error.code !== 'ESRCH') throw error;
  }
}

/**
 * The workbench URL that opens `folder` with this repository as the extension under
 * development and, optionally, an extension test module run inside the extension host.
 */
export function workbenchUrl(port, { folder, extensionTestsPath }) {
  const remote = (file) => `vscode-remote://127.0.0.1:${port}${file}`;
  const payload = [['extensionDevelopmentPath', remote(repoRoot)]];
  if (extensionTestsPath) payload.push(['extensionTestsPath', remote(extensionTestsPath)]);
  const query = new URLSearchParams({ folder, payload: JSON.stringify(payload) });
  return `http://127.0.0.1:${port}/?${query}`;
}

export function removeScratch(scratch) {
  rmSync(scratch, { recursive: true, force: true });
}
