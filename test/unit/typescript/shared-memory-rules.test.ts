import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze, linesOf, ruleIds } from './helpers';

const MAIN_WITH_COUNTER = `
import { Worker } from 'node:worker_threads';
const sab = new SharedArrayBuffer(4);
const view = new Int32Array(sab);
const worker = new Worker('./count.js', { workerData: sab });
`;

void describe('JS-SAB-001 plain read-modify-write on shared memory', () => {
  void it('flags `view[0]++` on a view whose buffer goes to a Worker, with an Atomics fix', async () => {
    const code = `${MAIN_WITH_COUNTER}view[0]++;\n`;
    const findings = await analyze(code, '/work/main.js');
    assert.deepEqual(linesOf(findings, 'JS-SAB-001'), [6]);
    const edit = findings[0].fixes[0].edits[0];
    assert.equal(findings[0].fixes[0].title, 'Use Atomics');
    assert.equal(edit.newText, 'Atomics.add(view, 0, 1)');
  });

  void it('flags `+=` in a worker on a view built from workerData, fixing to Atomics.add', async () => {
    const findings = await analyze(`
const { workerData } = require('node:worker_threads');
const counter = new Int32Array(workerData);
for (let i = 0; i < 1000; i++) counter[0] += 2;`, '/work/count.js');
    assert.deepEqual(ruleIds(findings), ['JS-SAB-001']);
    assert.equal(findings[0].fixes[0].edits[0].newText, 'Atomics.add(counter, 0, 2)');
  });

  void it('is silent for Atomics.add and for a view of a private ArrayBuffer', async () => {
    const findings = await analyze(`${MAIN_WITH_COUNTER}Atomics.add(view, 0, 1);
const local = new Int32Array(new ArrayBuffer(4));
local[0]++;
`, '/work/main.js');
    assert.deepEqual(findings, []);
  });

  void it('is silent for a SharedArrayBuffer that never reaches a worker', async () => {
    const findings = await analyze(`const sab = new SharedArrayBuffer(4);\nconst view = new Int32Array(sab);\nview[0]++;\n`, '/work/alone.js');
    assert.deepEqual(findings, []);
  });
});

void describe('JS-SAB-002 mixed atomic and plain access', () => {
  void it('flags a plain write to a slot updated with Atomics elsewhere', async () => {
    const findings = await analyze(`${MAIN_WITH_COUNTER}Atomics.add(view, 0, 1);\nfunction reset() { view[0] = 0; }\n`, '/work/main.js');
    assert.deepEqual(linesOf(findings, 'JS-SAB-002'), [7]);
    assert.match(findings[0].message, /Atomics\.store/);
  });

  void it('is silent when every access of the slot is atomic', async () => {
    const findings = await analyze(`${MAIN_WITH_COUNTER}Atomics.add(view, 0, 1);\nfunction reset() { Atomics.store(view, 0, 0); }\nconst v = Atomics.load(view, 0);\n`, '/work/main.js');
    assert.deepEqual(findings, []);
  });
});

void describe('JS-SAB-003 Atomics.wait on the main thread', () => {
  void it('flags Atomics.wait in the module that starts the workers', async () => {
    const findings = await analyze(`${MAIN_WITH_COUNTER}Atomics.wait(view, 0, 0);\n`, '/work/main.js');
    assert.deepEqual(ruleIds(findings), ['JS-SAB-003']);
    assert.equal(findings[0].severity, 'error');
  });

  void it('flags Atomics.wait in the isMainThread branch of a file that is also the worker script', async () => {
    const shared = `const { Worker, isMainThread, workerData, parentPort } = require('node:worker_threads');
const view = new Int32Array(new SharedArrayBuffer(4));
if (isMainThread) {
  new Worker(__filename, { workerData: view });
  Atomics.wait(view, 0, 0);
} else {
  Atomics.wait(workerData, 0, 0);
  parentPort.postMessage('ready');
}
if (!isMainThread) Atomics.wait(workerData, 0, 1);
else Atomics.wait(view, 0, 1);
`;
    const findings = await analyze(shared, '/work/both.js');
    assert.deepEqual(linesOf(findings, 'JS-SAB-003'), [5, 11]);
  });

  void it('is silent in a worker, in the worker branch of a shared file, and for waitAsync', async () => {
    const worker = await analyze(`const { workerData } = require('node:worker_threads');\nconst v = new Int32Array(workerData);\nAtomics.wait(v, 0, 0);\n`, '/work/w.js');
    const branch = await analyze(`${MAIN_WITH_COUNTER}if (!isMainThread) { Atomics.wait(view, 0, 0); }\nAtomics.waitAsync(view, 0, 0);\n`, '/work/main.js');
    assert.deepEqual([...worker, ...branch], []);
  });
});

void describe('JS-WRK-001 worker isolation misconception', () => {
  void it('flags a worker mutating workerData', async () => {
    const findings = await analyze(`
const { workerData, parentPort } = require('node:worker_threads');
workerData.cache.set('k', 1);
workerData.done = true;`, '/work/w.js');
    assert.deepEqual(linesOf(findings, 'JS-WRK-001'), [3, 4]);
  });

  void it('flags the parent changing an object after handing it to a worker', async () => {
    const findings = await analyze(`
const { Worker } = require('node:worker_threads');
const settings = { stop: false };
const w = new Worker('./w.js', { workerData: settings });
settings.stop = true;`, '/work/main.js');
    assert.deepEqual(linesOf(findings, 'JS-WRK-001'), [5]);
  });

  void it('is silent for a same-named variable of another function (a parameter handed over elsewhere)', async () => {
    const findings = await analyze(`
const { Worker } = require('node:worker_threads');
function run(job) { return new Worker('./w.js', { workerData: job }); }
function runAll(jobs) {
  for (const job of jobs) {
    job.name = job.name.trim();
    run(job);
  }
}`, '/work/main.js');
    assert.deepEqual(findings, []);
  });

  void it('is silent when results are posted back and shared memory is used', async () => {
    const findings = await analyze(`
const { workerData, parentPort } = require('node:worker_threads');
const result = new Map(workerData.entries);
result.set('k', 1);
parentPort.postMessage(result);`, '/work/w.js');
    assert.deepEqual(findings, []);
  });
});
