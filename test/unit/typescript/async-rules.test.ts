import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze, linesOf, ruleIds } from './helpers';

void describe('JS-ASYNC-001 lost update across await', () => {
  void it('flags `this.total = this.total + await …` in a public method of an exported class', async () => {
    const findings = await analyze(`
export class Cart {
  total = 0;
  async add(id: string) {
    this.total = this.total + await price(id);
  }
}`);
    assert.deepEqual(linesOf(findings, 'JS-ASYNC-001'), [5]);
    const [finding] = findings;
    assert.match(finding.message, /this\.total/);
    assert.match(finding.message, /await price\(id\)/);
    assert.ok(finding.related.some((r) => /exported class/.test(r.message)), 'the evidence is related information');
    assert.ok(finding.related.length >= 2, 'names the read and the suspension point');
  });

  void it('flags `x += await f()` on a module variable of an exported function (reads x before the await)', async () => {
    const findings = await analyze(`let hits = 0;\nexport async function hit() { hits += await weight(); }`);
    assert.deepEqual(linesOf(findings, 'JS-ASYNC-001'), [2]);
  });

  void it('flags a snapshot in a local written back after the await', async () => {
    const findings = await analyze(`
let balance = 0;
export async function deposit(n: number) {
  const before = balance;
  await audit(n);
  balance = before + n;
}`);
    assert.deepEqual(linesOf(findings, 'JS-ASYNC-001'), [6]);
  });

  void it('flags a method started without await from a loop (require-atomic-updates misses `this`)', async () => {
    const findings = await analyze(`
class Counter {
  n = 0;
  async bump() { const v = this.n; await tick(); this.n = v + 1; }
  start(items: number[]) { for (const _ of items) this.bump(); }
}`);
    assert.deepEqual(linesOf(findings, 'JS-ASYNC-001'), [4]);
  });

  void it('flags through an alias of a shared object (`const c = this.cache`)', async () => {
    const findings = await analyze(`
export class Stats {
  counts: Record<string, number> = {};
  async record(k: string) {
    const c = this.counts;
    c[k] = (c[k] ?? 0) + await weigh(k);
  }
}`);
    assert.deepEqual(linesOf(findings, 'JS-ASYNC-001'), [6]);
  });

  void it('is silent without overlap evidence (a private helper awaited in sequence)', async () => {
    const findings = await analyze(`
let total = 0;
async function add(id: string) { total = total + await price(id); }
async function main(ids: string[]) { for (const id of ids) { await add(id); } }
main([]).catch(console.error);`);
    assert.deepEqual(findings, []);
  });

  void it('is silent when the value is read after the await (`const v = await f(); x += v`)', async () => {
    const findings = await analyze(`let x = 0;\nexport async function f() { const v = await g(); x += v; }`);
    assert.deepEqual(findings, []);
  });

  void it('is silent for `x = await f(); x++` on a local no closure captures', async () => {
    const findings = await analyze(`export async function f() { let x = 0; x = await g(); x++; return x; }`);
    assert.deepEqual(findings, []);
  });

  void it('is silent for a synchronous read-modify-write inside one handler', async () => {
    const findings = await analyze(`
let count = 0;
server.on('request', async (req, res) => { count++; res.end(String(count)); await flush(); });`);
    assert.deepEqual(findings, []);
  });

  void it('is silent for a write whose value comes only from the awaited call', async () => {
    const findings = await analyze(`let cfg: unknown;\nexport async function reload() { cfg = await loadConfig(); }`);
    assert.deepEqual(findings, []);
  });

  void it('is silent for AsyncLocalStorage-confined state', async () => {
    const findings = await analyze(`
import { AsyncLocalStorage } from 'node:async_hooks';
const store = new AsyncLocalStorage<{ n: number }>();
export async function handle() {
  const ctx = store.getStore()!;
  ctx.n = ctx.n + await work();
}`);
    assert.deepEqual(findings, []);
  });

  void it('is silent for writes to fresh objects that have not escaped', async () => {
    const findings = await analyze(`
export async function build(ids: string[]) {
  const out = { total: 0 };
  for (const id of ids) out.total = out.total + await price(id);
  return out;
}`);
    assert.deepEqual(findings, []);
  });
});

