import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Linter } from 'eslint';
import { analyze } from './helpers';

/**
 * Side by side with ESLint's `require-atomic-updates` (installed with the project's lint setup):
 * the false positives reported against it must stay silent here, and the races it cannot see
 * (check-then-act, `this` state, external stores, shared memory, locks) must be found here.
 */
const linter = new Linter({ configType: 'flat' });
const eslintReports = (code: string): number =>
  linter.verify(code, [{ rules: { 'require-atomic-updates': 'error' } }], { filename: 'sample.js' }).filter((m) => m.ruleId === 'require-atomic-updates').length;

const ITS_FALSE_POSITIVES: Record<string, string> = {
  'eslint#11899 (Koa ctx properties)': `app.use(async (ctx, next) => { ctx.state.user = ctx.state.user || await loadUser(ctx); await next(); ctx.body = await render(ctx.state.user); });`,
  'eslint#12353 (guard flag set before the first await)': `let syncing = false;\nexport async function sync() { if (syncing) return; syncing = true; await pushChanges(); syncing = false; }\nsetInterval(sync, 1000);`,
  'eslint#11950 (value only from the awaited call)': `const flasher = { manifestId: '', config: undefined };\nexport async function tryFetchManifest() { const config = await pureFetchManifest(flasher.manifestId); if (config) flasher.config = config; }`,
  'eslint#18785 (fresh objects)': `export const fn = async () => { const z1 = new Z(); const z2 = new Z(); await Promise.all([z1.loaded(), z2.loaded()]); z1.width = 100; z1.onComplete = () => { z1.height = 200; }; };`,
  'request-owned parameter': `export async function handler(req) { req.session.user = await load(req.session.id); }`,
};

const RACES_IT_MISSES: Record<string, [rule: string, code: string]> = {
  'lazy init of a `this` field (eslint#19022)': ['JS-ASYNC-002', `export class Db { async connection() { if (!this.client) { this.client = await connect(); } return this.client; } }`],
  'Set has/add around an await': ['JS-ASYNC-002', `const seen = new Set();\nexport async function once(id) { if (seen.has(id)) return; await work(id); seen.add(id); }`],
  'lost update through a `this` snapshot': ['JS-ASYNC-001', `class Counter { n = 0; async bump() { const v = this.n; await tick(); this.n = v + 1; } start(items) { for (const _ of items) this.bump(); } }`],
  'external store read-modify-write in a handler': ['JS-ASYNC-005', `emitter.on('msg', async (m) => { const n = await db.get('k'); await db.set('k', n + 1); });`],
  'file check-then-act': ['JS-ASYNC-006', `export async function ensure(p) { if (!(await exists(p))) await writeFile(p, 'x'); }`],
  'fan-out mutating a Map entry': ['JS-ASYNC-004', `export async function tally(ids, totals) { const counts = new Map(); await Promise.all(ids.map(async (id) => { const before = counts.get(id) ?? 0; await log(id); counts.set(id, before + 1); })); return counts; }`],
  'SharedArrayBuffer counter without Atomics': ['JS-SAB-001', `const { Worker } = require('node:worker_threads');\nconst sab = new SharedArrayBuffer(4);\nconst view = new Int32Array(sab);\nnew Worker('./w.js', { workerData: sab });\nview[0]++;`],
  'mixed atomic and plain access': ['JS-SAB-002', `const { Worker } = require('node:worker_threads');\nconst sab = new SharedArrayBuffer(4);\nconst view = new Int32Array(sab);\nnew Worker('./w.js', { workerData: sab });\nAtomics.add(view, 0, 1);\nview[0] = 0;`],
  'Atomics.wait on the main thread': ['JS-SAB-003', `const { Worker } = require('node:worker_threads');\nconst flags = new Int32Array(new SharedArrayBuffer(4));\nnew Worker('./w.js', { workerData: flags.buffer });\nAtomics.wait(flags, 0, 0);`],
  'workerData mutation': ['JS-WRK-001', `const { workerData } = require('node:worker_threads');\nworkerData.cache.set('k', 1);`],
  'async mutex ABBA': ['JS-LOCK-001', `const a = new Mutex();\nconst b = new Mutex();\nasync function f() { await a.runExclusive(() => b.runExclusive(x)); }\nasync function g() { await b.runExclusive(() => a.runExclusive(y)); }`],
  're-entrant mutex': ['JS-LOCK-002', `const m = new Mutex();\nasync function helper() { await m.runExclusive(step); }\nasync function outer() { await m.runExclusive(async () => { await helper(); }); }`],
  'Web Locks in opposite orders': ['JS-LOCK-003', `async function one() { await navigator.locks.request('a', async () => { await navigator.locks.request('b', work); }); }\nasync function two() { await navigator.locks.request('b', async () => { await navigator.locks.request('a', work); }); }`],
  'release outside finally': ['JS-LOCK-004', `const m = new Mutex();\nasync function update() { const release = await m.acquire(); step(); release(); }`],
  'acquire and waitForUnlock together': ['JS-LOCK-005', `const m = new Mutex();\nasync function f() { await Promise.all([m.acquire(), m.waitForUnlock()]); }`],
};

void describe('versus require-atomic-updates', () => {
  for (const [name, code] of Object.entries(ITS_FALSE_POSITIVES)) {
    void it(`silent where it reports a false positive: ${name}`, async () => {
      assert.ok(eslintReports(code) > 0, 'require-atomic-updates reports this code');
      assert.deepEqual(await analyze(code, '/work/sample.js'), []);
    });
  }
  for (const [name, [rule, code]] of Object.entries(RACES_IT_MISSES)) {
    void it(`finds what it misses: ${name} (${rule})`, async () => {
      assert.equal(eslintReports(code), 0, 'require-atomic-updates is silent here');
      const findings = await analyze(code, '/work/sample.js');
      assert.deepEqual([...new Set(findings.map((f) => f.ruleId))], [rule]);
    });
  }
});
