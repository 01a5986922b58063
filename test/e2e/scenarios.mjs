// The e2e scenarios: what a person does and sees. Each receives the open workbench page and
// what the CLI reports for the same workspace (so the test knows the exact message and count).
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { findingCountInStatusBar, openQuickFixes, problemRows, statusBarItem, quickOpen, runCommand, waitForSquiggle } from './workbench.mjs';

const ofRace = (race) => (label) => label.includes(race.message) && label.includes('Concurrency Lens');

export const trustedScenarios = [
  {
    name: 'Analyze Workspace closes its progress when it announces the result, whose "Show Problems" lists PY-RACE-001; the status item counts our findings by severity with our icon',
    screenshot: 'problems-panel',
    async run(page, { race, findingCount }) {
      await runCommand(page, 'Concurrency Lens: Analyze Workspace');
      const done = page.locator('.notification-toast', { hasText: /Concurrency Lens: \d+ findings? in \d+ files?/ });
      await done.waitFor({ timeout: 60_000 });
      // The host announces the result only after the progress has ended; the workbench then
      // takes a moment to remove the progress toast from the page.
      await page.locator('.notification-toast', { hasText: 'analyzing workspace' }).waitFor({ state: 'detached', timeout: 3_000 });
      await done.getByRole('button', { name: 'Show Problems' }).click();
      const labels = await problemRows(page, ofRace(race));
      assert.ok(labels.some((label) => /^Warning: /.test(label) && ofRace(race)(label)), 'the race is listed as a warning');
      const item = statusBarItem(page);
      const deadline = Date.now() + 30_000;
      while ((await findingCountInStatusBar(page)) !== findingCount && Date.now() < deadline) await page.waitForTimeout(250);
      assert.equal(await findingCountInStatusBar(page), findingCount);
      const text = (await item.textContent()) ?? '';
      assert.match(text, /\d+ warnings?/, `the item says what it counts: "${text}"`);
      assert.equal(await item.locator('.codicon-conclens-lanes').count(), 1, 'our own icon');
      assert.equal(await item.locator('.codicon-shield').count(), 0, 'no shield, which reads as Workspace Trust');
    },
  },
  {
    name: 'Opening the Python file shows the squiggle under the race',
    screenshot: 'editor-squiggle',
    async run(page) {
      await quickOpen(page, 'counter.py');
      await page.locator('.tab.active', { hasText: 'counter.py' }).waitFor();
      await waitForSquiggle(page);
    },
  },
  {
    name: 'Show Rule Documentation picks a rule and opens its README section offline',
    screenshot: 'rule-documentation',
    async run(page) {
      await page.keyboard.press('Escape');
      await runCommand(page, 'Concurrency Lens: Show Rule Documentation');
      await page.locator('.quick-input-widget input').fill('PY-DL-001');
      await page.locator('.quick-input-list .monaco-list-row').first().filter({ hasText: 'Lock-order inversion' }).waitFor();
      await page.keyboard.press('Enter');
      await page.locator('.tab', { hasText: 'README.md' }).first().waitFor();
      await page.locator('.tab', { hasText: 'Preview README.md' }).waitFor();
      await page.locator('.editor-instance .view-line', { hasText: 'PY-DL-001' }).first().waitFor();
    },
  },
  {
    name: 'Opening a TypeScript file lists its cache stampede JS-ASYNC-002 in the Problems panel',
    screenshot: 'typescript-problem',
    async run(page) {
      // The previous scenario leaves focus in the Markdown preview (a webview that can swallow
      // F1), so the file is opened from the Explorer.
      await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'cache.ts' }).click();
      await page.locator('.tab.active', { hasText: 'cache.ts' }).waitFor();
      await waitForSquiggle(page);
      await runCommand(page, 'View: Focus Problems');
      const isStampede = (label) => label.includes('state.client') && label.includes('is checked at line') && label.includes('Concurrency Lens');
      const labels = await problemRows(page, isStampede);
      assert.ok(labels.some((label) => /^Warning: /.test(label) && isStampede(label)), `a warning row for JS-ASYNC-002 (rows: ${labels.join(' | ')})`);
    },
  },
];

