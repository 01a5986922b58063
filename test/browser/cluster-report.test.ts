/// <reference lib="dom" />
// The standalone report of a trace with async and Dask runs: the new states are in the
// legend and the tooltips, Dask workers sit under their host, the verdict card names the
// cluster. A synthetic trace (known numbers) with the real bundle in headless Chromium.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import type { DaskWorker, TaskSpan } from '../../src/shared/trace';
import { DEFAULT_ROW_HEIGHTS } from '../../src/webview/layout';
import { ORIGIN, run, task, trace } from '../unit/webview/trace-fixture';
import { launchChromium, openWatched } from './chromium';
import { writeReport } from './report-fixture';

let browser: Browser;
let url: string;

const worker = (pid: number, host: string): DaskWorker => ({ address: `tcp://${host}:${pid}`, host, pid, nthreads: 1, clockOffsetNs: 0, clockUncertaintyNs: 0 });
const onCluster = (t: TaskSpan, host: string): TaskSpan => ({ ...t, dask: { worker: `tcp://${host}:${t.pid}`, host, submittedNs: ORIGIN, schedulerLatencyNs: 20e6, resultLatencyNs: 30e6 } });

before(async () => {
  const dask = run('dask', 2, [onCluster(task(0, 1, 20, 120, {}, 300), 'node-b'), onCluster(task(1, 1, 20, 120, {}, 200), 'node-a')], {
    dask: { scheduler: 'tcp://s:8786', local: false, startupNs: null, workers: [worker(200, 'node-a'), worker(300, 'node-b')], retriedTasks: [] },
    speedup: 1.8,
  });
  const inFlight = run('async', 2, [0, 1].map((slot) => ({ ...task(slot, 7, 0, 100), worker: slot, decomposition: { ...task(slot, 7, 0, 100).decomposition, cpuNs: 10e6, blockedNs: 90e6, loopBusyNs: 10e6 } })));
  const t = trace([run('serial', 1, [task(0, 1, 0, 100), task(1, 1, 100, 200)]), inFlight, dask], {
    verdict: { recommendation: 'dask', workers: 2, bottleneck: 'scheduler', confidence: 'medium', summary: 'Dask: 1.80x on 2 workers of the cluster.', speedups: { serial: 1, 'dask x2': 1.8 }, withinNoise: false },
  });
  url = pathToFileURL((await writeReport(t, 'cluster.html')).htmlPath).href;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

void test('Dask workers under their hosts, scheduler wait and result transfer in the tooltip, the new states in the legend', async () => {
  const { page, problems } = await openWatched(browser, url);
  await page.waitForSelector('[data-testid="timeline-summary"]:has-text("Visible range")');
  assert.match((await page.textContent('[data-testid="verdict"]')) ?? '', /Use a Dask cluster with 2 workers/);
  const legend = (await page.textContent('[data-testid="legend"]')) ?? '';
  for (const state of ['Scheduler wait (Dask)', 'Event loop busy with other tasks', 'Result transfer (Dask)']) assert.ok(legend.includes(state), `${state} in ${legend}`);
  assert.equal(await page.inputValue('[data-testid="run-kind"]'), 'dask', 'the recommended run is shown');
  const canvas = (await page.locator('canvas').boundingBox())!;
  const h = DEFAULT_ROW_HEIGHTS;
  const tipAt = async (x: number, y: number): Promise<string> => {
    await page.mouse.move(canvas.x + x, canvas.y + y);
    return (await page.textContent('[data-testid="timeline-tooltip"]:not(.hidden)', { timeout: 500 }).catch(() => null)) ?? '';
  };
  // Past the label gutter: the run header, then host node-a, its process row, its lane.
  assert.match(await tipAt(200, h.run + h.process / 2), /^Host node-a/);
  assert.match(await tipAt(200, h.run + h.process + h.process / 2), /Dask worker tcp:\/\/node-a:200 on node-a/);
  let tip = '';
  for (let x = 200; x < canvas.width - 4 && !tip.includes('Scheduler wait'); x += 20) tip = await tipAt(x, h.run + 2 * h.process + 10);
  assert.match(tip, /Scheduler wait \(Dask\): 20\.000 ms/);
  assert.match(tip, /Result transfer \(Dask\): 30\.000 ms/);
  assert.deepEqual(problems, []);
  await page.close();
});
