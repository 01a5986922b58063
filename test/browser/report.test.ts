/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// page.evaluate callbacks run in the browser, so this file also sees the DOM types.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import type { ProfileTrace, Run } from '../../src/shared/trace';
import { STATE_COUNT, STATES, stateDurations } from '../../src/webview/states';
import { DEFAULT_ROW_HEIGHTS } from '../../src/webview/layout';
import { launchChromium, openWatched, type WatchedPage } from './chromium';
import { HOSTILE, profileFixtureTrace, withHostileStrings, writeReport } from './report-fixture';

let browser: Browser;
let trace: ProfileTrace;
let reportUrl: string;

before(async () => {
  trace = withHostileStrings(await profileFixtureTrace());
  reportUrl = pathToFileURL((await writeReport(trace)).htmlPath).href;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

interface Summary {
  runs: number;
  lanes: number;
  spans: number;
  from: number;
  to: number;
  text: string;
}

async function summary(page: Page): Promise<Summary> {
  const text = (await page.textContent('[data-testid="timeline-summary"]')) ?? '';
  const match = /Runs: (\d+) · Lanes: (\d+) \(\d+ on screen\) · Spans drawn: ([\d,]+).*Visible range: ([\d.]+) ms – ([\d.]+) ms/.exec(text);
  assert.ok(match, `unexpected summary: ${text}`);
  return { runs: Number(match[1]), lanes: Number(match[2]), spans: Number(match[3]!.replace(/,/g, '')), from: Number(match[4]), to: Number(match[5]), text };
}

async function summaryAfter(page: Page, previous: string): Promise<Summary> {
  await page.waitForFunction((prev) => document.querySelector('[data-testid="timeline-summary"]')?.textContent !== prev, previous);
  return summary(page);
}

async function open(): Promise<WatchedPage> {
  const watched = await openWatched(browser, reportUrl);
  await watched.page.waitForSelector('[data-testid="timeline-summary"]:has-text("Visible range")');
  return watched;
}

/** Nothing went wrong in the page and it asked for nothing but its own file. */
function assertClean(watched: WatchedPage): void {
  assert.deepEqual(watched.problems, []);
  assert.deepEqual(watched.requests.filter((url) => !url.startsWith('file:') && !url.startsWith('data:')), []);
  assert.equal(watched.requests.length, 1, `one request (the file itself): ${watched.requests.join(', ')}`);
}

async function shownRun(page: Page): Promise<Run> {
  const kind = await page.inputValue('[data-testid="run-kind"]');
  const workers = Number(await page.inputValue('[data-testid="run-workers"]'));
  const repetition = Number(await page.inputValue('[data-testid="run-repetition"]'));
  const run = trace.runs.find((r) => r.kind === kind && r.workers === workers && r.repetition === repetition);
  assert.ok(run, `no run ${kind} ${workers} ${repetition}`);
  return run;
}

/** Shows only lane `tid` of the shown run and yields the tooltip texts met hovering along it. */
async function* sweepLane(page: Page, run: Run, tid: number): AsyncGenerator<string> {
  await page.fill('[data-testid="lane-filter"]', `tid ${tid}`);
  await page.waitForFunction(() => /Lanes: 1 /.test(document.querySelector('[data-testid="timeline-summary"]')?.textContent ?? ''));
  const cores = run.coreSamples.reduce((max, s) => Math.max(max, s.busy.length), 0);
  const h = DEFAULT_ROW_HEIGHTS;
  const laneTop = h.run + (cores > 0 ? cores * h.corePerCore + h.coreTotal : 0) + h.process;
  const canvas = (await page.locator('canvas').boundingBox())!;
  for (let x = 172; x < canvas.width - 2; x += 3) {
    await page.mouse.move(canvas.x + x, canvas.y + laneTop + 10);
    const tip = await page.textContent('[data-testid="timeline-tooltip"]:not(.hidden)', { timeout: 50 }).catch(() => null);
    if (tip) yield tip;
  }
}

void test('renders the verdict, the scaling chart, the locks table and the timeline without errors or requests', async () => {
  const watched = await open();
  const { page } = watched;
  const verdict = (await page.textContent('[data-testid="verdict"]')) ?? '';
  assert.ok(trace.verdict, 'the fixture profile has a verdict');
  assert.ok(verdict.includes(trace.verdict.summary), 'the verdict sentence is shown');
  assert.match(verdict, new RegExp(`Confidence: ${trace.verdict.confidence}`));
  const run = await shownRun(page);
  assert.equal(run.kind, trace.verdict.recommendation, 'the recommended run is shown first');
  const s = await summary(page);
  const lanes = new Set([...run.tasks.map((t) => `${t.pid}/${t.tid}`), ...run.lockSpans.map((l) => `${l.pid}/${l.tid}`)]);
  assert.equal(s.runs, 1);
  assert.equal(s.lanes, lanes.size);
  assert.equal(s.spans, run.tasks.length, 'every task of the run is on screen at full zoom-out');
  assert.equal(s.from, 0);
  assert.ok(s.to >= (run.endNs - run.startNs) / 1e6 - 0.001);
  assert.equal(await page.locator('[data-testid="locks-table"] tbody tr').count(), trace.locks.length);
  assert.ok((await page.locator('.scaling svg path.point').count()) >= 2, 'scaling points are drawn');
  const distinctColours = await page.evaluate(() => {
    const canvas = document.querySelector('canvas')!;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    const colours = new Set<number>();
    for (let i = 0; i < data.length; i += 4 * 7) colours.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
    return colours.size;
  });
  assert.ok(distinctColours > 8, `the canvas is painted (${distinctColours} colours)`);
  assertClean(watched);
  await page.close();
});

void test('wheel, keyboard, buttons and drag change the visible range; reset restores it', async () => {
  const watched = await open();
  const { page } = watched;
  const initial = await summary(page);
  const canvas = (await page.locator('canvas').boundingBox())!;
  await page.mouse.move(canvas.x + canvas.width * 0.6, canvas.y + 60);
  await page.mouse.wheel(0, -400);
  const wheeled = await summaryAfter(page, initial.text);
  assert.ok(wheeled.to - wheeled.from < (initial.to - initial.from) * 0.9, `wheel zooms in: ${wheeled.text}`);

  await page.focus('.scroller');
  await page.keyboard.press('+');
  const keyed = await summaryAfter(page, wheeled.text);
  assert.ok(Math.abs((wheeled.to - wheeled.from) / (keyed.to - keyed.from) - 1.5) < 0.01, `+ zooms by 1.5: ${keyed.text}`);
  await page.keyboard.press('ArrowRight');
  const panned = await summaryAfter(page, keyed.text);
  assert.ok(panned.from > keyed.from, 'right arrow pans later');
  assert.ok(Math.abs(panned.to - panned.from - (keyed.to - keyed.from)) < 0.01, 'panning keeps the width');

  await page.mouse.move(canvas.x + 700, canvas.y + 60);
  await page.mouse.down();
  await page.mouse.move(canvas.x + 900, canvas.y + 60, { steps: 5 });
  await page.mouse.up();
  const dragged = await summaryAfter(page, panned.text);
  assert.ok(dragged.from < panned.from, 'dragging right shows earlier time');

  await page.click('[data-testid="zoom-out"]');
  const out = await summaryAfter(page, dragged.text);
  assert.ok(out.to - out.from > dragged.to - dragged.from);
  await page.click('[data-testid="reset-view"]');
  const reset = await summaryAfter(page, out.text);
  assert.equal(reset.from, initial.from);
  assert.equal(reset.to, initial.to);
  assertClean(watched);
  await page.close();
});

void test('tooltip numbers match the trace, and a click shows the source location', async () => {
  const watched = await open();
  const { page } = watched;
  const run = await shownRun(page);
  const byLane = new Map<number, number>();
  for (const t of run.tasks) byLane.set(t.tid, (byLane.get(t.tid) ?? 0) + 1);
  const [tid] = [...byLane.entries()].sort((a, b) => b[1] - a[1])[0]!;
  const pid = run.tasks.find((t) => t.tid === tid)!.pid;
  const checked = new Set<number>();
  for await (const tip of sweepLane(page, run, tid)) {
    if (checked.size >= 3) break;
    const match = /^Task (\d+) · (\w+) pool with \d+ workers?, worker (\d+)\npid (\d+) · tid (\d+) · core (\d+) → (\d+)\nstart ([\d.]+) ms · end ([\d.]+) ms\nwall ([\d.]+) ms\n(?:Running \(CPU\): ([\d.]+) ms)?/.exec(tip);
    if (!match || checked.has(Number(match[1]))) continue;
    const index = Number(match[1]);
    checked.add(index);
    const task = run.tasks.find((t) => t.index === index && t.tid === tid);
    assert.ok(task, `task ${index} is on tid ${tid} in the trace`);
    assert.deepEqual(match.slice(2, 8).map(String), [run.kind, String(task.worker), String(pid), String(tid), String(task.coreStart), String(task.coreEnd)]);
    assert.equal(match[8], ((task.startNs - run.startNs) / 1e6).toFixed(3));
    assert.equal(match[9], ((task.endNs - run.startNs) / 1e6).toFixed(3));
    assert.equal(match[10], ((task.endNs - task.startNs) / 1e6).toFixed(3));
    const states = new Float64Array(STATE_COUNT);
    stateDurations(task.endNs - task.startNs, task.decomposition, states, 0);
    const running = states[STATES.indexOf('running')]!;
    assert.equal(match[11], running > 0 ? (running / 1e6).toFixed(3) : undefined);
  }
  assert.ok(checked.size >= 2, `hovered ${checked.size} tasks`);
  // The pointer rests on the last task hovered: click it.
  await page.mouse.down();
  await page.mouse.up();
  const status = (await page.textContent('[data-testid="status"]')) ?? '';
  assert.equal(status, `Source: ${trace.target.function} in ${trace.target.file}`);
  assertClean(watched);
  await page.close();
});

void test('brushing a range shows its statistics; side-by-side draws the thread run above the process run', async () => {
  const watched = await open();
  const { page } = watched;
  const before = await summary(page);
  const svg = (await page.locator('.axis-svg').boundingBox())!;
  await page.mouse.move(svg.x + 300, svg.y + 32);
  await page.mouse.down();
  await page.mouse.move(svg.x + 700, svg.y + 32, { steps: 4 });
  await page.mouse.up();
  const stats = (await page.textContent('[data-testid="range-stats"]')) ?? '';
  const match = /^Range ([\d.]+) ms – ([\d.]+) ms .*: (\d+) tasks on (\d+) lanes/.exec(stats);
  assert.ok(match, stats);
  assert.ok(Number(match[1]) > before.from && Number(match[2]) < before.to);
  assert.ok(Number(match[3]) > 0);

  // The verdict may pick any run first (serial when the machine is busy): pair from a thread run.
  await page.selectOption('[data-testid="run-kind"]', 'thread');
  await page.check('[data-testid="side-by-side"]');
  // Wait for the pair itself: the summary may first show the thread run alone.
  await page.waitForFunction(() => /Runs: 2 ·/.test(document.querySelector('[data-testid="timeline-summary"]')?.textContent ?? ''));
  const pair = await summary(page);
  assert.equal(pair.runs, 2);
  const run = await shownRun(page);
  const partner = trace.runs.find((r) => r.kind === 'process' && r.workers === run.workers && r.repetition === run.repetition)!;
  const threads = (r: Run) => new Set([...r.tasks.map((t) => `${t.pid}/${t.tid}`), ...r.lockSpans.map((l) => `${l.pid}/${l.tid}`)]).size;
  assert.equal(pair.lanes, threads(run) + threads(partner));
  const widest = Math.max(run.endNs - run.startNs, partner.endNs - partner.startNs) / 1e6;
  assert.ok(pair.to >= widest - 0.001, 'both runs share one time scale covering the longer run');

  const otherSize = run.workers === 1 ? '2' : '1';
  await page.selectOption('[data-testid="run-workers"]', otherSize);
  const other = await summaryAfter(page, pair.text);
  assert.equal(other.runs, 2, 'side-by-side follows the picked size');
  assert.equal(await page.inputValue('[data-testid="run-workers"]'), otherSize);
  assertClean(watched);
  await page.close();
});

void test('hostile strings from the trace are shown as text and never run', async () => {
  const watched = await open();
  const { page } = watched;
  assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  assert.equal(await page.locator('img').count(), 0);
  assert.equal(await page.locator('script').count(), 2, 'only the inlined trace and the bundle');
  const verdict = (await page.textContent('[data-testid="verdict"]')) ?? '';
  assert.ok(verdict.includes(`work${HOSTILE} in ${HOSTILE}/contended_work.py`), 'function and file shown literally');
  assert.ok(verdict.includes(`harness: ${HOSTILE}`), 'fault message shown literally');
  const lockCell = (await page.textContent('[data-testid="locks-table"] tbody tr td')) ?? '';
  assert.ok(lockCell.startsWith(HOSTILE), 'lock site shown literally');
  // A task's exception message travels through the tooltip.
  await page.selectOption('[data-testid="run-kind"]', 'serial');
  const serial = await shownRun(page);
  const failed = serial.tasks.find((t) => t.error)!;
  assert.ok(failed.error!.message.includes('<img'), 'the fixture raised a hostile message');
  let shown = '';
  for await (const tip of sweepLane(page, serial, failed.tid)) {
    if (!tip.startsWith(`Task ${failed.index} `)) continue;
    shown = tip;
    break;
  }
  assert.ok(shown.includes(`raised ValueError: ${failed.error!.message}`), `tooltip: ${shown}`);
  assert.equal(await page.locator('img').count(), 0);
  assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  assertClean(watched);
  await page.close();
});

void test('canvas colours follow a theme switch without reopening', async () => {
  const watched = await open();
  const { page } = watched;
  const countRed = () =>
    page.evaluate(() => {
      const canvas = document.querySelector('canvas')!;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let red = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i] === 255 && data[i + 1] === 0 && data[i + 2] === 0) red++;
      return red;
    });
  assert.equal(await countRed(), 0);
  const frames = await page.getAttribute('canvas', 'data-frames');
  // What VS Code does on a theme switch: new body class and new variables in the body style.
  await page.evaluate(() => {
    // VS Code names a contributed colour's webview variable with only the id's first dot as a dash.
    document.body.style.setProperty('--vscode-concurrencyLens-timeline.running', '#ff0000');
    document.body.classList.add('vscode-high-contrast');
  });
  await page.waitForFunction((before) => document.querySelector('canvas')?.getAttribute('data-frames') !== before, frames);
  assert.ok((await countRed()) > 100, 'running spans are repainted in the new colour');
  assertClean(watched);
  await page.close();
});

