import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { WorkerPool, type WorkerScript } from '../../../src/analyzers/worker-pool';

const fakeWorker: WorkerScript = { file: path.resolve('test/fixtures/engine/fake-worker.mjs'), execArgv: [] };

void test('a pool answers every task, more tasks than workers', async () => {
  const pool = new WorkerPool(2, { script: fakeWorker });
  try {
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => pool.run({ path: `/p/f${i}.py`, maxBytes: 100 })));
    assert.deepEqual(outcomes.map((o) => o.path), Array.from({ length: 20 }, (_, i) => `/p/f${i}.py`));
    assert.ok(outcomes.every((o) => o.kind === 'summary'));
  } finally {
    await pool.terminate();
  }
});

void test('a crashed worker costs one notice; the pool respawns and finishes the rest', async () => {
  const pool = new WorkerPool(1, { script: fakeWorker });
  try {
    const files = ['/p/a.py', '/p/crash.py', '/p/b.py', '/p/throw.py', '/p/c.py'];
    const outcomes = await Promise.all(files.map((file) => pool.run({ path: file, maxBytes: 100 })));
    assert.deepEqual(outcomes.map((o) => o.kind), ['summary', 'notice', 'summary', 'notice', 'summary']);
    const [crash, thrown] = [outcomes[1], outcomes[3]];
    assert.ok(crash.kind === 'notice' && /worker crashed on this file \(exit code 7\)/.test(crash.message), JSON.stringify(crash));
    assert.ok(thrown.kind === 'notice' && /worker crashed on this file \(analyzer exploded\)/.test(thrown.message), JSON.stringify(thrown));
  } finally {
    await pool.terminate();
  }
});

void test('terminate rejects running and queued tasks and stops the workers promptly', async () => {
  const pool = new WorkerPool(1, { script: fakeWorker });
  const running = assert.rejects(pool.run({ path: '/p/slow.py', maxBytes: 100 }), /terminated/);
  const queued = assert.rejects(pool.run({ path: '/p/next.py', maxBytes: 100 }), /terminated/);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const started = performance.now();
  await pool.terminate();
  assert.ok(performance.now() - started < 1000, 'did not wait for the slow file');
  await running;
  await queued;
  await assert.rejects(pool.run({ path: '/p/late.py', maxBytes: 100 }), /terminated/);
});

void test('a file that hangs its worker is stopped after the timeout; the next file is analyzed', async () => {
  const pool = new WorkerPool(1, { script: fakeWorker, taskTimeoutMs: 300 });
  try {
    // The timeout notice itself proves the slow file (which answers after 2 s) was stopped.
    const [slow, next] = await Promise.all([pool.run({ path: '/p/slow.py', maxBytes: 100 }), pool.run({ path: '/p/next.py', maxBytes: 100 })]);
    assert.deepEqual(slow, { kind: 'notice', path: '/p/slow.py', message: 'not analyzed: analysis took longer than 0.3 s and was stopped', lines: 0 });
    assert.equal(next.kind, 'summary');
  } finally {
    await pool.terminate();
  }
});

void test('a pool needs at least one worker', () => {
  assert.throws(() => new WorkerPool(0, { script: fakeWorker }), RangeError);
});
