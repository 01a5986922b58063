import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze, linesOf, ruleIds } from './helpers';

void describe('JS-ASYNC-007 acting after close without checking again', () => {
  const pool = (callback: string, extra = '') => `
function Pool() { this.closed = false; this.waiting = []; }
Pool.prototype.acquire = function (done) {
  var pool = this;
  if (pool.closed) return done(new Error('closed'));
  ping(function (err) {
${callback}
  });
};
Pool.prototype.end = function () { this.closed = true; this.waiting = []; };
${extra}
module.exports = Pool;`;

  void it('flags a waiter queued in a callback after `closed` was checked only before the call', async () => {
    const findings = await analyze(pool('    pool.waiting.push(done);'), '/work/pool.js');
    assert.deepEqual(linesOf(findings, 'JS-ASYNC-007'), [7]);
    assert.match(findings[0].message, /^`pool\.closed` is checked at line 5 in `Pool\.acquire`, but the callback of `ping` acts on the object at line 7/);
    assert.ok(findings[0].related.some((r) => r.message === '`end` raises the flag here'));
  });

  void it('flags the act after an await too', async () => {
    const findings = await analyze(`
export class Queue {
  closed = false;
  items = [];
  async add(item) {
    if (this.closed) throw new Error('closed');
    const checked = await validate(item);
    this.items.push(checked);
  }
  close() { this.closed = true; }
}`);
    assert.deepEqual(linesOf(findings, 'JS-ASYNC-007'), [8]);
  });

  void it('follows the helper a check guards (getConnection checks, acquireConnection acts in its callback)', async () => {
    const findings = await analyze(`
function Pool() { this._closed = false; this._queue = []; }
Pool.prototype.getConnection = function (cb) {
  if (this._closed) return cb(new Error('closed'));
  this.acquireConnection(this.free.shift(), cb);
};
Pool.prototype.acquireConnection = function (connection, cb) {
  var pool = this;
  connection.ping(function (err) {
    if (err) return pool._queue.unshift(cb);
    cb(null, connection);
  });
};
Pool.prototype.end = function () { this._closed = true; };
module.exports = Pool;`, '/work/pool.js');
    assert.deepEqual(linesOf(findings, 'JS-ASYNC-007'), [10]);
  });

  void it('is silent when the flag is checked again in the callback or by an early exit on the way', async () => {
    assert.deepEqual(await analyze(pool('    if (pool.closed) return done(new Error(\'closed\'));\n    pool.waiting.push(done);'), '/work/a.js'), []);
    const earlyExit = await analyze(`
export class Queue {
  closed = false;
  items = [];
  async add(item) {
    if (this.closed) throw new Error('closed');
    if (item.slow) {
      await validate(item);
      if (this.closed) return;
    }
    this.items.push(item);
  }
  close() { this.closed = true; }
}`);
    assert.deepEqual(earlyExit, []);
  });

  void it('is silent for removals and failure reports after close, and for a timer the closer cancels', async () => {
    assert.deepEqual(await analyze(pool('    pool.waiting.splice(pool.waiting.indexOf(done), 1);\n    pool.emit(\'error\', err);'), '/work/b.js'), []);
    const timer = await analyze(`
export class Renewer {
  closed = false;
  jobs = new Map();
  schedule() {
    if (this.closed) return;
    this.timer = setTimeout(() => { this.jobs.set('next', Date.now()); }, 1000);
  }
  close() { this.closed = true; clearTimeout(this.timer); }
}`);
    assert.deepEqual(timer, []);
  });

  void it('is silent when the closing method waits for the work this run registered', async () => {
    const pool = (destroy: string) => `
export class Pool {
  used = [];
  free = [];
  acquire(resource) {
    if (this.destroyed) return;
    this.used.push(resource);
    validate(resource).then(() => { this.free.push(resource); });
  }
  ${destroy}
}`;
    const waiting = await analyze(pool('async destroy() { this.destroyed = true; await Promise.all(this.used.map((u) => u.released)); this.free.forEach((f) => f.close()); }'));
    assert.deepEqual(waiting, []);
    const notWaiting = await analyze(pool('destroy() { this.destroyed = true; this.free.forEach((f) => f.close()); }'));
    assert.deepEqual(linesOf(notWaiting, 'JS-ASYNC-007'), [8]);
  });

  void it('is silent for the closing method itself and for a flag another class raises', async () => {
    const findings = await analyze(`
export class Session {
  async detach() {
    if (this.closed) return;
    await this.send('detach');
    this.pending.add('bye');
  }
  dispose() { this.closed = true; }
}
export class Socket {
  buffer = [];
  async write(chunk) {
    if (this.closed) return;
    await encode(chunk);
    this.buffer.push(chunk);
  }
}`);
    assert.deepEqual(linesOf(findings, 'JS-ASYNC-007'), []);
  });
});