void describe('require-atomic-updates false positives stay silent', () => {
  void it('eslint#11899: properties of a request context (Koa `ctx.body`)', async () => {
    const findings = await analyze(`
app.use(async (ctx, next) => {
  ctx.state.user = ctx.state.user || await loadUser(ctx);
  await next();
  ctx.body = await render(ctx.state.user);
});`);
    assert.deepEqual(findings, []);
  });

  void it("eslint#11899: the rule's own documented correct examples", async () => {
    const findings = await analyze(`
let result = 0;
export async function foo() {
  result = await somethingElse() + result;
  const tmp = await somethingElse();
  result += tmp;
  let localVariable = 0;
  localVariable += await somethingElse();
  return localVariable;
}
export function* bar() { result += yield; }`);
    assert.deepEqual(findings, []);
  });

  void it('eslint#11954: decrement in finally of a concurrency limiter', async () => {
    const findings = await analyze(`
module.exports = function limit(fn, concurrency) {
  let count = 0;
  const queue = [];
  return async function (...args) {
    try {
      count += 1;
      if (count > concurrency) await new Promise((resolve) => queue.push({ resolve }));
      return await fn(...args);
    } finally {
      count -= 1;
      if (queue.length > 0) queue.shift().resolve();
    }
  };
};`, '/work/limit.js');
    assert.deepEqual(findings, []);
  });

  void it('eslint#12353: guard flag set before the first await', async () => {
    const findings = await analyze(`
let syncing = false;
export async function sync() {
  if (syncing) return;
  syncing = true;
  await pushChanges();
  syncing = false;
}
setInterval(sync, 1000);`);
    assert.deepEqual(findings, []);
  });

  void it('eslint#11950: assignment from the awaited result guarded by that result', async () => {
    const findings = await analyze(`
const flasher = { manifestId: '', config: undefined as unknown };
export async function tryFetchManifest() {
  const config = await pureFetchManifest(flasher.manifestId);
  if (config) flasher.config = config;
}`);
    assert.deepEqual(findings, []);
  });

  void it('eslint#14208: a loop variable name reused after an awaiting loop', async () => {
    const findings = await analyze(`
export async function run(input: { id: number }[], props: { id: number }[]) {
  for (const entry of input) {
    const prop = props.find((a) => a.id === entry.id) || null;
    await foo(entry, prop);
  }
  for (const entry of input) {
    const prop = props.find((a) => a.id === entry.id) || null;
    use(prop);
  }
}`);
    assert.deepEqual(findings, []);
  });

  void it('eslint#18785: fresh objects created in the function', async () => {
    const findings = await analyze(`
export const fn = async () => {
  const z1 = new Z();
  const z2 = new Z();
  await Promise.all([z1.loaded(), z2.loaded()]);
  z1.width = 100;
  z1.onComplete = () => { z1.height = 200; };
};`);
    assert.deepEqual(findings, []);
  });

  void it('a condition re-checked after the await (eslint#12108)', async () => {
    const findings = await analyze(`
let i = 0;
export async function f() { if (i) { await g(); if (i) { i = 0; } } }`);
    assert.deepEqual(findings, []);
  });

  void it('VS Code Thenable UI calls are not races', async () => {
    const findings = await analyze(`
import * as vscode from 'vscode';
export class Prompt {
  reloads = 0;
  async ask() {
    const pick = await vscode.window.showInformationMessage('Reload?', 'Yes', 'No');
    if (pick === 'Yes') this.reloads++;
    await vscode.window.showWarningMessage(\`Reloaded \${this.reloads} times\`);
  }
}`);
    assert.deepEqual(findings, []);
  });
});

