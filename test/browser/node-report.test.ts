/// <reference lib="dom" />
// The standalone report of a real Node profile in headless Chromium: the verdict in Node's
// words, Node's states in the legend, one lane per call slot of the async run, tooltips that
// say so, and nothing wrong in the page.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { runNodeProfile } from '../../src/profiler/node/profile';
import type { ProfileTrace } from '../../src/shared/trace';
import { DEFAULT_ROW_HEIGHTS } from '../../src/webview/layout';
import { launchChromium, openWatched } from './chromium';
import { REPO, writeReport } from './report-fixture';

let browser: Browser;
let trace: ProfileTrace;
let reportUrl: string;

before(async () => {
  const outcome = await runNodeProfile({
    node: process.execPath,
    nodeVersion: process.versions.node,
    root: path.join(REPO, 'test/fixtures/profiler-node'),
    file: 'waiting.mjs',
    function: 'fetchQuote',
    tasks: 'Array.from({ length: 8 }, (_, i) => i)',
    kinds: ['serial', 'async', 'thread'],
    workers: [2],
    repeat: 1,
    timeoutSec: 60,
    harnessDir: path.join(REPO, 'dist'),
  });
  if (!outcome.completed) throw new Error(`the Node profile did not complete: ${outcome.message}`);
  trace = outcome.trace;
  reportUrl = pathToFileURL((await writeReport(trace, 'node-report.html')).htmlPath).href;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

void test('a Node trace: verdict, legend and lanes in Node terms; tooltips name the call slot', async () => {
  const { page, problems, requests } = await openWatched(browser, reportUrl);
  await page.waitForSelector('[data-testid="timeline-summary"]:has-text("Visible range")');
  const verdict = (await page.textContent('[data-testid="verdict"]')) ?? '';
  assert.equal(trace.verdict?.recommendation, 'async', trace.verdict?.summary);
  assert.match(verdict, /^Run 2 calls at once on the event loop \(no pool\)/);
  assert.match(verdict, /Node\.js \d+\.\d+\.\d+/);
  const legend = (await page.textContent('[data-testid="legend"]')) ?? '';
  // The legend lists the states the trace has time in: Node's own, never the GIL.
  const collected = trace.runs.some((r) => r.tasks.some((t) => Math.min(t.gcNs ?? 0, t.decomposition.cpuNs) > 0));
  assert.equal(/Garbage collection/.test(legend), collected, `GC in the legend when a task had GC time: ${legend}`);
  assert.match(legend, /Serialization/);
  assert.doesNotMatch(legend, /GIL wait/);
  assert.equal(await page.inputValue('[data-testid="run-kind"]'), 'async', 'the recommended run is shown first');
  assert.ok((await page.locator('.scaling svg g[data-kind="async"] path.point').count()) >= 1, 'async is a series of the scaling chart');

  await page.fill('[data-testid="lane-filter"]', 'call slot 1');
  await page.waitForFunction(() => /Lanes: 1 /.test(document.querySelector('[data-testid="timeline-summary"]')?.textContent ?? ''));
  const canvas = (await page.locator('canvas').boundingBox())!;
  const run = trace.runs.find((r) => r.kind === 'async')!;
  const cores = run.coreSamples.reduce((max, s) => Math.max(max, s.busy.length), 0);
  const laneTop = DEFAULT_ROW_HEIGHTS.run + (cores > 0 ? cores * DEFAULT_ROW_HEIGHTS.corePerCore + DEFAULT_ROW_HEIGHTS.coreTotal : 0) + DEFAULT_ROW_HEIGHTS.process;
  let tip = '';
  for (let x = 172; x < canvas.width - 2 && !/^Task \d+ · event loop with 2 calls in flight, call slot 1/.test(tip); x += 6) {
    await page.mouse.move(canvas.x + x, canvas.y + laneTop + 10);
    tip = (await page.textContent('[data-testid="timeline-tooltip"]:not(.hidden)', { timeout: 50 }).catch(() => null)) ?? '';
  }
  assert.match(tip, /^Task \d+ · event loop with 2 calls in flight, call slot 1/);
  assert.match(tip, /I\/O or sleep|Blocked|Event loop busy with other tasks/);
  assert.deepEqual(problems, []);
  assert.equal(requests.length, 1, requests.join(', '));
  await page.close();
});