trustedScenarios.push({
  name: 'Ctrl+. on the cache stampede offers the real fix first (Enter applies it), then the documentation, suppression last',
  screenshot: 'quick-fix-applied',
  async run(page, { screenshot }) {
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'cache.ts' }).click();
    await page.locator('.tab.active', { hasText: 'cache.ts' }).waitFor();
    const titles = await openQuickFixes(page, /state\.client\s=\sawait\sconnect\(\)/);
    assert.match(titles[0] ?? '', /Cache the promise/, `offered: ${titles.join(' | ')}`);
    const docs = titles.findIndex((t) => t.includes('Show documentation for JS-ASYNC-002'));
    const suppress = titles.findIndex((t) => t.includes('Suppress JS-ASYNC-002 on this line'));
    assert.ok(docs > 0 && suppress > docs, `documentation before suppression, both after the fix: ${titles.join(' | ')}`);
    await screenshot('quick-fix-menu');
    await page.keyboard.press('Enter');
    await page.locator('.editor-instance .view-line', { hasText: /state\.client\s=\sconnect\(\)\.catch\(/ }).first().waitFor({ timeout: 30_000 });
  },
});

trustedScenarios.push({
  name: 'Ctrl+. on the Python race offers a new lock first (Enter adds it and takes it around the update), then the documentation, suppression last',
  screenshot: 'python-quick-fix-applied',
  async run(page) {
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'counter.py' }).click();
    await page.locator('.tab.active', { hasText: 'counter.py' }).waitFor();
    const titles = await openQuickFixes(page, /hits\s\+=\s1/);
    assert.match(titles[0] ?? '', /Guard it with a new lock/, `offered: ${titles.join(' | ')}`);
    const docs = titles.findIndex((t) => t.includes('Show documentation for PY-RACE-001'));
    const suppress = titles.findIndex((t) => t.includes('Suppress PY-RACE-001 on this line'));
    assert.ok(docs > 0 && suppress > docs, `documentation before suppression, both after the fix: ${titles.join(' | ')}`);
    await page.keyboard.press('Enter');
    await page.locator('.editor-instance .view-line', { hasText: /with\s_hits_lock:/ }).first().waitFor({ timeout: 30_000 });
    await page.locator('.editor-instance .view-line', { hasText: /_hits_lock\s=\sthreading\.Lock\(\)/ }).first().waitFor();
    // Later scenarios read counter.py from disk and the editor: leave it as it was.
    await runCommand(page, 'File: Revert File');
    await page.locator('.editor-instance .view-line', { hasText: /with\s_hits_lock:/ }).first().waitFor({ state: 'detached' });
  },
});

export const restrictedScenarios = [
  {
    name: 'Restricted Mode: analysis still reports PY-RACE-001',
    screenshot: 'restricted-mode',
    async run(page, { race }) {
      await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: 30_000 });
      await quickOpen(page, 'counter.py');
      await waitForSquiggle(page);
      await runCommand(page, 'View: Focus Problems');
      await problemRows(page, ofRace(race));
    },
  },
];

/** Copies of the racy counter module, so a workspace run lasts long enough to cancel. */
const LARGE_WORKSPACE_FILES = 4000;

export function makeWorkspaceLarge(workspace) {
  const template = readFileSync(path.join(workspace, 'counter.py'), 'utf8');
  for (let i = 0; i < LARGE_WORKSPACE_FILES; i += 1) {
    writeFileSync(path.join(workspace, `counter_${i}.py`), template.replaceAll('hits', `hits_${i}`));
  }
}

export const cancelScenarios = [
  {
    name: 'Cancelling Analyze Workspace stops the run and keeps the findings so far',
    screenshot: 'cancelled-run',
    async run(page, { findingCount }) {
      await runCommand(page, 'Concurrency Lens: Analyze Workspace');
      const progress = page.locator('.notification-toast', { hasText: 'analyzing workspace' });
      // Cancel once some files are done, so the run has partial findings to keep.
      await progress.filter({ hasText: /[1-9]\d* of \d+ files/ }).waitFor({ timeout: 60_000 });
      assert.match((await statusBarItem(page).textContent()) ?? '', /analyzing… \d+\/\d+/, 'the status item follows the run');
      await progress.getByRole('button', { name: 'Cancel' }).click();
      await progress.waitFor({ state: 'detached', timeout: 30_000 });
      // A run that ignored the cancel would finish within seconds and announce its totals.
      await page.waitForTimeout(3_000);
      assert.equal(await page.locator('.notification-toast', { hasText: /Concurrency Lens: \d+ findings? in/ }).count(), 0);
      const shown = await findingCountInStatusBar(page);
      assert.ok(shown > 0 && shown < findingCount, `the cancelled run shows ${shown} of the ${findingCount} findings a full run reports`);
    },
  },
  {
    name: 'Clicking the status bar count opens the Problems panel',
    screenshot: 'status-bar-click',
    async run(page) {
      const markers = page.locator('[id="workbench.panel.markers"]');
      assert.equal(await markers.isVisible(), false, 'the Problems panel starts hidden in this pass');
      await statusBarItem(page).click();
      await markers.waitFor({ state: 'visible', timeout: 30_000 });
    },
  },
];
