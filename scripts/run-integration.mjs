// Runs the in-host mocha suites (out/test/integration/index.js) inside a real VS Code on a
// throwaway copy of test/fixtures/workspace, in two passes: a trusted workspace for every
// suite but the `@restricted` ones, then Restricted Mode for those. The suites write a result
// file (the host's exit code cannot be trusted, see ../shared/docs/vscode-e2e.md); this script
// prints "N passed, M failed" and exits non-zero on any failure or a missing result.
//
// With VSCODE_EXECUTABLE set it drives that desktop VS Code through @vscode/test-electron;
// otherwise the browser-hosted code-server in headless Chromium.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  copyFixture,
  launchChromium,
  makeScratchDir,
  removeScratch,
  repoRoot,
  requireBuild,
  startCodeServer,
  workbenchUrl,
} from './vscode-server.mjs';
import { ensureE2eDeps } from './ensure-test-deps.mjs';

const RESULT_TIMEOUT_MS = 240_000;
const testsModule = path.join(repoRoot, 'out', 'test', 'integration', 'index.js');
const verbose = process.argv.includes('--verbose');

/** The two passes; env names match test/integration/index.ts. */
const PASSES = [
  { name: 'trusted workspace', trusted: true, env: { CONCLENS_TEST_GREP: '@restricted', CONCLENS_TEST_INVERT_GREP: '1' } },
  { name: 'Restricted Mode', trusted: false, env: { CONCLENS_TEST_GREP: '@restricted' } },
];

function readResult(file) {
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8'));
}

async function waitForFile(file, timeoutMs, isAlive) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(file)) {
      // The writer finishes in one call; a short pause avoids reading a half-written file.
      await new Promise((resolve) => setTimeout(resolve, 200));
      return true;
    }
    if (!isAlive()) return existsSync(file);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

async function runPassInCodeServer(pass, browser) {
  const scratch = makeScratchDir('conclens-integration');
  const resultFile = path.join(scratch, 'result.json');
  const workspace = copyFixture('workspace', scratch);
  let server;
  let context;
  try {
    server = await startCodeServer({
      workspace,
      scratch,
      trusted: pass.trusted,
      env: { ...pass.env, CONCLENS_TEST_RESULT: resultFile },
      log: verbose ? (text) => process.stdout.write(text) : undefined,
    });
    context = await browser.newContext();
    const page = await context.newPage();
    let pageClosed = false;
    page.on('close', () => (pageClosed = true));
    if (verbose) page.on('console', (message) => console.log(`[page] ${message.text()}`));
    await page.goto(workbenchUrl(server.port, { folder: workspace, extensionTestsPath: testsModule }));
    // When run() settles the extension host exits (and the page usually closes); the result
    // file must exist by then. A run() that dies before writing it must not cost the timeout.
    const hostExited = () => pageClosed || /Extension Host Process exited/.test(server.output());
    const written = await waitForFile(resultFile, RESULT_TIMEOUT_MS, () => !hostExited());
    if (!written) {
      return { error: `no result file after ${hostExited() ? 'the extension host exited' : `${RESULT_TIMEOUT_MS / 1000} s`}`, log: server.output() };
    }
    return { result: readResult(resultFile) };
  } finally {
    await context?.close().catch(() => undefined);
    await server?.stop();
    removeScratch(scratch);
  }
}

async function runPassInElectron(pass, executable) {
  const { runTests } = await import('@vscode/test-electron');
  const scratch = makeScratchDir('conclens-integration');
  const resultFile = path.join(scratch, 'result.json');
  const workspace = copyFixture('workspace', scratch);
  try {
    await runTests({
      vscodeExecutablePath: executable,
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: testsModule,
      extensionTestsEnv: { ...pass.env, CONCLENS_TEST_RESULT: resultFile },
      launchArgs: [
        workspace,
        '--disable-extensions',
        '--skip-welcome',
        '--user-data-dir', path.join(scratch, 'data'),
        ...(pass.trusted ? ['--disable-workspace-trust'] : []),
      ],
    }).catch(() => undefined); // the result file, not the exit code, decides
    const result = readResult(resultFile);
    return result ? { result } : { error: 'no result file was written' };
  } finally {
    removeScratch(scratch);
  }
}

async function main() {
  requireBuild(['dist/extension.js', 'out/test/integration/index.js']);
  const executable = process.env.VSCODE_EXECUTABLE;
  if (!executable) ensureE2eDeps();
  const browser = executable ? undefined : await launchChromium();
  let passed = 0;
  let failed = 0;
  try {
    for (const pass of PASSES) {
      const started = Date.now();
      const outcome = executable ? await runPassInElectron(pass, executable) : await runPassInCodeServer(pass, browser);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      if (outcome.error) {
        failed += 1;
        console.error(`[${pass.name}] ${outcome.error} (${seconds} s)`);
        if (outcome.log) console.error(outcome.log);
        continue;
      }
      const { result } = outcome;
      passed += result.passed;
      failed += result.failed;
      console.log(`[${pass.name}] ${result.passed} passed, ${result.failed} failed (${seconds} s)`);
      for (const failure of result.failures) console.error(`  ✗ ${failure.title}\n    ${failure.error.split('\n').join('\n    ')}`);
      if (result.passed + result.failed === 0) {
        failed += 1;
        console.error(`[${pass.name}] no test ran: the suite filter matched nothing`);
      }
    }
  } finally {
    await browser?.close();
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
}

main().catch((error) => {
  console.error(`run-integration: ${error.message}`);
  console.log('0 passed, 1 failed');
  process.exitCode = 1;
});
