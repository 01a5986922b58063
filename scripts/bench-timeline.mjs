// Timeline benchmark: a synthetic trace of 1,000,000 task spans over 64 thread lanes (plus
// lock spans and core samples) is streamed to the real webview bundle in headless Chromium
// through the protocol's chunk messages (window.postMessage, as VS Code delivers them); then a
// scripted zoom/pan measures frame times. Prints figures; asserts nothing (see architecture.md).
// Run: npm run bench:timeline  [-- --spans 1000000 --lanes 64 --width 1600 --height 1200]
// streamSyntheticTrace and scriptedZoomPan run inside the page:
/* global window, document, performance, requestAnimationFrame, MutationObserver, WheelEvent, MouseEvent */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildInlinePage, createNonce, readWebviewAssets } from '../src/profiler/html-report.ts';
import { TASK_STRIDE } from '../src/shared/webview-protocol.ts';
import { launchChromium } from '../test/browser/chromium.ts';
import { ensureChromium } from './ensure-test-deps.mjs';

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

const SPANS = option('spans', 1_000_000);
const LANES = option('lanes', 64);
const CHUNK = option('chunk', 20_000);
// A roomy editor panel by default; `--height 3400` puts all 64 lanes on screen at once.
const VIEWPORT = { width: option('width', 1600), height: option('height', 1200) };

