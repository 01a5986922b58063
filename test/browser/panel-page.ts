/// <reference lib="dom" />
/**
 * The panel's page without VS Code: the real bundle in a page that gets a stand-in for
 * acquireVsCodeApi (recording what the page posts to the host), fed protocol messages through
 * window.postMessage as the host sends them.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { buildInlinePage, createNonce, readWebviewAssets } from '../../src/profiler/html-report';
import type { HostToWebview } from '../../src/shared/webview-protocol';
import { REPO } from './report-fixture';
import { scratchDir } from '../unit/scratch';

export interface PanelPage {
  page: Page;
  /** Uncaught exceptions and console errors. */
  problems: string[];
  /** What the page posted to the host, in order. */
  posted(): Promise<unknown[]>;
}

let pageUrl: Promise<string> | undefined;

/** The panel page (bundle inlined, no trace: it waits for messages), written once per run. */
function panelUrl(): Promise<string> {
  pageUrl ??= (async () => {
    const dir = scratchDir('conclens-panel-');
    const file = path.join(dir, 'panel.html');
    await writeFile(file, buildInlinePage(await readWebviewAssets(path.join(REPO, 'dist')), createNonce(), 'panel', null));
    return pathToFileURL(file).href;
  })();
  return pageUrl;
}

export async function openPanel(browser: Browser, viewport = { width: 1400, height: 1000 }): Promise<PanelPage> {
  const page = await browser.newPage({ viewport });
  // A string, not a function: tsx would wrap a function's inner names in helpers the page lacks.
  await page.addInitScript({
    content: `
      window.__posted = [];
      let state;
      window.acquireVsCodeApi = () => ({
        postMessage: (m) => window.__posted.push(m),
        getState: () => state,
        setState: (s) => { state = s; },
      });`,
  });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  await page.goto(await panelUrl());
  return { page, problems, posted: () => page.evaluate(() => (window as unknown as { __posted: unknown[] }).__posted) };
}

/** Typed arrays do not cross page.evaluate; they travel as plain arrays and are rebuilt. */
function portable(message: HostToWebview): unknown {
  if (message.type !== 'traceChunk') return message;
  return {
    ...message,
    ...(message.tasks ? { tasks: { ...message.tasks, data: Array.from(message.tasks.data) } } : {}),
    ...(message.lockSpans ? { lockSpans: { ...message.lockSpans, data: Array.from(message.lockSpans.data) } } : {}),
  };
}

/** Posts each message to the page as the host would. */
export async function postToPanel(page: Page, messages: Iterable<HostToWebview>): Promise<void> {
  for (const message of messages) {
    await page.evaluate((m) => {
      const chunk = m as { tasks?: { data: number[] | Float64Array }; lockSpans?: { data: number[] | Float64Array } };
      if (chunk.tasks) chunk.tasks.data = Float64Array.from(chunk.tasks.data);
      if (chunk.lockSpans) chunk.lockSpans.data = Float64Array.from(chunk.lockSpans.data);
      window.postMessage(m);
    }, portable(message));
  }
}
