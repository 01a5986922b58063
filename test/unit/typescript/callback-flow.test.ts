import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze, linesOf, ruleIds } from './helpers';

/**
 * Callback boundaries as suspension points: a callback of a timer, `.then`, `once` or an
 * error-first I/O call runs in a later turn, so "checked in this turn, acted on in the callback"
 * is the same check-then-act as across an `await`.
 */
void describe('check-then-act across a callback boundary (JS-ASYNC-002)', () => {
  void it('flags a running flag checked before an I/O call and set in its callback', async () => {
    const findings = await analyze(`
function Scheduler() { this.running = false; }
Scheduler.prototype.start = function () {
  var self = this;
  if (self.running) return self;
  self.store.count(function (err, n) {
    if (err) throw err;
    self.running = true;
    self.timer = setInterval(function () { self.tick(); }, 1000);
  });
  return self;
};
module.exports = Scheduler;`, '/work/scheduler.js');
    assert.deepEqual(linesOf(findings, 'JS-ASYNC-002'), [8]);
    assert.match(findings[0].message, /after the callback of `count` in `Scheduler\.start`/);
    assert.ok(findings[0].related.some((r) => /later turn/.test(r.message)), 'the callback is named as the suspension point');
  });

  void it('flags a promise continuation the same way', async () => {
    const findings = await analyze(`
export class Loader {
  loaded = false;
  load() {
    if (this.loaded) return;
    fetchAll().then((rows) => {
      this.rows = rows;
      this.loaded = true;
    });
  }
}`);
    assert.deepEqual(ruleIds(findings), ['JS-ASYNC-002']);
  });

  void it('is silent when the flag is claimed before the call, or checked again in the callback', async () => {
    const claimed = await analyze(`
function Scheduler() {}
Scheduler.prototype.start = function () {
  var self = this;
  if (self.running) return;
  self.running = true;
  self.store.count(function (err) { if (!err) self.started = Date.now(); });
};
module.exports = Scheduler;`, '/work/a.js');
    assert.deepEqual(claimed, []);
    const rechecked = await analyze(`
function Scheduler() {}
Scheduler.prototype.start = function () {
  var self = this;
  if (self.running) return;
  self.store.count(function (err) {
    if (err || self.running) return;
    self.running = true;
  });
};
module.exports = Scheduler;`, '/work/b.js');
    assert.deepEqual(rechecked, []);
  });

  void it('a flag claimed later in the same turn still keeps other runs out of the callback', async () => {
    const findings = await analyze(`
export class Lazy {
  value;
  pending;
  materialize() {
    if (this.value) return Promise.resolve(this.value);
    if (this.pending) return this.pending;
    const pending = create().then((v) => { this.value = v; return v; });
    this.pending = pending;
    return pending;
  }
}`);
    assert.deepEqual(findings, []);
  });

  void it('synchronous callbacks (forEach, map, find, a Promise executor) are not suspension points', async () => {
    const findings = await analyze(`
export class Registry {
  names = new Set();
  addAll(items) {
    if (this.sealed) return;
    items.forEach((item) => { this.names.add(item.name); this.sealed = items.length > 100; });
    return new Promise((resolve) => { this.ready = true; resolve(); });
  }
}`);
    assert.deepEqual(findings, []);
  });

  void it('`this` inside a plain function callback is not the object; `.bind(this)` makes it so', async () => {
    const unbound = await analyze(`
export class Store {
  save() {
    if (this.saving) return;
    write(function (err) { this.saving = true; });
  }
}`);
    assert.deepEqual(unbound, []);
    const bound = await analyze(`
export class Store {
  save() {
    if (this.saving) return;
    write(function (err) { this.saving = true; }.bind(this));
  }
}`);
    assert.deepEqual(ruleIds(bound), ['JS-ASYNC-002']);
  });

  void it('a callback-style function handing its continuation on is not started twice; called in a loop it is', async () => {
    const chained = await analyze(`
function run(state, done) {
  if (state.busy) return done();
  step(function (err) { state.busy = true; next(); });
  function next() { run(state, done); }
}`, '/work/chain.js');
    assert.deepEqual(chained, []);
    const looped = await analyze(`
const cache = {};
function warm(key, done) {
  if (cache[key]) return done();
  load(key, function (err, value) { cache[key] = value; done(); });
}
function warmAll(keys) { for (const key of keys) warm(key, () => {}); }`, '/work/loop.js');
    assert.deepEqual(linesOf(looped, 'JS-ASYNC-002'), [5]);
  });
});
