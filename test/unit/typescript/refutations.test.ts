import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze, linesOf, ruleIds } from './helpers';

/**
 * rules.md principle 7, in async code: orderings and protections that make a pair of accesses
 * safe. Each case is a minimal reduction of a pattern found in real packages; the positive
 * counterpart next to it shows the analysis would otherwise flag it.
 */
void describe('refutations of races across await', () => {
  void it('a pending-promise lock: the helper only runs as `this.p = this.helper()` behind `if (this.p) return this.p`', async () => {
    const locked = `
export class Client {
  async connect() {
    if (this.connecting) return await this.connecting;
    try {
      this.connecting = this.doConnect();
      await this.connecting;
    } finally {
      this.connecting = undefined;
    }
  }
  async doConnect() {
    if (this.topology) return this;
    this.options.ca ??= await readCa(this.options.caFile);
    this.topology = await openTopology(this.options);
  }
}`;
    assert.deepEqual(ruleIds(await analyze(locked)), []);
    const unlocked = locked.replace('this.connecting = this.doConnect();', 'this.doConnect();');
    assert.deepEqual(ruleIds(await analyze(unlocked)), ['JS-ASYNC-002']);
  });

  void it('a pending-promise map keyed by request, stored through a local', async () => {
    const findings = await analyze(`
export class Lookup {
  pending = {};
  async query(host) {
    const pending = this.pending[host];
    if (pending) return await pending;
    const next = this.queryAndCache(host);
    this.pending[host] = next;
    try { return await next; } finally { delete this.pending[host]; }
  }
  async queryAndCache(host) {
    if (this.fallback.has(host)) return lookup(host);
    const result = await resolve(host);
    this.fallback.add(host);
    return result;
  }
}`);
    assert.deepEqual(findings, []);
  });

  void it('a promise-chain lock: `this.queue = this.queue.then(() => this.step())`', async () => {
    const findings = await analyze(`
export class Writer {
  queue = Promise.resolve();
  write(data) {
    this.queue = this.queue.then(() => this.step(data));
    return this.queue;
  }
  async step(data) {
    if (!this.file) this.file = await openFile();
    await this.file.append(data);
  }
}`);
    assert.deepEqual(findings, []);
  });

  void it('a generation token compared after the await', async () => {
    const findings = await analyze(`
export class Checker {
  generation = 0;
  async restart() {
    const generation = ++this.generation;
    const previous = this.loop;
    await trace('restart');
    if (this.closing || generation !== this.generation) return;
    this.loop = (previous ?? Promise.resolve()).then(() => this.run(generation));
  }
}`);
    assert.deepEqual(findings, []);
  });

  void it('an await in a branch that returns, and a write that builds on the value of its own turn', async () => {
    const findings = await analyze(`
export class Cursor {
  returned = 0;
  async next() {
    const returned = this.returned;
    if (returned === this.limit) {
      await this.close();
      return undefined;
    }
    const batch = await this.fetch();
    this.returned = this.returned + batch.length;
    return batch;
  }
}`);
    assert.deepEqual(findings, []);
  });

  void it('a handler of an event that fires once ("ready") starts one run, not one per event', async () => {
    const once = `
let context;
export function watch(watcher) {
  watcher.on('ready', async () => {
    if (!context) context = await setup();
    start(context);
  });
}`;
    assert.deepEqual(await analyze(once), []);
    assert.deepEqual(ruleIds(await analyze(once.replace("'ready'", "'change'"))), ['JS-ASYNC-002']);
  });

  void it('overwriting with fresh data built from one element of the old value is no lost update; building on the whole old value is', async () => {
    const findings = await analyze(`
export class Sentinel {
  nodes = [];
  async refresh() {
    for (const node of this.nodes) {
      const fresh = await query(node);
      this.nodes = [node].concat(fresh);
      return;
    }
  }
}`);
    assert.deepEqual(findings, []);
    const accumulating = await analyze(`
export class Sentinel {
  nodes = [];
  async refresh() {
    const all = this.nodes;
    const fresh = await query(all[0]);
    this.nodes = all.concat(fresh);
  }
}`);
    assert.deepEqual(linesOf(accumulating, 'JS-ASYNC-001'), [7]);
  });

  void it('putting back a saved value on the way out (finally, catch) is a reset, not a lost update', async () => {
    const restore = (exit: string) => `
export class Parser {
  async parse(args) {
    const saved = this.state;
    this.state = args;
    ${exit}
  }
}`;
    assert.deepEqual(await analyze(restore('try { await run(args); } finally { this.state = saved; }')), []);
    assert.deepEqual(await analyze(restore('return run(args).finally(() => { this.state = saved; });')), []);
    assert.deepEqual(ruleIds(await analyze(restore('await run(args);\n    this.state = saved;'))), ['JS-ASYNC-001']);
  });

  void it('a claim before the call serialises the helper it calls (`if (busy) return; busy = true; this.helper()`)', async () => {
    const findings = await analyze(`
export class Client {
  async connect() {
    if (this._connecting) return;
    this._connecting = true;
    this._password();
    await this.handshake();
  }
  _password() {
    if (typeof this.password !== 'function') return;
    Promise.resolve().then(() => this.password()).then((pass) => { this.password = pass; });
  }
}`);
    assert.deepEqual(findings, []);
  });

  void it('fanned-out tasks that check and fill one key race', async () => {
    const sameKey = await analyze(`
const sessions = new Map();
export async function attachAll(ids) {
  await Promise.all(ids.map(() => attach('main')));
}
async function attach(id) {
  if (sessions.has(id)) return sessions.get(id);
  const session = await open(id);
  sessions.set(id, session);
}`);
    assert.deepEqual(linesOf(sameKey, 'JS-ASYNC-002'), [9]);
  });
});

