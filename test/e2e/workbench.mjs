// A person's moves in the browser-hosted workbench, as playwright-core steps. Selectors and
// aria-labels are the ones ../../../shared/docs/vscode-e2e.md lists for VS Code 1.100.

export const WORKBENCH_READY_MS = 90_000;

export async function waitForWorkbench(page) {
  await page.locator('.monaco-workbench').waitFor({ timeout: WORKBENCH_READY_MS });
  // The explorer shows the folder once the remote file system is connected.
  await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: WORKBENCH_READY_MS });
}

const quickInput = (page) => page.locator('.quick-input-widget input');
const firstQuickRow = (page) => page.locator('.quick-input-list .monaco-list-row').first();

/**
 * Opens the palette and picks the entry whose label starts with `label`. Commands of an
 * extension that is still activating appear late, so the palette is reopened until it shows.
 */
export async function pick(page, text, label, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    await quickInput(page).waitFor();
    await quickInput(page).fill(text);
    try {
      await firstQuickRow(page).filter({ hasText: label }).waitFor({ timeout: 5_000 });
      await page.keyboard.press('Enter');
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`the quick input never offered "${label}" for "${text}": ${error.message}`);
    }
  }
}

export const runCommand = (page, title) => pick(page, `>${title}`, title);

export const quickOpen = (page, fileName) => pick(page, fileName, fileName);

/** aria-labels of the Problems panel rows, once one of them satisfies `accept`. */
export async function problemRows(page, accept, timeoutMs = 60_000) {
  const rows = page.locator('[id="workbench.panel.markers"] .monaco-list-row');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const labels = await rows.evaluateAll((elements) => elements.map((e) => e.getAttribute('aria-label') ?? ''));
    if (labels.some(accept)) return labels;
    if (Date.now() > deadline) throw new Error(`no Problems row matched; rows were:\n  ${labels.join('\n  ') || '(none)'}`);
    await page.waitForTimeout(250);
  }
}

/** The squiggles of the active editor: `.squiggly-warning` / `.squiggly-error` decorations. */
export async function waitForSquiggle(page, timeoutMs = 60_000) {
  await page
    .locator('.editor-instance .monaco-editor .squiggly-warning, .editor-instance .monaco-editor .squiggly-error')
    .first()
    .waitFor({ state: 'attached', timeout: timeoutMs });
}

/** Our status bar entry, found by its accessible label "Concurrency Lens: N findings". */
export const statusBarItem = (page) =>
  page.locator('.statusbar-item[aria-label^="Concurrency Lens: "], .statusbar-item [aria-label^="Concurrency Lens: "]').first();

/** The number in the "Concurrency Lens: N findings" status bar item. */
export async function findingCountInStatusBar(page) {
  const label = await statusBarItem(page).getAttribute('aria-label', { timeout: 30_000 });
  const match = /Concurrency Lens: (\d+) finding/.exec(label ?? '');
  if (!match) throw new Error(`unexpected status bar label: ${label}`);
  return Number(match[1]);
}

/**
 * Puts the cursor on the squiggle of the line matching `lineText` (a string or RegExp, as
 * Playwright's hasText) and opens the quick-fix menu (Ctrl+.); returns the titles it offers, in
 * order. Right after a tab switch the editor can still show the previous file's squiggles for a
 * frame, so the squiggle is matched to the line by position, and the click is repeated until
 * the menu opens.
 */
export async function openQuickFixes(page, lineText, timeoutMs = 60_000) {
  const squiggles = page.locator('.editor-instance .monaco-editor .squiggly-warning, .editor-instance .monaco-editor .squiggly-error');
  const line = page.locator('.editor-instance .view-line', { hasText: lineText }).first();
  const rows = page.locator('.action-widget .monaco-list-row.action');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lineBox = await line.boundingBox();
    const boxes = lineBox ? await squiggles.evaluateAll((elements) => elements.map((e) => e.getBoundingClientRect().toJSON())) : [];
    const onLine = boxes.find((box) => lineBox && Math.abs(box.top + box.height / 2 - (lineBox.y + lineBox.height / 2)) < lineBox.height / 2);
    if (onLine) {
      await page.mouse.click(onLine.left + Math.min(8, onLine.width / 2), lineBox.y + lineBox.height / 2);
      await page.keyboard.press('Control+.');
      try {
        await rows.first().waitFor({ timeout: 5_000 });
        return (await rows.allTextContents()).map((t) => t.trim());
      } catch {
        await page.keyboard.press('Escape');
      }
    }
    if (Date.now() > deadline) throw new Error(`no quick-fix menu opened on a squiggle of the line matching ${lineText}`);
    await page.waitForTimeout(250);
  }
}