void describe('JS-ASYNC-002 check-then-act across await', () => {
  void it('flags a cache stampede and offers to cache the promise', async () => {
    const code = `
const cache: Record<string, Promise<string> | string> = {};
export async function get(k: string) {
  if (!cache[k]) cache[k] = await load(k);
  return cache[k];
}`;
    const findings = await analyze(code);
    assert.deepEqual(ruleIds(findings), ['JS-ASYNC-002']);
    const [fix] = findings[0].fixes;
    assert.equal(fix.title, 'Cache the promise instead of the awaited value');
    const lines = code.split('\n');
    const edit = fix.edits[0];
    const line = lines[edit.range.start.line];
    const fixed = line.slice(0, edit.range.start.character) + edit.newText + line.slice(edit.range.end.character);
    assert.equal(fixed, '  if (!cache[k]) cache[k] = load(k).catch((error) => { cache[k] = undefined; throw error; });');
  });

  void it('flags lazy initialisation of a client field (require-atomic-updates misses `this`, eslint#19022)', async () => {
    const findings = await analyze(`
export class Db {
  private client?: Client;
  async connection() {
    if (!this.client) {
      this.client = await connect();
    }
    return this.client;
  }
}`);
    assert.deepEqual(linesOf(findings, 'JS-ASYNC-002'), [6]);
  });

  void it('flags Map has/set with an await in between', async () => {
    const findings = await analyze(`
const seen = new Set<string>();
export async function once(id: string) {
  if (seen.has(id)) return;
  await process(id);
  seen.add(id);
}`);
    assert.deepEqual(linesOf(findings, 'JS-ASYNC-002'), [6]);
  });

  void it('flags `x ||= await load()` on shared state', async () => {
    const findings = await analyze(`let conn: unknown;\nexport async function db() { conn ||= await open(); return conn; }`);
    assert.deepEqual(linesOf(findings, 'JS-ASYNC-002'), [2]);
  });

  void it('offers no fix when the cached value is also read without await elsewhere', async () => {
    const findings = await analyze(`
let client: any;
export async function get() { if (!client) client = await connect(); return client; }
export function status() { return client.status; }`);
    assert.deepEqual(ruleIds(findings), ['JS-ASYNC-002']);
    assert.deepEqual(findings[0].fixes, []);
  });

  void it('flags key tests written as `in`, Object.hasOwn, Reflect.has and hasOwnProperty', async () => {
    for (const test of ['!(k in cache)', '!Object.hasOwn(cache, k)', '!Reflect.has(cache, k)', '!cache.hasOwnProperty(k)']) {
      const findings = await analyze(`
const cache: Record<string, string> = {};
export async function get(k: string) {
  if (${test}) {
    cache[k] = await load(k);
  }
  return cache[k];
}`);
      assert.deepEqual(linesOf(findings, 'JS-ASYNC-002'), [5], test);
    }
  });

  void it('is silent on key tests of a local object or of a key the write does not touch', async () => {
    const local = await analyze(`
export async function get(k: string) {
  const cache: Record<string, string> = {};
  if (!(k in cache)) cache[k] = await load(k);
  return cache[k];
}`);
    assert.deepEqual(local, []);
    const otherKey = await analyze(`
const cache: Record<string, string> = {};
export async function get(k: string, j: string) {
  if (!(j in cache)) await warm(j);
  cache[k] = 'x';
}`);
    assert.deepEqual(ruleIds(otherKey).filter((id) => id === 'JS-ASYNC-002'), []);
  });

  void it('is silent when the promise itself is cached', async () => {
    const findings = await analyze(`
const cache = new Map<string, Promise<string>>();
export function get(k: string) {
  if (!cache.has(k)) cache.set(k, load(k));
  return cache.get(k)!;
}`);
    assert.deepEqual(findings, []);
  });
});

void describe('JS-ASYNC-003 stale snapshot decides a write', () => {
  void it('flags a status read before the await deciding the write after it', async () => {
    const findings = await analyze(`
const st = { status: 'idle' };
export async function start() {
  const s = st.status;
  await save();
  if (s === 'idle') st.status = 'busy';
}`);
    assert.deepEqual(linesOf(findings, 'JS-ASYNC-003'), [6]);
    assert.match(findings[0].message, /`s` holds `st\.status`/);
  });

  void it('is silent when the state is re-read after the await', async () => {
    const findings = await analyze(`
const st = { status: 'idle' };
export async function start() {
  await save();
  if (st.status === 'idle') st.status = 'busy';
}`);
    assert.deepEqual(findings, []);
  });
});