void describe('evidence and severity', () => {
  const runner = `
export class Runner {
  async ensureConnection() {
    if (this.connection) return this.connection;
    this.connection = await this.client.acquireConnection();
    return this.connection;
  }
  async commit() {
    if (this.finished) throw new Error('already finished');
    await this.client.send('COMMIT');
    this.finished = true;
  }
}`;
  const levels = (findings: { ruleId: string; range: { start: { line: number } }; severity: string }[]) => findings.map((f) => `${f.range.start.line + 1} ${f.severity}`);

  void it('one object per operation: created for each call elsewhere in the run, its lazy init is information; a guard that throws stays a warning', async () => {
    const perCall = await analyze({
      '/lib/runner.js': runner,
      '/lib/client.js': `const { Runner } = require('./runner');
exports.run = function (builder) { return new Runner(builder).run(); };
exports.runner = function (builder) { return new Runner(builder); };`,
    });
    assert.deepEqual(levels(perCall), ['5 information', '11 warning']);
    const shared = await analyze({ '/lib/runner.js': runner, '/lib/client.js': `const { Runner } = require('./runner');
exports.shared = new Runner();` });
    assert.deepEqual(levels(shared), ['5 warning', '11 warning']);
    const handedToSuper = await analyze({
      '/lib/runner.js': runner,
      '/lib/poller.js': `const { Runner } = require('./runner');\nclass Poller extends Base { constructor(b) { const runner = new Runner(b); super(runner); } async poll() { await this.tick(); } }\nexports.Poller = Poller;`,
    });
    assert.deepEqual(levels(handedToSuper), ['5 information', '11 warning'], 'handed to a super constructor: owned by one poller');
    const unparsed = await analyze({
      '/lib/runner.js': runner,
      '/lib/poller.js': `const { Runner } = require('./runner');\nclass Poller extends Base { constructor(b) { const runner = new Runner(b); super(runner); } }\nexports.Poller = Poller;`,
    });
    assert.deepEqual(levels(unparsed), ['5 information', '11 warning'], 'the same, in a file the rules need not parse');
    const otherPackage = await analyze({
      '/app/node_modules/orm/runner.js': runner,
      '/app/node_modules/orm/client.js': `const { Runner } = require('./runner');\nexports.runner = function (b) { return new Runner(b); };`,
      '/app/node_modules/queue/index.js': `const { Runner } = require('./runner');\nexports.shared = new Runner();`,
    });
    assert.deepEqual(levels(otherPackage), ['5 information', '11 warning'], "another package's own `Runner` is another class");
    const newless = await analyze({
      '/lib/runner.js': `${runner}\nexport function Runner2() { if (!(this instanceof Runner2)) return new Runner2(); }`,
      '/lib/client.js': `function Runner(options) { if (!(this instanceof Runner)) return new Runner(options); }`,
    });
    assert.deepEqual(levels(newless), ['5 warning', '11 warning'], 'a constructor that makes `new` optional is no factory');
    const nowhere = await analyze({ '/lib/runner.js': runner });
    assert.deepEqual(levels(nowhere), ['5 warning', '11 warning'], 'created only by users of the library: may be shared');
  });

  void it('idempotent memoisation of a local read is information, creating a resource is a warning', async () => {
    const memo = await analyze(`
export class Path {
  async realpath() {
    if (this.cached) return this.cached;
    const resolved = await fs.promises.realpath(this.full);
    return (this.cached = resolved);
  }
}`);
    assert.deepEqual(memo.map((f) => `${f.ruleId} ${f.severity}`), ['JS-ASYNC-002 information']);
    const created = await analyze(`
let wasm;
export async function init(options) {
  return (wasm ??= await instantiate(options));
}`);
    assert.deepEqual(created.map((f) => `${f.ruleId} ${f.severity}`), ['JS-ASYNC-002 warning']);
  });

  void it('a class expression exported by name gives its public methods evidence; `_private` methods only through their callers', async () => {
    const findings = await analyze(`
var Module = null;
async function initialize(options) {
  return Module ??= await createModule(options);
}
var Parser = class {
  static async init(options) { setModule(await initialize(options)); }
  async _load() { if (!this.lang) this.lang = await loadLanguage(); }
};
export { Parser };`);
    assert.deepEqual(linesOf(findings, 'JS-ASYNC-002'), [4]);
    assert.ok(findings[0].related.some((r) => /`Parser\.init` calls it/.test(r.message)), 'the evidence names the caller');
  });

  void it('a compiled dynamic import (`Promise.resolve().then(() => require(m))`) is idempotent memoisation', async () => {
    const findings = await analyze(`let debug;\nexports.load = async function load() {\n  if (!debug) debug = (await Promise.resolve().then(() => require('debug'))).default;\n  return debug;\n};`, '/work/load.js');
    assert.deepEqual(findings.map((f) => f.severity), ['information']);
  });

  void it('a constructor calling a method works on an object no other run has seen', async () => {
    const code = `
function Reader(fd) { this.fd = fd; this.read = 0; this._next(); }
Reader.prototype._next = function () {
  var self = this;
  if (self.read === self.total) return;
  fetchEntry(self.fd, function (err) { self.read += 1; });
};
Reader.prototype.next = function () { this._next(); };
module.exports = Reader;`;
    assert.deepEqual(await analyze(code, '/work/reader.js'), []);
    assert.deepEqual(ruleIds(await analyze(code.replace('this._next(); };\nmodule', 'for (;;) this._next(); };\nmodule'), '/work/reader.js')), ['JS-ASYNC-002']);
  });

  void it('fanned-out tasks acting on paths built from their own element: another process can still race (information)', async () => {
    const findings = await analyze(`
export async function restore(dir, files) {
  await Promise.all(files.map(async (file) => {
    const backup = dir + '/' + file + '.bak';
    if (await exists(backup)) await rename(backup, dir + '/' + file);
  }));
}`);
    assert.deepEqual(findings.map((f) => `${f.ruleId} ${f.severity}`), ['JS-ASYNC-006 information']);
  });

  void it('several writes after one suspension are one finding', async () => {
    const findings = await analyze(`
export class Adapter {
  async connect() {
    if (this.connecting) return;
    if (this.raw.closed) {
      this.raw = await this.duplicate(this.raw);
      this.connecting = this.raw.connect();
      this.connected = true;
    }
  }
}`);
    assert.deepEqual(linesOf(findings, 'JS-ASYNC-002'), [6]);
  });
});
