// Saves docs/timeline.png for the README: a real profile of examples/profiling/lock_contended.py
// run through "Profile Function Under Pools" in code-server (headless Chromium), screenshotted
// once the timeline panel, beside the code in a split editor, shows the verdict. Needs
// `npm run build` first.
import { cpSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { waitForWorkbench, runCommand, quickOpen } from '../test/e2e/workbench.mjs';
import { launchChromium, makeScratchDir, removeScratch, repoRoot, requireBuild, startCodeServer, workbenchUrl } from './vscode-server.mjs';
import { ensureE2eDeps } from './ensure-test-deps.mjs';

const output = path.join(repoRoot, 'docs', 'timeline.png');
const FILE = 'lock_contended.py';
const FUNCTION_LINE = 21; // inside deposit_many
const TASKS = '[20000] * 8';

async function main() {
  requireBuild(['dist/extension.js', 'dist/webview.js']);
  ensureE2eDeps();
  const scratch = makeScratchDir('conclens-screenshot');
  const workspace = path.join(scratch, 'profiling');
  cpSync(path.join(repoRoot, 'examples', 'profiling'), workspace, { recursive: true });
  let server;
  const browser = await launchChromium();
  try {
    server = await startCodeServer({
      workspace,
      scratch,
      settings: {
        'concurrencyLens.profiler.workers': [1, 2],
        'concurrencyLens.profiler.repeat': 1,
        'workbench.activityBar.location': 'hidden',
        'workbench.sideBar.location': 'right',
      },
    });
    const page = await (await browser.newContext({ viewport: { width: 1600, height: 1000 } })).newPage();
    await page.goto(workbenchUrl(server.port, { folder: workspace }));
    await waitForWorkbench(page);
    await runCommand(page, 'View: Close Primary Side Bar');
    await quickOpen(page, FILE);
    await page.locator('.tab.active', { hasText: FILE }).first().waitFor();
    await runCommand(page, 'Go to Line/Column...');
    await page.locator('.quick-input-widget input').fill(`:${FUNCTION_LINE}`);
    await page.keyboard.press('Enter');
    await runCommand(page, 'Concurrency Lens: Profile Function Under Pools');
    // Bigger tasks than the `# conclens: tasks=` default, so the pools have work worth a picture.
    await page.locator('.quick-input-widget input').fill(TASKS);
    await page.keyboard.press('Enter');
    const panel = page.frameLocator('iframe.webview.ready[src*="extensionId=conclens.concurrency-lens"]').frameLocator('iframe#active-frame');
    await panel.locator('[data-testid="verdict"]').waitFor({ timeout: 180_000 });
    // The panel as people see it: beside the code, in a split editor.
    await panel.locator('[data-testid="timeline-summary"]', { hasText: 'Visible range' }).waitFor();
    // The thread run at 2 workers, where the one lock makes the threads wait for each other.
    await panel.locator('[data-testid="run-kind"]').selectOption('thread');
    await panel.locator('[data-testid="run-workers"]').selectOption('2');
    await runCommand(page, 'Notifications: Clear All Notifications');
    await page.waitForTimeout(1500);
    mkdirSync(path.dirname(output), { recursive: true });
    await page.screenshot({ path: output });
    console.log(`Saved ${path.relative(repoRoot, output)}`);
  } finally {
    await browser.close();
    await server?.stop();
    removeScratch(scratch);
  }
}

main().catch((error) => {
  console.error(`screenshot-panel: ${error.message}`);
  process.exitCode = 1;
});
