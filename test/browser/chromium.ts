/** Headless Chromium for the browser tests and the timeline benchmark. */
import type { Browser, Page } from 'playwright-core';

export { launchChromium } from '../../scripts/chromium.mjs';

export interface WatchedPage {
  page: Page;
  /** Console errors, uncaught exceptions and CSP violations seen by the page. */
  problems: string[];
  /** Every URL the page asked for. */
  requests: string[];
}

export async function openWatched(browser: Browser, url: string, viewport = { width: 1400, height: 1000 }): Promise<WatchedPage> {
  const page = await browser.newPage({ viewport });
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('request', (request) => requests.push(request.url()));
  await page.goto(url);
  return { page, problems, requests };
}