void describe('JS-ASYNC-004 concurrent fan-out', () => {
  void it('flags `sum += await` inside Promise.all(xs.map(async …))', async () => {
    const findings = await analyze(`
async function total(ids: string[]) {
  let sum = 0;
  await Promise.all(ids.map(async (id) => { sum += await get(id); }));
  return sum;
}`);
    assert.deepEqual(linesOf(findings, 'JS-ASYNC-004'), [4]);
    assert.ok(findings[0].related.some((r) => /`map` at line 4 starts it for every element/.test(r.message)));
  });

  void it('flags forEach(async …) mutating a captured accumulator', async () => {
    const findings = await analyze(`
function tally(ids: string[]) {
  const totals = { n: 0 };
  ids.forEach(async (id) => { totals.n = totals.n + await count(id); });
}`);
    assert.deepEqual(linesOf(findings, 'JS-ASYNC-004'), [4]);
  });

  void it('is silent for a sequential for…of loop with await', async () => {
    const findings = await analyze(`
async function total(ids: string[]) {
  let sum = 0;
  for (const id of ids) { sum += await get(id); }
  return sum;
}`);
    assert.deepEqual(findings, []);
  });

  void it('is silent when each task only returns its value (awaited promises)', async () => {
    const findings = await analyze(`
async function total(ids: string[]) {
  const parts = await Promise.all(ids.map(async (id) => await get(id)));
  return parts.reduce((a, b) => a + b, 0);
}`);
    assert.deepEqual(findings, []);
  });
});

void describe('JS-ASYNC-005 handler read-modify-write', () => {
  void it('flags an external store read and written back in an event handler', async () => {
    const findings = await analyze(`emitter.on('msg', async (m) => { const n = await db.get('k'); await db.set('k', n + 1); });`);
    assert.deepEqual(ruleIds(findings), ['JS-ASYNC-005']);
  });

  void it('flags a lost update on module state in a request handler', async () => {
    const findings = await analyze(`
let visits = 0;
app.post('/visit', async (req, res) => {
  const current = visits;
  await log(req);
  visits = current + 1;
  res.end();
});`);
    assert.deepEqual(linesOf(findings, 'JS-ASYNC-005'), [6]);
    assert.ok(findings[0].related.some((r) => /`post` at line 3 registers it as the '\/visit' handler/.test(r.message)));
  });

  void it('flags a named method registered as a timer callback', async () => {
    const findings = await analyze(`
class Poller {
  seen = 0;
  constructor() { setInterval(() => this.poll(), 1000); }
  async poll() { this.seen = this.seen + (await fetchCount()); }
}`);
    assert.deepEqual(linesOf(findings, 'JS-ASYNC-005'), [5]);
  });

  void it('is silent when the handler uses an atomic store update', async () => {
    const findings = await analyze(`emitter.on('msg', async (m) => { await db.incr('k'); });`);
    assert.deepEqual(findings, []);
  });
});

void describe('JS-ASYNC-006 external check-then-act', () => {
  void it('flags exists-then-writeFile across await', async () => {
    const findings = await analyze(`export async function ensure(p: string) { if (!(await exists(p))) await writeFile(p, 'x'); }`);
    assert.deepEqual(ruleIds(findings), ['JS-ASYNC-006']);
    assert.equal(findings[0].severity, 'warning');
  });

  void it('reports at information level without overlap evidence', async () => {
    const findings = await analyze(`async function ensure(p: string) { if (!(await exists(p))) await writeFile(p, 'x'); }`);
    assert.deepEqual(ruleIds(findings), ['JS-ASYNC-006']);
    assert.equal(findings[0].severity, 'information');
  });

  void it('is silent when the act itself fails on conflict (no prior check)', async () => {
    const findings = await analyze(`export async function ensure(p: string) { await writeFile(p, 'x', { flag: 'wx' }).catch(() => undefined); }`);
    assert.deepEqual(findings, []);
  });

  void it('is silent for a synchronous check and act with no suspension between', async () => {
    const findings = await analyze(`export async function ensure(p: string) { if (!existsSync(p)) mkdirSync(p); await touch(p); }`);
    assert.deepEqual(findings, []);
  });
});

