/// <reference lib="dom" />
// The panel path without VS Code: the page says `ready`, receives a real trace as protocol
// chunks through window.postMessage (as the host sends them), and every message it sends back
// must pass the host's validator.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { ProfileTrace } from '../../src/shared/trace';
import { traceMessages, validateWebviewMessage } from '../../src/shared/webview-protocol';
import { launchChromium } from './chromium';
import { openPanel, postToPanel } from './panel-page';
import { profileFixtureTrace } from './report-fixture';

let browser: Browser;
let trace: ProfileTrace;

before(async () => {
  trace = await profileFixtureTrace();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

void test('ready handshake, chunked streaming, and only valid messages back to the host', async () => {
  const { page, problems, posted } = await openPanel(browser);
  assert.deepEqual(await posted(), [{ type: 'ready', protocolVersion: 1 }]);

  const messages = [...traceMessages(trace, 9, 7)];
  assert.ok(messages.length > 10, `the trace travels in ${messages.length} messages`);
  await postToPanel(page, messages);
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
