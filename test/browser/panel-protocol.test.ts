/// <reference lib="dom" />
// The panel path without VS Code: the page gets a stand-in for acquireVsCodeApi, says `ready`,
// receives a real trace as protocol chunks through window.postMessage (as the host sends
// them), and every message it sends back must pass the host's validator.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { buildInlinePage, createNonce, readWebviewAssets } from '../../src/profiler/html-report';
import type { ProfileTrace } from '../../src/shared/trace';
import { traceMessages, validateWebviewMessage, type HostToWebview } from '../../src/shared/webview-protocol';
import { launchChromium } from './chromium';
import { profileFixtureTrace, REPO } from './report-fixture';

let browser: Browser;
let trace: ProfileTrace;
let pageUrl: string;

before(async () => {
  trace = await profileFixtureTrace();
  const dir = await mkdtemp(path.join(tmpdir(), 'conclens-panel-'));
  const file = path.join(dir, 'panel.html');
  await writeFile(file, buildInlinePage(await readWebviewAssets(path.join(REPO, 'dist')), createNonce(), 'panel', null));
  pageUrl = pathToFileURL(file).href;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

/** Typed arrays do not cross page.evaluate; they travel as plain arrays and are rebuilt. */
function portable(message: HostToWebview): unknown {
  if (message.type !== 'traceChunk') return message;
  return {
    ...message,
    ...(message.tasks ? { tasks: { ...message.tasks, data: Array.from(message.tasks.data) } } : {}),
    ...(message.lockSpans ? { lockSpans: { ...message.lockSpans, data: Array.from(message.lockSpans.data) } } : {}),
  };
}

void test('ready handshake, chunked streaming, and only valid messages back to the host', async () => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
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
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  await page.goto(pageUrl);
  const posted = () => page.evaluate(() => (window as unknown as { __posted: unknown[] }).__posted);
  assert.deepEqual(await posted(), [{ type: 'ready', protocolVersion: 1 }]);

  const messages = [...traceMessages(trace, 9, 7)];
  assert.ok(messages.length > 10, `the trace travels in ${messages.length} messages`);
  for (const message of messages) {
    await page.evaluate((m) => {
      const chunk = m as { tasks?: { data: number[] | Float64Array }; lockSpans?: { data: number[] | Float64Array } };
      if (chunk.tasks) chunk.tasks.data = Float64Array.from(chunk.tasks.data);
      if (chunk.lockSpans) chunk.lockSpans.data = Float64Array.from(chunk.lockSpans.data);
      window.postMessage(m);
    }, portable(message));
  }
  await page.waitForSelector('[data-testid="timeline-summary"]:has-text("Visible range")');
  const back = await posted();
  const loaded = back.find((m) => (m as { type: string }).type === 'traceLoaded');
  assert.deepEqual(loaded, { type: 'traceLoaded', streamId: 9, runs: trace.runs.length, tasks: trace.runs.reduce((n, r) => n + r.tasks.length, 0) });

  // Clicking a task asks the host to reveal the profiled function.
  const canvas = (await page.locator('canvas').boundingBox())!;
  let revealed: unknown;
  for (let y = 60; y < 200 && !revealed; y += 6) {
    for (let x = 200; x < canvas.width && !revealed; x += 40) {
      await page.mouse.click(canvas.x + x, canvas.y + y);
      revealed = (await posted()).find((m) => (m as { type: string }).type === 'revealSource');
    }
  }
  assert.deepEqual(revealed, { type: 'revealSource', file: trace.target.file, symbol: trace.target.function });
  for (const message of await posted()) assert.deepEqual(validateWebviewMessage(message), message, JSON.stringify(message));
  assert.deepEqual(problems, []);
  await page.close();
});