void describe('overlap evidence and mutual exclusion', () => {
  void it('a guard flag set before the first await protects everything until it is cleared', async () => {
    const findings = await analyze(`
export class Reader {
  reading = false;
  parent: { files: string[] } | undefined;
  total = 0;
  async read() {
    if (this.reading) return;
    this.reading = true;
    try {
      const fil = this.parent && this.parent.files;
      if (!fil) this.parent = await nextParent();
      this.total = this.total + await count();
    } finally {
      this.reading = false;
    }
  }
}`);
    assert.deepEqual(findings, []);
  });

  void it('a poller that re-schedules itself after finishing does not overlap with itself', async () => {
    const findings = await analyze(`
class Poller {
  views = new Map<string, number>();
  async refresh() {
    for (const name of await list()) {
      if (this.views.has(name)) continue;
      this.views.set(name, await pid(name));
    }
  }
  start() {
    const poll = () => { setTimeout(() => this.refresh().then(poll), 500); };
    poll();
  }
}`);
    assert.deepEqual(findings, []);
  });

  void it('does not confuse a library call with a same-named method of the class', async () => {
    const findings = await analyze(`
class Path {
  cached?: string;
  async realpath() {
    if (!this.cached) this.cached = await resolve();
    return this.cached;
  }
  watch() { fs.realpath(this.cached, noop); }
}`);
    assert.deepEqual(findings, []);
  });

  void it('counts an instance method started without await through a local instance', async () => {
    const findings = await analyze(`
class Loader {
  cached?: string;
  async load() {
    if (!this.cached) this.cached = await fetchIt();
    return this.cached;
  }
}
const loader = new Loader();
function warm() { loader.load(); loader.load(); }`);
    assert.deepEqual(linesOf(findings, 'JS-ASYNC-002'), [5]);
  });
});

void describe('JS-ASYNC-006 across a callback boundary', () => {
  void it('flags fs.access then writeFile of the same path in its callback', async () => {
    const findings = await analyze(`
const fs = require('fs');
function save(p, data, done) {
  fs.access(p, (err) => {
    if (err) fs.writeFile(p, data, done);
    else done();
  });
}`, '/work/save.js');
    assert.deepEqual(linesOf(findings, 'JS-ASYNC-006'), [5]);
    assert.match(findings[0].message, /callback/);
  });

  void it('is silent when the callback acts on another resource', async () => {
    const findings = await analyze(`
const fs = require('fs');
fs.stat(src, (err, st) => { if (!err) fs.writeFile(target, String(st.size), () => {}); });`, '/work/copy.js');
    assert.deepEqual(findings, []);
  });
});

void describe('loop conditions', () => {
  void it('a loop condition re-checked every iteration is no stale check', async () => {
    const findings = await analyze(`
export class Job {
  done = false;
  async run() {
    while (!this.done) {
      this.done = await step();
    }
  }
}`);
    assert.deepEqual(findings, []);
  });
});

void describe('idempotent writes', () => {
  void it('storing the value of a promise every run shares is no check-then-act', async () => {
    const findings = await analyze(`
let instance: Parser | undefined;
const ready = loadParser();
export async function connect() {
  if (!instance) instance = await ready;
  return instance.parse();
}`);
    assert.deepEqual(findings, []);
  });

  void it('deleting an entry read before the await is no lost update', async () => {
    const findings = await analyze(`
export class Session {
  tokens = new Map<string, string>();
  async logout(user: string) {
    const token = this.tokens.get(user);
    await revoke(token);
    this.tokens.delete(user);
  }
}`);
    assert.deepEqual(findings, []);
  });
});
