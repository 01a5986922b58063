/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The report and the panel at the widths people use them (a split editor, a laptop, a wide
// monitor): nothing scrolls sideways, no block is drawn over another, the scaling chart's axes
// stay in its own column, and lane labels that do not fit are clipped with the full name in a
// tooltip. Measured from bounding boxes in Chromium.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import type { ProfileTrace } from '../../src/shared/trace';
import { traceMessages } from '../../src/shared/webview-protocol';
import { launchChromium, openWatched } from './chromium';
import { openPanel, postToPanel } from './panel-page';
import { profileFixtureTrace, writeReport } from './report-fixture';

const WIDTHS = [480, 820, 1400];

let browser: Browser;
let trace: ProfileTrace;
let reportUrl: string;

before(async () => {
  trace = await profileFixtureTrace();
  reportUrl = pathToFileURL((await writeReport(trace)).htmlPath).href;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

interface LayoutFaults {
  overflow: string | null;
  overlaps: string[];
  outside: string[];
  chartOutside: string[];
}

/** Everything that can go wrong with the layout, as text for the assertion messages. */
async function layoutFaults(page: Page): Promise<LayoutFaults> {
  // tsx names the inner arrow functions through a `__name` helper the page does not have.
  await page.evaluate('window.__name ??= (f) => f');
  return page.evaluate(() => {
    const viewport = document.documentElement.clientWidth;
    const name = (e: Element) => `${e.tagName.toLowerCase()}${(e as HTMLElement).dataset.testid ? `[${(e as HTMLElement).dataset.testid}]` : ''}.${e.className && typeof e.className === 'string' ? e.className.split(' ').join('.') : ''}`;
    const overflow = document.documentElement.scrollWidth > viewport ? `page is ${document.documentElement.scrollWidth} px wide in a ${viewport} px view` : null;
    // The blocks of the page, the scaling chart and locks beside each other, and the toolbar's groups.
    const blocks = [
      ...document.querySelectorAll('main > *'),
      ...document.querySelectorAll('.views > *'),
      ...document.querySelectorAll('.toolbar > *'),
      ...document.querySelectorAll('.legend > li'),
    ];
    const overlaps: string[] = [];
    for (let i = 0; i < blocks.length; i++) {
      for (let j = i + 1; j < blocks.length; j++) {
        const a = blocks[i]!;
        const b = blocks[j]!;
        if (a.contains(b) || b.contains(a)) continue;
        const r = a.getBoundingClientRect();
        const s = b.getBoundingClientRect();
        const x = Math.min(r.right, s.right) - Math.max(r.left, s.left);
        const y = Math.min(r.bottom, s.bottom) - Math.max(r.top, s.top);
        if (x > 0.5 && y > 0.5) overlaps.push(`${name(a)} and ${name(b)} overlap by ${x.toFixed(0)}×${y.toFixed(0)} px`);
      }
    }
    const outside = [...document.querySelectorAll('main *')]
      .filter((e) => !e.closest('.tooltip') && e.getClientRects().length > 0)
      .filter((e) => e.getBoundingClientRect().right > viewport + 0.5)
      .map((e) => `${name(e)} ends at ${e.getBoundingClientRect().right.toFixed(0)} px`);
    const chart = document.querySelector('.scaling');
    const box = chart?.getBoundingClientRect();
    const chartOutside = box
      ? [...chart!.querySelectorAll('svg text, svg path, svg line')]
          .map((e) => [e, e.getBoundingClientRect()] as const)
          .filter(([, r]) => r.width > 0 && (r.left < box.left - 0.5 || r.right > box.right + 0.5))
          .map(([e, r]) => `${name(e)} "${e.textContent ?? ''}" spans ${r.left.toFixed(0)}–${r.right.toFixed(0)} px, its column ${box.left.toFixed(0)}–${box.right.toFixed(0)} px`)
      : ['no scaling chart'];
    return { overflow, overlaps, outside, chartOutside };
  });
}

function assertLaidOut(faults: LayoutFaults, where: string): void {
  assert.equal(faults.overflow, null, where);
  assert.deepEqual(faults.overlaps, [], where);
  assert.deepEqual(faults.outside.slice(0, 5), [], where);
  assert.deepEqual(faults.chartOutside.slice(0, 5), [], where);
}

/** Lane labels are clipped to the gutter; hovering one shows the whole of it. */
async function assertLaneLabelTooltip(page: Page, where: string): Promise<void> {
  await page.locator('[data-testid="timeline-canvas"]').scrollIntoViewIfNeeded();
  const canvas = (await page.locator('[data-testid="timeline-canvas"]').boundingBox())!;
  const timeline = (await page.locator('.timeline').boundingBox())!;
  assert.ok(canvas.x >= timeline.x && canvas.x + canvas.width <= timeline.x + timeline.width + 0.5, `${where}: the canvas fits its box`);
  const run = trace.runs.find((r) => r.kind === 'thread' && r.workers === 2)!;
  const tid = run.tasks[0]!.tid;
  let tip = '';
  for (let y = 4; y < Math.min(canvas.height, 400) && !tip.includes(`tid ${tid}`); y += 6) {
    await page.mouse.move(canvas.x + 8, canvas.y + y);
    tip = (await page.textContent('[data-testid="timeline-tooltip"]:not(.hidden)', { timeout: 50 }).catch(() => null)) ?? '';
  }
  assert.match(tip, new RegExp(`^pid \\d+ · tid ${tid} · worker \\d+$`), `${where}: hovering a lane label shows its full name`);
}

// 210 px: the narrowest panel the issue met, where lane labels used to take the whole canvas.
for (const width of [210, ...WIDTHS]) {
  void test(`the report at ${width} px: no sideways scroll, no overlapping blocks, chart axes in their column`, async () => {
    const watched = await openWatched(browser, reportUrl, { width, height: 900 });
    const { page } = watched;
    await page.waitForSelector('[data-testid="timeline-summary"]:has-text("Visible range")');
    await page.selectOption('[data-testid="run-kind"]', 'thread');
    await page.selectOption('[data-testid="run-workers"]', '2');
    assertLaidOut(await layoutFaults(page), `report at ${width} px`);
    await assertLaneLabelTooltip(page, `report at ${width} px`);
    assert.deepEqual(watched.problems, []);
    await page.close();
  });
}

void test('the panel at 480, 820 and 1400 px: the same, and it follows a resize without reloading', async () => {
  const { page, problems } = await openPanel(browser, { width: WIDTHS[0]!, height: 900 });
  await postToPanel(page, traceMessages(trace, 2));
  await page.waitForSelector('[data-testid="timeline-summary"]:has-text("Visible range")');
  await page.selectOption('[data-testid="run-kind"]', 'thread');
  await page.selectOption('[data-testid="run-workers"]', '2');
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    await page.waitForFunction((w) => Math.abs((document.querySelector('[data-testid="timeline-canvas"]') as HTMLCanvasElement).getBoundingClientRect().width - (document.querySelector('.timeline') as HTMLElement).clientWidth) < 1 && document.documentElement.clientWidth === w, width);
    assertLaidOut(await layoutFaults(page), `panel at ${width} px`);
    await assertLaneLabelTooltip(page, `panel at ${width} px`);
  }
  assert.deepEqual(problems, []);
  await page.close();
});

void test('lanes use the height the panel has instead of leaving the canvas empty', async () => {
  const { page } = await openPanel(browser, { width: 1000, height: 1000 });
  await postToPanel(page, traceMessages(trace, 3));
  await page.waitForSelector('[data-testid="timeline-summary"]:has-text("Visible range")');
  await page.selectOption('[data-testid="run-kind"]', 'thread');
  await page.selectOption('[data-testid="run-workers"]', '2');
  const painted = () =>
    page.evaluate(() => {
      // Rows of the canvas with anything but background on them, over its height.
      const canvas = document.querySelector('[data-testid="timeline-canvas"]') as HTMLCanvasElement;
      const { data, width, height } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      let lastPainted = 0;
      const bg = [data[(height - 1) * width * 4 - 4]!, data[(height - 1) * width * 4 - 3]!, data[(height - 1) * width * 4 - 2]!];
      // A row counts when a tenth of it is painted: grid lines alone (one pixel per tick) do not.
      for (let y = 0; y < height; y++) {
        let painted = 0;
        let seen = 0;
        for (let x = Math.floor(width * 0.3); x < width; x += 3, seen++) {
          const o = (y * width + x) * 4;
          if (Math.abs(data[o]! - bg[0]!) + Math.abs(data[o + 1]! - bg[1]!) + Math.abs(data[o + 2]! - bg[2]!) > 30) painted++;
        }
        if (painted > seen / 10) lastPainted = y;
      }
      return { share: (lastPainted + 1) / height, cssHeight: canvas.getBoundingClientRect().height };
    });
  const tall = await painted();
  assert.ok(tall.share > 0.9, `lanes reach ${(tall.share * 100).toFixed(0)}% of the canvas height`);
  // Two lanes in a tall panel: rows grow beyond their default 30 px.
  assert.ok(tall.cssHeight > 160, `the canvas is ${tall.cssHeight} px tall for two lanes in a 1000 px panel`);
  // A panel too short for full-height rows: they shrink to fit it.
  await page.setViewportSize({ width: 1000, height: 260 });
  await page.waitForFunction((before) => (document.querySelector('[data-testid="timeline-canvas"]') as HTMLCanvasElement).getBoundingClientRect().height < before, tall.cssHeight);
  const short = await painted();
  assert.ok(short.share > 0.9, `after a resize, lanes reach ${(short.share * 100).toFixed(0)}% of the canvas height`);
  await page.close();
});
