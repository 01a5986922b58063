// End-to-end: headless Chromium drives the browser-hosted VS Code (code-server) with this
// repository loaded as the extension under development, on a copy of test/fixtures/workspace.
// One pass trusts the workspace, a second runs in Restricted Mode. Screenshots go to
// test-results/ (always for each scenario, plus one on failure, with the extension's log
// kept beside it). Prints "N passed, M failed".
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { cancelScenarios, makeWorkspaceLarge, restrictedScenarios, trustedScenarios } from '../test/e2e/scenarios.mjs';
import { prepareProfilingWorkspace, profilingScenarios } from '../test/e2e/profiling.mjs';
import { waitForWorkbench } from '../test/e2e/workbench.mjs';
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

const resultsDir = path.join(repoRoot, 'test-results');
const verbose = process.argv.includes('--verbose');

const PASSES = [
  { name: 'trusted', trusted: true, scenarios: trustedScenarios },
  { name: 'restricted', trusted: false, scenarios: restrictedScenarios },
  { name: 'cancel', trusted: true, scenarios: cancelScenarios, prepare: makeWorkspaceLarge },
  { name: 'profile', trusted: true, scenarios: profilingScenarios, prepare: prepareProfilingWorkspace },
];

/** What the CLI reports for the workspace: the PY-RACE-001 text and the finding count the UI must show. */
function expectedFindings(workspace) {
  const cli = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'cli.js'), 'analyze', workspace, '--format', 'sarif', '--workers', '0'], {
    cwd: workspace,
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
  });
  if (cli.status !== 0 && cli.status !== 1) throw new Error(`the CLI failed (exit ${cli.status ?? cli.error?.message}): ${cli.stderr}`);
  const results = JSON.parse(cli.stdout).runs.flatMap((run) => run.results);
  const race = results.find((result) => result.ruleId === 'PY-RACE-001');
  if (!race) throw new Error('the CLI reports no PY-RACE-001 for test/fixtures/workspace: fix the analyzer or the fixture first');
  return { race: { message: race.message.text }, findingCount: results.length };
}

/**
 * Keeps the extension's own log (its "Concurrency Lens" output channel, which VS Code writes
 * under the user data folder) beside a failure's screenshot: what the host saw and did (a
 * panel it could not restore, a worker that died) is only there.
 */
function keepExtensionLog(scratch, name) {
  const logs = path.join(scratch, 'data', 'logs');
  if (!existsSync(logs)) return undefined;
  const file = readdirSync(logs, { recursive: true }).map(String).find((f) => path.basename(f).endsWith('Concurrency Lens.log'));
  if (!file) return undefined;
  const kept = path.join(resultsDir, `${name}-failed.log`);
  copyFileSync(path.join(logs, file), kept);
  return kept;
}

async function runPass(pass, browser, tally) {
  const scratch = makeScratchDir(`conclens-e2e-${pass.name}`);
  let server;
  let context;
  try {
    const workspace = copyFixture('workspace', scratch);
    pass.prepare?.(workspace);
    const expected = expectedFindings(workspace);
    server = await startCodeServer({ workspace, scratch, trusted: pass.trusted, log: verbose ? (t) => process.stdout.write(t) : undefined });
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    await page.goto(workbenchUrl(server.port, { folder: workspace }));
    await waitForWorkbench(page);
    for (const scenario of pass.scenarios) {
      const started = Date.now();
      try {
        // A scenario may also keep a picture of a state it passes through (a menu, a prompt).
        const screenshot = (name) => page.screenshot({ path: path.join(resultsDir, `${name}.png`) });
        await scenario.run(page, { ...expected, screenshot });
        tally.passed += 1;
        console.log(`✓ [${pass.name}] ${scenario.name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
        await page.screenshot({ path: path.join(resultsDir, `${scenario.screenshot}.png`) });
      } catch (error) {
        tally.failed += 1;
        const shot = path.join(resultsDir, `${scenario.screenshot}-failed.png`);
        await page.screenshot({ path: shot }).catch(() => undefined);
        const log = keepExtensionLog(scratch, scenario.screenshot);
        console.error(`✗ [${pass.name}] ${scenario.name}\n    ${error.message.split('\n').join('\n    ')}\n    screenshot: ${path.relative(repoRoot, shot)}` +
          (log ? `\n    extension log: ${path.relative(repoRoot, log)}` : ''));
      }
    }
  } catch (error) {
    // The pass could not start (server, workbench, CLI): its scenarios count as failed.
    tally.failed += pass.scenarios.length;
    console.error(`✗ [${pass.name}] could not run: ${error.message}`);
    if (server && verbose) console.error(server.output());
    if (context) {
      const page = context.pages()[0];
      await page?.screenshot({ path: path.join(resultsDir, `${pass.name}-setup-failed.png`) }).catch(() => undefined);
    }
  } finally {
    await context?.close().catch(() => undefined);
    await server?.stop();
    removeScratch(scratch);
  }
}

async function main() {
  requireBuild(['dist/extension.js', 'dist/cli.js']);
  ensureE2eDeps();
  mkdirSync(resultsDir, { recursive: true });
  const browser = await launchChromium();
  const tally = { passed: 0, failed: 0 };
  try {
    for (const pass of PASSES) await runPass(pass, browser, tally);
  } finally {
    await browser.close();
  }
  console.log(`${tally.passed} passed, ${tally.failed} failed`);
  process.exitCode = tally.failed > 0 || tally.passed === 0 ? 1 : 0;
}

main().catch((error) => {
  console.error(`run-e2e: ${error.message}`);
  console.log('0 passed, 1 failed');
  process.exitCode = 1;
});