void test('every control is reachable with Tab and named for assistive technology; a lock site reveals as text', async () => {
  const watched = await open();
  const { page } = watched;
  const reached = new Set<string>();
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    const name = await page.evaluate(() => {
      const active = document.activeElement as HTMLElement | null;
      return active ? (active.dataset.testid ?? active.getAttribute('aria-label') ?? active.className) : '';
    });
    reached.add(name);
  }
  for (const control of ['run-kind', 'run-workers', 'run-repetition', 'lane-filter', 'zoom-in', 'zoom-out', 'range-visible', 'reset-view', 'timeline-lanes']) {
    assert.ok(reached.has(control), `${control} is reachable with Tab (reached: ${[...reached].join(', ')})`);
  }
  const unnamed = await page.evaluate(() =>
    [...document.querySelectorAll('button, select, input, [tabindex="0"]')]
      .filter((e) => !e.getAttribute('aria-label') && !e.closest('label') && !(e.textContent ?? '').trim())
      .map((e) => e.outerHTML.slice(0, 80)),
  );
  assert.deepEqual(unnamed, []);
  // Range statistics without a mouse: the visible range, which at full view holds every task.
  await page.focus('[data-testid="range-visible"]');
  await page.keyboard.press('Enter');
  const run = await shownRun(page);
  const stats = (await page.textContent('[data-testid="range-stats"]')) ?? '';
  assert.match(stats, new RegExp(`^Range 0\\.000 ms – [\\d.]+ ms .*: ${run.tasks.length} tasks on \\d+ lanes`));
  const link = page.locator('[data-testid="locks-table"] a.site').first();
  await link.focus();
  await page.keyboard.press('Enter');
  const lock = trace.locks[0]!;
  assert.equal(await page.textContent('[data-testid="status"]'), `Source: ${lock.site.file}:${lock.site.line}`);
  assertClean(watched);
  await page.close();
});