void describe('JS-ASYNC-008 lost wake-up on a one-shot event', () => {
  const client = (end: string, observer = "this.connection.once('end', () => this.cleanup());") => `
export class Client {
  constructor(connection) {
    this.connection = connection;
    ${observer}
  }
  end(cb) {
${end}
  }
  cleanup() {}
}`;

  void it('flags waiting for "end" with the caller\'s callback or a promise, with nothing telling whether it fired', async () => {
    const withCallback = await analyze(client("    this.connection.end();\n    this.connection.once('end', cb);"));
    assert.deepEqual(linesOf(withCallback, 'JS-ASYNC-008'), [9]);
    assert.match(withCallback[0].message, /^`this\.connection` 'end' is waited for at line 9 in `Client\.end`/);
    const withPromise = await analyze(client("    return new Promise((resolve) => this.connection.once('end', () => resolve()));"));
    assert.deepEqual(linesOf(withPromise, 'JS-ASYNC-008'), [8]);
  });

  void it('is silent when the method tests what the handler records, or the emitter\'s own state', async () => {
    const recorded = await analyze(
      client("    if (this.ended) return cb();\n    this.connection.once('end', cb);", "this.connection.once('end', () => { this.ended = true; });"),
    );
    assert.deepEqual(recorded, []);
    const ownState = await analyze(client("    if (this.connection.destroyed) return cb();\n    this.connection.once('end', cb);"));
    assert.deepEqual(ownState, []);
  });

  void it('is silent for repeating events, for handlers that do their own work, and where nothing else observes the event', async () => {
    assert.deepEqual(await analyze(client("    this.connection.once('data', cb);", "this.connection.on('data', () => this.cleanup());")), []);
    assert.deepEqual(await analyze(client("    this.connection.once('end', () => this.cleanup());")), []);
    assert.deepEqual(await analyze(client("    this.connection.once('end', cb);", '')), []);
  });

  void it('is silent in the method that creates the emitter', async () => {
    const findings = await analyze(`
export class Client {
  constructor() { this.socket = undefined; this.socket?.on('close', () => this.cleanup()); }
  connect(cb) {
    this.socket = openSocket();
    this.socket.once('connect', cb);
  }
  cleanup() {}
}`);
    assert.deepEqual(findings, []);
  });
});

void describe('JS-ASYNC-009 work released before its callback finished', () => {
  const crawler = (body: string) => `
export class Crawler {
  active = new Set();
  fetch(url) {
    this.active.add(url);
    download(url, (err, page) => {
${body}
    });
  }
  poll() { if (this.active.size === 0) this.finish(); }
}`;

  void it('flags removing the entry in the turn that started a callback which still emits results', async () => {
    const findings = await analyze(crawler("      unzip(page, (unzipErr, text) => this.found(url, text));\n      this.active.delete(url);"));
    assert.deepEqual(linesOf(findings, 'JS-ASYNC-009'), [8]);
    assert.ok(findings[0].related.some((r) => /completion is decided here/.test(r.message)));
  });

  void it('is silent when the entry leaves in the callback, on a branch that started nothing, or when the callback only reports a failure', async () => {
    assert.deepEqual(await analyze(crawler('      unzip(page, (unzipErr, text) => { this.found(url, text); this.active.delete(url); });')), []);
    assert.deepEqual(
      await analyze(crawler('      if (page.zipped) unzip(page, (unzipErr, text) => this.found(url, text));\n      else this.active.delete(url);')),
      [],
    );
    assert.deepEqual(await analyze(crawler("      setImmediate(() => this.emit('error', err));\n      this.active.delete(url);")), []);
  });

  void it('is silent for collections nothing tests for "nothing left"', async () => {
    const findings = await analyze(`
export class Log {
  seen = new Set();
  record(id) {
    this.seen.add(id);
    store(id, (err) => this.saved(id));
    this.seen.delete(id);
  }
}`);
    assert.deepEqual(ruleIds(findings), []);
  });
});