/** Runs in the page: builds the synthetic trace chunk by chunk and posts each chunk. */
async function streamSyntheticTrace({ spans, lanes, chunk, stride }) {
  const origin = 5e12;
  const processes = Math.max(1, lanes / 4);
  const threadsPerProcess = lanes / processes;
  const perLane = Math.ceil(spans / lanes);
  let seed = 42;
  const random = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const laneClock = new Float64Array(lanes);
  const pidOf = (lane) => 1000 + Math.floor(lane / threadsPerProcess);
  const tidOf = (lane) => 50000 + lane;
  const lockSite = (i) => ({ file: 'pkg/work.py', line: 10 + (i % 4) });
  const endNs = origin + perLane * 30_000;
  const header = {
    version: 1,
    createdAt: new Date(0).toISOString(),
    target: { file: 'pkg/work.py', function: 'work', language: 'python', module: 'pkg.work', tasksExpression: 'range(n)', taskCount: spans, interpreter: 'python3', interpreterVersion: '3.11.9', gilEnabled: true, freeThreadedBuild: false },
    host: { platform: 'linux', cpusUsable: 16, cpuModel: 'synthetic', startMethod: 'fork' },
    configuration: { kinds: ['process'], workers: [lanes], repeat: 1, timeoutSec: 60, memoryLimitBytes: null },
    sampler: { available: true, hz: 250, coreHz: 50, unavailable: [], samples: 0 },
    runs: [
      {
        kind: 'process', workers: lanes, repetition: 0, startNs: origin, endNs, wallNs: endNs - origin, speedup: 9.5,
        totals: { taskWallNs: 0, cpuNs: 0, runqNs: 0, lockWaitNs: 0, gilWaitNs: 0, ioNs: 0, sleepNs: 0, errors: 0, finishSpreadNs: 0 },
        memory: Array.from({ length: processes }, (_, p) => ({ pid: 1000 + p, peakRssBytes: (40 + p) * 2 ** 20 })),
        ipc: null,
      },
    ],
    locks: [0, 1, 2, 3].map((i) => ({ site: lockSite(i), kind: 'Lock', acquisitions: 0, contended: 0, waitNs: 0, holdNs: 0, maxWaitNs: 0, waitNsByKind: { serial: 0, thread: 0, process: 0 } })),
    lockOrder: { edges: [], cycles: [] },
    verdict: { recommendation: 'process', workers: lanes, bottleneck: 'cpu', confidence: 'high', summary: 'Synthetic benchmark trace.', speedups: {}, withinNoise: false },
    faults: [],
    output: { stdout: '', stderr: '', droppedBytes: 0 },
  };
  const timing = { firstReceived: 0, endHandled: 0, firstFrame: 0, postStart: 0, postEnd: 0 };
  const frameSeen = new Promise((resolve) => {
    new MutationObserver((_, observer) => {
      timing.firstFrame = performance.now();
      observer.disconnect();
      resolve();
    }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-frames'] });
  });
  const ended = new Promise((resolve) => {
    window.addEventListener('message', (event) => {
      if (!timing.firstReceived) timing.firstReceived = performance.now();
      if (event.data?.type === 'traceEnd') {
        timing.endHandled = performance.now();
        resolve();
      }
    });
  });
  timing.postStart = performance.now();
  const streamId = 1;
  window.postMessage({ type: 'traceBegin', streamId, header, totalItems: spans });
  let made = 0;
  let lockSpans = 0;
  // Packed exactly as traceMessages() packs a real trace: TASK_FIELDS and LOCK_STRIDE order (the Node, async and Dask fields stay 0, as for a Python thread run).
  const sites = [0, 1, 2, 3].map(lockSite);
  while (made < spans) {
    const n = Math.min(chunk, spans - made);
    const tasks = new Float64Array(n * stride);
    const lockRows = [];
    for (let k = 0; k < n; k++, made++) {
      const lane = made % lanes;
      const start = origin + laneClock[lane] + random() * 4_000;
      const wall = 8_000 + random() * 30_000;
      const cpu = wall * (0.4 + random() * 0.5);
      const runq = (wall - cpu) * random() * 0.5;
      const blocked = wall - cpu - runq;
      const lockWait = made % 10 === 0 ? blocked * 0.5 : 0;
      laneClock[lane] = start + wall - origin;
      tasks.set([made, pidOf(lane), tidOf(lane), lane, start, start + wall, lane % 16, (lane + 1) % 16, cpu, runq, blocked, lockWait, (blocked - lockWait) * 0.6, (blocked - lockWait) * 0.2, 0, 3], k * stride);
      if (lockWait > 0) lockRows.push(pidOf(lane), tidOf(lane), start + cpu, start + cpu + lockWait, start + cpu + lockWait + 1_000, made % 4);
    }
    lockSpans += lockRows.length / 6;
    window.postMessage({
      type: 'traceChunk',
      streamId,
      runIndex: 0,
      tasks: { count: n, data: tasks, errors: [] },
      lockSpans: { count: lockRows.length / 6, data: Float64Array.from(lockRows), sites },
    });
  }
  const last = Math.max(...laneClock);
  const coreSamples = Array.from({ length: Math.ceil(last / 20e6) + 1 }, (_, i) => ({ timeNs: origin + i * 20e6, busy: Array.from({ length: 16 }, () => 0.5 + random() * 0.5), steal: Array(16).fill(0) }));
  window.postMessage({ type: 'traceChunk', streamId, runIndex: 0, coreSamples });
  window.postMessage({ type: 'traceEnd', streamId });
  timing.postEnd = performance.now();
  await ended;
  await frameSeen;
  return { ...timing, lockSpans, coreSamples: coreSamples.length, summary: document.querySelector('[data-testid="timeline-summary"]')?.textContent };
}

/** Runs in the page: scripted zoom in (wheel), pan (drag), zoom out; returns per-frame costs. */
async function scriptedZoomPan() {
  const canvas = document.querySelector('canvas');
  const rect = canvas.getBoundingClientRect();
  const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  const frames = [];
  const measure = async (dispatch) => {
    const before = canvas.dataset.frames;
    const t0 = performance.now();
    dispatch();
    const handlerMs = performance.now() - t0;
    await nextFrame();
    if (canvas.dataset.frames === before) return;
    frames.push(handlerMs + Number(canvas.dataset.frameMs));
  };
  const at = (fx) => ({ clientX: rect.left + rect.width * fx, clientY: rect.top + 200, bubbles: true, cancelable: true, view: window });
  for (let i = 0; i < 40; i++) await measure(() => canvas.dispatchEvent(new WheelEvent('wheel', { ...at(0.3 + (i % 5) * 0.1), deltaY: -120, deltaMode: 0 })));
  canvas.dispatchEvent(new MouseEvent('mousedown', { ...at(0.8), button: 0 }));
  for (let i = 0; i < 40; i++) await measure(() => window.dispatchEvent(new MouseEvent('mousemove', { ...at(0.8 - (i + 1) * 0.01), button: 0 })));
  window.dispatchEvent(new MouseEvent('mouseup', { ...at(0.4), button: 0 }));
  for (let i = 0; i < 40; i++) await measure(() => canvas.dispatchEvent(new WheelEvent('wheel', { ...at(0.5), deltaY: 120, deltaMode: 0 })));
  return { frames, summary: document.querySelector('[data-testid="timeline-summary"]')?.textContent };
}

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Renderer processes: CPU seconds so far and peak RSS (from /proc), via the browser's CDP. */
async function rendererUsage(session) {
  const { processInfo } = await session.send('SystemInfo.getProcessInfo');
  const renderers = processInfo.filter((p) => p.type === 'renderer');
  let peakRss = null;
  for (const proc of renderers) {
    const status = await readFile(`/proc/${proc.id}/status`, 'utf8').catch(() => '');
    const kb = /VmHWM:\s+(\d+)/.exec(status)?.[1];
    if (kb) peakRss = Math.max(peakRss ?? 0, Number(kb) * 1024);
  }
  return { cpuSeconds: renderers.reduce((sum, p) => sum + p.cpuTime, 0), peakRss };
}

const assets = await readWebviewAssets(path.resolve('dist'));
const dir = await mkdtemp(path.join(tmpdir(), 'conclens-bench-'));
const htmlPath = path.join(dir, 'bench.html');
await writeFile(htmlPath, buildInlinePage(assets, createNonce(), 'Concurrency Lens timeline benchmark', null));

ensureChromium();
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: VIEWPORT });
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
  await page.goto(pathToFileURL(htmlPath).href);
  const cdp = await page.context().newCDPSession(page);
  const browserSession = await browser.newBrowserCDPSession();
  const beforeLoad = await rendererUsage(browserSession);
  const load = await page.evaluate(streamSyntheticTrace, { spans: SPANS, lanes: LANES, chunk: CHUNK, stride: TASK_STRIDE });
  const afterLoad = await rendererUsage(browserSession);
  await cdp.send('HeapProfiler.collectGarbage');
  const heapAfterLoad = await cdp.send('Runtime.getHeapUsage');
  const beforeZoom = await rendererUsage(browserSession);
  const zoom = await page.evaluate(scriptedZoomPan);
  const afterZoom = await rendererUsage(browserSession);
  const heapAfterZoom = await cdp.send('Runtime.getHeapUsage');
  const sorted = [...zoom.frames].sort((a, b) => a - b);
  const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
  const heapOf = (usage) => usage.usedSize + (usage.backingStorageSize ?? 0);
  console.log(`Timeline benchmark: ${SPANS.toLocaleString('en-US')} task spans, ${load.lockSpans.toLocaleString('en-US')} lock spans, ${load.coreSamples} core samples, ${LANES} lanes, chunks of ${CHUNK.toLocaleString('en-US')}, viewport ${VIEWPORT.width}x${VIEWPORT.height}, headless Chromium`);
  console.log(`  machine: ${cpus().length} CPUs, load average ${loadavg()[0].toFixed(1)} (wall-clock figures include contention from other processes)`);
  console.log(`  sender: build + postMessage all chunks            ${(load.postEnd - load.postStart).toFixed(0)} ms (the extension host's side)`);
  console.log(`  webview: first message → trace assembled          ${(load.endHandled - load.firstReceived).toFixed(0)} ms`);
  console.log(`  first full render: first message → first frame    ${(load.firstFrame - load.firstReceived).toFixed(0)} ms   (target ≤ 1500 ms)`);
  console.log(`  first full render: last message → first frame     ${(load.firstFrame - load.endHandled).toFixed(0)} ms`);
  console.log(`  renderer CPU time for the whole load (sender included) ${((afterLoad.cpuSeconds - beforeLoad.cpuSeconds) * 1000).toFixed(0)} ms`);
  console.log(`  zoom/pan frames: ${sorted.length}, median ${quantile(sorted, 0.5).toFixed(1)} ms (target ≤ 16 ms), p95 ${quantile(sorted, 0.95).toFixed(1)} ms, max ${sorted.at(-1).toFixed(1)} ms`);
  console.log(`  renderer CPU time per zoom/pan step: ${(((afterZoom.cpuSeconds - beforeZoom.cpuSeconds) * 1000) / zoom.frames.length).toFixed(1)} ms (whole process, includes waiting for the next animation frame)`);
  console.log(`  JS heap incl. array buffers: after load ${mb(heapOf(heapAfterLoad))}, after zoom/pan ${mb(heapOf(heapAfterZoom))} (target ≤ 500 MB)`);
  if (afterZoom.peakRss !== null) console.log(`  renderer process peak RSS: ${mb(afterZoom.peakRss)}`);
  console.log(`  summary at load: ${load.summary}`);
  console.log(`  summary after zoom/pan: ${zoom.summary}`);
  if (errors.length) {
    console.error(`  page errors: ${errors.join(' | ')}`);
    process.exitCode = 1;
  }
} finally {
  await browser.close();
}