void test('a profile that recorded no run shows its faults and no timeline, without errors', async () => {
  const failed = structuredClone(trace);
  failed.runs = [];
  failed.verdict = null;
  failed.locks = [];
  failed.faults = [{ fault: 'import', message: `ModuleNotFoundError: ${HOSTILE}`, fatal: true }];
  const watched = await openWatched(browser, pathToFileURL((await writeReport(failed, 'failed.html')).htmlPath).href);
  const { page } = watched;
  const verdict = (await page.locator('[data-testid="verdict"]').textContent()) ?? '';
  assert.match(verdict, /^No run was recorded, so there is no timeline to draw\./);
  assert.equal(await page.textContent('[data-testid="status"]'), '', 'the card alone says it, not the status line too');
  assert.ok(verdict.includes(`import: ModuleNotFoundError: ${HOSTILE}`));
  assert.equal(await page.locator('canvas').count(), 0);
  assertClean(watched);
  await page.close();
});

void test('time-axis ticks read like a person writes them at every zoom', async () => {
  const watched = await open();
  const { page } = watched;
  const ticks = () => page.$$eval('.axis-svg .tick text', (texts) => texts.map((t) => t.textContent ?? ''));
  const seen: string[][] = [];
  let previous = (await summary(page)).text;
  for (let zoom = 0; zoom < 10; zoom++) {
    const labels = await ticks();
    seen.push(labels);
    assert.ok(labels.length >= 2, `ticks at zoom ${zoom}: ${labels.join(' | ')}`);
    assert.equal(new Set(labels).size, labels.length, `distinct ticks: ${labels.join(' | ')}`);
    for (const label of labels) assert.match(label, /^(0|\d+(\.\d*[1-9])? (ns|µs|ms|s))$/, `tick "${label}" at zoom ${zoom}`);
    await page.click('[data-testid="zoom-in"]');
    // At the deepest zoom the view stops changing: then the same ticks are read again.
    await page
      .waitForFunction((prev) => document.querySelector('[data-testid="timeline-summary"]')?.textContent !== prev, previous, { timeout: 2_000 })
      .catch(() => undefined);
    previous = (await page.textContent('[data-testid="timeline-summary"]')) ?? '';
  }
  const decimals = (labels: string[]) => Math.max(...labels.map((l) => /\.(\d+)/.exec(l)?.[1]!.length ?? 0));
  assert.ok(decimals(seen.at(-1)!) > decimals(seen[0]!), `zoomed in, the ticks carry the digits that tell them apart: ${seen.map((l) => l.join(' | ')).join(' / ')}`);
  assertClean(watched);
  await page.close();
});
