import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze, linesOf, ruleIds } from './helpers';

const HEADER = `import { Mutex, Semaphore } from 'async-mutex';\n`;

void describe('JS-LOCK-001 lock-order inversion between async mutexes', () => {
  void it('flags opposite nesting orders, across two files', async () => {
    const findings = await analyze({
      '/work/locks.ts': `${HEADER}export const a = new Mutex();\nexport const b = new Mutex();\nexport async function transfer() { await a.runExclusive(() => b.runExclusive(move)); }\n`,
      '/work/report.ts': `import { a, b } from './locks';\nexport async function report() { await b.runExclusive(async () => { await a.runExclusive(read); }); }\n`,
    });
    assert.deepEqual(ruleIds(findings), ['JS-LOCK-001']);
    assert.match(findings[0].message, /locks\.a/);
    assert.match(findings[0].message, /locks\.b/);
    assert.ok(findings[0].related.some((r) => r.file === '/work/report.ts'), 'points at the opposite order');
  });

  void it('follows a same-file call made while holding the first mutex', async () => {
    const findings = await analyze(`${HEADER}
class Bank {
  private accounts = new Mutex();
  private audit = new Mutex();
  async pay() { await this.accounts.runExclusive(async () => { await this.log(); }); }
  async log() { await this.audit.runExclusive(write); }
  async review() { await this.audit.runExclusive(async () => { await this.accounts.runExclusive(read); }); }
}`);
    assert.deepEqual(ruleIds(findings), ['JS-LOCK-001']);
  });

  void it('is silent when every flow uses the same order', async () => {
    const findings = await analyze(`${HEADER}const a = new Mutex();\nconst b = new Mutex();\nasync function f() { await a.runExclusive(() => b.runExclusive(x)); }\nasync function g() { await a.runExclusive(() => b.runExclusive(y)); }\n`);
    assert.deepEqual(findings, []);
  });
});

void describe('JS-LOCK-002 re-entrant acquisition', () => {
  void it('flags a helper that takes the mutex the caller holds', async () => {
    const findings = await analyze(`${HEADER}
const m = new Mutex();
async function helper() { await m.runExclusive(step); }
export async function outer() { await m.runExclusive(async () => { await helper(); }); }`);
    assert.deepEqual(ruleIds(findings), ['JS-LOCK-002']);
    assert.match(findings[0].message, /not re-entrant/);
  });

  void it('is silent for a semaphore with several permits and for sequential use', async () => {
    const findings = await analyze(`${HEADER}
const pool = new Semaphore(4);
const m = new Mutex();
async function helper() { await pool.runExclusive(step); }
export async function outer() { await pool.runExclusive(async () => { await helper(); }); await m.runExclusive(a); await m.runExclusive(b); }`);
    assert.deepEqual(findings, []);
  });
});

void describe('JS-LOCK-003 nested Web Locks in inconsistent order', () => {
  void it('flags opposite nesting of navigator.locks.request', async () => {
    const findings = await analyze(`
async function one() { await navigator.locks.request('a', async () => { await navigator.locks.request('b', work); }); }
async function two() { await navigator.locks.request('b', async () => { await navigator.locks.request('a', work); }); }`);
    assert.deepEqual(ruleIds(findings), ['JS-LOCK-003']);
  });

  void it('is silent for a consistent order', async () => {
    const findings = await analyze(`
async function one() { await navigator.locks.request('a', () => navigator.locks.request('b', work)); }
async function two() { await navigator.locks.request('a', () => navigator.locks.request('b', other)); }`);
    assert.deepEqual(findings, []);
  });
});

void describe('JS-LOCK-004 release not guaranteed', () => {
  const code = `${HEADER}const m = new Mutex();
export async function update() {
  const release = await m.acquire();
  step();
  other();
  release();
}`;

  void it('flags release() outside finally and offers to move it into finally', async () => {
    const findings = await analyze(code);
    assert.deepEqual(linesOf(findings, 'JS-LOCK-004'), [7]);
    const fix = findings[0].fixes[0];
    assert.equal(fix.title, 'Move release into finally');
    const lines = code.split('\n');
    const { start, end } = fix.edits[0].range;
    const fixed = [...lines.slice(0, start.line), lines[start.line].slice(0, start.character) + fix.edits[0].newText + lines[end.line].slice(end.character), ...lines.slice(end.line + 1)].join('\n');
    assert.match(fixed, /const release = await m\.acquire\(\);\n {2}try \{\n {4}step\(\);\n {4}other\(\);\n {2}\} finally \{\n {4}release\(\);\n {2}\}\n\}/);
  });

  void it('flags un-awaited async work inside the critical section', async () => {
    const findings = await analyze(`${HEADER}const m = new Mutex();
async function save() { await disk(); }
export async function update() {
  await m.runExclusive(async () => {
    save();
  });
}`);
    assert.deepEqual(linesOf(findings, 'JS-LOCK-004'), [6]);
  });

  void it('is silent for acquire with release in finally', async () => {
    const findings = await analyze(`${HEADER}const m = new Mutex();
export async function update() {
  const release = await m.acquire();
  try { await step(); } finally { release(); }
}`);
    assert.deepEqual(findings, []);
  });
});

void describe('JS-LOCK-005 waiting for a lock event the flow blocks', () => {
  void it('flags acquire and waitForUnlock of one mutex awaited together', async () => {
    const findings = await analyze(`${HEADER}const m = new Mutex();\nexport async function f() { await Promise.all([m.acquire(), m.waitForUnlock()]); }`);
    assert.deepEqual(ruleIds(findings), ['JS-LOCK-005']);
  });

  void it('flags waitForUnlock inside the critical section of the same mutex', async () => {
    const findings = await analyze(`${HEADER}const m = new Mutex();\nexport async function f() { await m.runExclusive(async () => { await m.waitForUnlock(); }); }`);
    assert.deepEqual(ruleIds(findings), ['JS-LOCK-005']);
  });

  void it('is silent for waitForUnlock outside the critical section', async () => {
    const findings = await analyze(`${HEADER}const m = new Mutex();\nexport async function f() { await m.waitForUnlock(); await m.runExclusive(work); }`);
    assert.deepEqual(findings, []);
  });
});

void describe('JS-LOCK-001 longer cycles', () => {
  void it('flags a three-mutex ring once', async () => {
    const findings = await analyze(`${HEADER}const a = new Mutex();\nconst b = new Mutex();\nconst c = new Mutex();
async function f() { await a.runExclusive(() => b.runExclusive(x)); }
async function g() { await b.runExclusive(() => c.runExclusive(y)); }
async function h() { await c.runExclusive(() => a.runExclusive(z)); }`);
    assert.deepEqual(ruleIds(findings), ['JS-LOCK-001']);
    assert.equal(findings[0].related.filter((r) => r.message.includes('taken while holding')).length, 2);
  });

  void it('is silent for a chain without a cycle', async () => {
    const findings = await analyze(`${HEADER}const a = new Mutex();\nconst b = new Mutex();\nconst c = new Mutex();
async function f() { await a.runExclusive(() => b.runExclusive(x)); }
async function g() { await b.runExclusive(() => c.runExclusive(y)); }
async function h() { await a.runExclusive(() => c.runExclusive(z)); }`);
    assert.deepEqual(findings, []);
  });
});
