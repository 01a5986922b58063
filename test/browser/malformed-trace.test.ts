/// <reference lib="dom" />
// Traces that break the schema must not leave the page under "Waiting for the trace…" with an
// uncaught error: the report and the panel say why the trace cannot be shown, and the panel
// tells the host. (The host refuses such files before they reach a page; the page must not
// depend on that.)
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { buildInlinePage, createNonce, jsonForScriptElement, readWebviewAssets } from '../../src/profiler/html-report';
import { traceMessages, validateWebviewMessage, type HostToWebview } from '../../src/shared/webview-protocol';
import { run, task, trace } from '../unit/webview/trace-fixture';
import { launchChromium, openWatched } from './chromium';
import { openPanel, postToPanel } from './panel-page';
import { REPO } from './report-fixture';
import { scratchDir } from '../unit/scratch';

let browser: Browser;

before(async () => {
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

const valid = () => trace([run('thread', 2, [task(0, 1, 0, 5), task(1, 2, 0, 6)])]);

/** The three shapes from issue 8: a null run, a null fault, and a target without fields. */
const MALFORMED: { name: string; document: unknown }[] = [
  { name: 'runs: [null]', document: { ...valid(), runs: [null] } },
  { name: 'faults: [null]', document: { ...valid(), faults: [null] } },
  { name: '{ target: {}, runs: [] }', document: { target: {}, runs: [] } },
];

async function reportWith(document: unknown): Promise<string> {
  const dir = scratchDir('conclens-malformed-');
  const file = path.join(dir, 'report.html');
  await writeFile(file, buildInlinePage(await readWebviewAssets(path.join(REPO, 'dist')), createNonce(), 'malformed', jsonForScriptElement(document)));
  return pathToFileURL(file).href;
}

for (const { name, document } of MALFORMED) {
  void test(`a report whose trace has ${name} says it cannot be read, without a page error`, async () => {
    const watched = await openWatched(browser, await reportWith(document));
    const status = watched.page.locator('[data-testid="status"]');
    await status.filter({ hasText: /^Could not load the trace: / }).waitFor({ timeout: 10_000 });
    assert.equal(await watched.page.locator('canvas').count(), 0);
    assert.deepEqual(watched.problems, []);
    await watched.page.close();
  });
}

/** What the host would stream for the document; a document it cannot even split ends in traceError. */
function streamOf(document: unknown): HostToWebview[] {
  try {
    return [...traceMessages(document as never, 3)];
  } catch (error) {
    return [{ type: 'traceError', message: (error as Error).message }];
  }
}

void test('the panel shows why a malformed trace cannot be drawn and reports it to the host', async () => {
  for (const { name, document } of MALFORMED) {
    const { page, problems, posted } = await openPanel(browser);
    await postToPanel(page, streamOf(document));
    await page.locator('[data-testid="status"]').filter({ hasText: /^Could not load the trace: / }).waitFor({ timeout: 10_000 });
    const back = await posted();
    const errors = back.filter((m) => (m as { type: string }).type === 'error');
    assert.equal(errors.length, 1, `${name}: one error message to the host (${JSON.stringify(back)})`);
    for (const message of back) assert.deepEqual(validateWebviewMessage(message), message, `${name}: ${JSON.stringify(message)}`);
    assert.deepEqual(problems, [], name);

    // The same page still shows a good trace sent after the bad one.
    await postToPanel(page, traceMessages(valid(), 4));
    await page.locator('[data-testid="timeline-summary"]', { hasText: 'Visible range' }).waitFor({ timeout: 10_000 });
    assert.doesNotMatch((await page.textContent('[data-testid="status"]')) ?? '', /Could not load/, name);
    await page.close();
  }
});
