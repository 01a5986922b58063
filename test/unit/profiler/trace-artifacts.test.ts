// Schema, Chrome Trace Event export and the bounded trace history, on one real trace.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { before, test } from 'node:test';
import { toChromeTrace } from '../../../src/profiler/chrome-trace';
import { TraceStore } from '../../../src/profiler/trace-store';
import type { ProfileTrace } from '../../../src/shared/trace';
import { profileFixture } from './helpers';
import { isValidTrace, validateTrace } from './schema';
import { scratchDir } from '../scratch';

let trace: ProfileTrace;
before(async () => {
  trace = (await profileFixture({ file: 'lock_contended.py', function: 'update', tasks: '[300000]*4', workers: [2] })).trace;
});

void test('a real trace validates against schema/trace.schema.json; broken ones do not', () => {
  validateTrace(trace);
  assert.equal(isValidTrace({ ...trace, verdict: { ...trace.verdict, bottleneck: 'vibes' } }), false);
  assert.equal(isValidTrace({ ...trace, runs: [{ ...trace.runs[0], kind: 'fiber' }] }), false);
  const { version: _version, ...unversioned } = trace;
  assert.equal(isValidTrace(unversioned), false);
});

void test('Chrome trace: process and thread names, task and lock spans, core counters', () => {
  const chrome = toChromeTrace(trace);
  const events = chrome.traceEvents;
  const tasks = events.filter((e) => e.ph === 'X' && e.cat === 'task');
  assert.equal(tasks.length, trace.runs.reduce((s, r) => s + r.tasks.length, 0));
  assert.ok(tasks.every((e) => e.ts >= 0 && (e.dur ?? -1) >= 0));
  assert.ok(events.some((e) => e.ph === 'X' && e.cat === 'lock-hold' && e.name === 'hold lock_contended.py:3'));
  assert.ok(events.some((e) => e.ph === 'M' && e.name === 'process_name' && String(e.args?.name).startsWith('thread x2 #1')));
  assert.ok(events.some((e) => e.ph === 'M' && e.name === 'thread_name'));
  if (trace.sampler.available) assert.ok(events.some((e) => e.ph === 'C' && 'cpu0' in (e.args ?? {})));
  const lanes = new Set(tasks.map((e) => `${e.pid}`));
  assert.ok(lanes.size >= trace.runs.length, 'each run has its own lanes');
});

void test('TraceStore keeps the newest traces up to its limit and loads them back', async () => {
  const dir = scratchDir('conclens-store-');
  const store = new TraceStore(dir, 2);
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push(await store.save({ ...trace, createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() }));
  assert.equal(readdirSync(dir).length, 2);
  const listed = await store.list();
  assert.deepEqual(listed.map((t) => t.id), [ids[2], ids[1]]);
  assert.equal(listed[0].recommendation, trace.verdict?.recommendation);
  assert.equal((await store.load(ids[2])).target.function, 'update');
  await assert.rejects(store.load(ids[0]), /ENOENT/);
  await assert.rejects(store.load('../etc/passwd'), /not a trace id/);
  assert.throws(() => new TraceStore(dir, 0), /positive integer/);
});
