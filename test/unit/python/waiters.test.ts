import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzePython, only, py } from './helpers';

// Minimal reductions of the hand-made rendezvous of asyncio libraries: a protocol's drain
// waiter, a connector's queue of waiters, a server's idle waiter tested by a keep-alive timer.

void describe('PY-ASYNC-005 one waiter slot', () => {
  const slot = (store: string) => py`
    import asyncio

    class Stream:
        def __init__(self, loop):
            self._loop = loop
            self._blocked = False
            self._waiter = None

        def unblock(self):
            self._blocked = False
            waiter = self._waiter
            self._waiter = None
            if waiter is not None:
                waiter.set_result(None)

        async def wait_unblocked(self):
            if not self._blocked:
                return
            ${store}
  `;

  void it('flags a second caller replacing the pending waiter', async () => {
    const findings = only(await analyzePython({ 'stream.py': slot(`waiter = self._loop.create_future()
            self._waiter = waiter
            await waiter`) }), 'PY-ASYNC-005');
    assert.deepEqual(findings.map((f) => [f.severity, f.range.start.line]), [['warning', 19]]);
    assert.match(findings[0]!.message, /^`Stream._waiter` gets a new waiter future in `Stream.wait_unblocked` \(line 20, tasks calling `Stream`\)/);
    assert.ok(findings[0]!.related.some((r) => r.message === '`Stream.unblock` wakes only the waiter in the slot at that moment'));
  });

  void it('accepts a waiter reused when one is pending, and a slot nothing else resolves', async () => {
    const reused = await analyzePython({ 'stream.py': slot(`waiter = self._waiter
            if waiter is None:
                waiter = self._loop.create_future()
                self._waiter = waiter
            await asyncio.shield(waiter)`) });
    assert.deepEqual(only(reused, 'PY-ASYNC-005'), []);
    const alone = await analyzePython({
      'solo.py': py`
        class Probe:
            def __init__(self, loop):
                self._loop = loop
                self._done = None

            async def run(self):
                self._done = self._loop.create_future()
                self._done.set_result(1)
                await self._done
      `,
    });
    assert.deepEqual(only(alone, 'PY-ASYNC-005'), []);
  });

  void it('accepts a second caller turned away while a waiter is pending', async () => {
    for (const refusal of ['raise RuntimeError("already waiting")', 'return']) {
      const findings = await analyzePython({ 'stream.py': slot(`if self._waiter is not None:
                ${refusal}
            self._waiter = self._loop.create_future()
            await self._waiter`) });
      assert.deepEqual(only(findings, 'PY-ASYNC-005'), [], refusal);
    }
  });

  void it('accepts a second caller turned away by an assert on the slot, not an assert on something else', async () => {
    // An ICE agent's event getter documented "may only be called once at a time": it asserts
    // that no waiter is pending before it parks one.
    const guarded = (assertion: string) => slot(`${assertion}
            self._waiter = self._loop.create_future()
            await self._waiter`);
    assert.deepEqual(only(await analyzePython({ 'stream.py': guarded('assert self._waiter is None, "already waiting"') }), 'PY-ASYNC-005'), []);
    assert.equal(only(await analyzePython({ 'stream.py': guarded('assert self._loop is not None') }), 'PY-ASYNC-005').length, 1);
  });

  void it('takes a slot that refuses a second waiter for a single reader: no fast path that bypasses it either', async () => {
    // A parser's data queue: one reader parks until data or the end comes.
    const feed = (guard: string) => py`
      import collections

      class Feed:
          def __init__(self, loop):
              self._loop = loop
              self._items = collections.deque()
              self._waiter = None

          def put(self, item):
              self._items.append(item)
              waiter = self._waiter
              if waiter is not None:
                  self._waiter = None
                  waiter.set_result(None)

          async def get(self):
              if not self._items:
                  ${guard}
                  self._waiter = self._loop.create_future()
                  await self._waiter
              return self._items.popleft()
    `;
    assert.deepEqual(only(await analyzePython({ 'feed.py': feed('assert not self._waiter') }), 'PY-ASYNC-005'), []);
    assert.equal(only(await analyzePython({ 'feed.py': feed('pass') }), 'PY-ASYNC-005').length, 1);
  });

  void it('accepts a state guard the method moves on through a helper before it waits', async () => {
    // A transport's starttls(): refused unless the stream is raw, and the handshake it starts
    // moves the state on before the first await, so a second call is refused.
    const src = (step: string) => py`
      import asyncio

      class Transport:
          def __init__(self, loop):
              self._loop = loop
              self._state = 'raw'
              self._attempts = 0
              self._waiter = None

          def _start_handshake(self):
              ${step}
              self._loop.call_soon(self._handshake_done)

          def _handshake_done(self):
              if self._waiter is not None:
                  self._waiter.set_result(None)

          async def starttls(self):
              if self._state != 'raw':
                  raise RuntimeError('starttls() called twice')
              self._waiter = self._loop.create_future()
              self._start_handshake()
              await self._waiter
    `;
    assert.deepEqual(only(await analyzePython({ 'transport.py': src("self._state = 'handshaking'") }), 'PY-ASYNC-005'), []);
    assert.equal(only(await analyzePython({ 'transport.py': src('self._attempts += 1') }), 'PY-ASYNC-005').length, 1);
  });

  void it('accepts the refusal inside the check that there is nothing to read yet, not the check alone', async () => {
    // A message stream's read(): only when its queue is empty does it wait, and a second reader
    // is turned away there.
    const store = (refusal: string) => `if self._blocked:
                ${refusal}
                self._waiter = self._loop.create_future()
                try:
                    await self._waiter
                finally:
                    self._waiter = None`;
    const refused = await analyzePython({ 'stream.py': slot(store(`if self._waiter is not None:
                    raise RuntimeError("read called while another reader waits")`)) });
    assert.deepEqual(only(refused, 'PY-ASYNC-005'), []);
    assert.equal(only(await analyzePython({ 'stream.py': slot(store('pass')) }), 'PY-ASYNC-005').length, 1);
  });

  void it('accepts a slot filled and awaited under an asyncio lock, or in a helper every caller reaches holding it', async () => {
    // A broker connection's "update secret and wait for the reply", and a protocol's drain
    // helper reached only through the public drain() that holds the drain lock.
    const stream = (body: string) => py`
      import asyncio

      class Stream:
          def __init__(self, loop):
              self._loop = loop
              self._lock = asyncio.Lock()
              self._waiter = None

          def on_reply(self):
              waiter = self._waiter
              self._waiter = None
              if waiter is not None:
                  waiter.set_result(None)

          ${body}
    `;
    const inside = await analyzePython({ 'stream.py': stream(`async def update(self):
              async with self._lock:
                  self._waiter = self._loop.create_future()
                  await self._waiter`) });
    assert.deepEqual(only(inside, 'PY-ASYNC-005'), []);
    const helper = await analyzePython({ 'stream.py': stream(`async def drain(self):
              async with self._lock:
                  await self._drain_helper()

          async def _drain_helper(self):
              self._waiter = self._loop.create_future()
              await self._waiter`) });
    assert.deepEqual(only(helper, 'PY-ASYNC-005'), []);
    const releasedFirst = await analyzePython({ 'stream.py': stream(`async def update(self):
              async with self._lock:
                  self._waiter = self._loop.create_future()
              await self._waiter`) });
    assert.equal(only(releasedFirst, 'PY-ASYNC-005').length, 1, 'the lock is gone before the wait');
  });

  void it('still flags the store after a test that leaves only when the slot is empty', async () => {
    const findings = await analyzePython({ 'stream.py': slot(`if self._waiter is None and self._blocked is None:
                return
            self._waiter = self._loop.create_future()
            await self._waiter`) });
    assert.equal(only(findings, 'PY-ASYNC-005').length, 1);
  });
});

void describe('PY-ASYNC-005 a queue of waiters', () => {
  const pool = (condition: string, keyword = 'if') => py`
    import collections

    class Slots:
        def __init__(self, loop, limit):
            self._loop = loop
            self._free = limit
            self._queue = collections.deque()

        def give_back(self):
            self._free += 1
            if self._queue:
                self._queue.popleft().set_result(None)

        async def take(self):
            ${keyword} ${condition}:
                fut = self._loop.create_future()
                self._queue.append(fut)
                await fut
            self._free -= 1
  `;

  void it('flags a fast path that skips queued waiters when the woken one does not re-check', async () => {
    const findings = only(await analyzePython({ 'slots.py': pool('self._free <= 0') }), 'PY-ASYNC-005');
    assert.deepEqual(findings.map((f) => [f.severity, f.range.start.line]), [['warning', 14]]);
    assert.match(findings[0]!.message, /^`Slots._queue` is not consulted by the check at line 15 in `Slots.take`/);
  });

  void it('accepts a fast path that waits while waiters are queued, or a while loop that re-checks', async () => {
    assert.deepEqual(only(await analyzePython({ 'slots.py': pool('self._free <= 0 or self._queue') }), 'PY-ASYNC-005'), []);
    assert.deepEqual(only(await analyzePython({ 'slots.py': pool('self._free <= 0', 'while') }), 'PY-ASYNC-005'), []);
  });
});

void describe('PY-ASYNC-005 a resolved waiter taken for a pending one', () => {
  const server = (test: string) => py`
    class Conn:
        def __init__(self, loop):
            self._loop = loop
            self._idle = None
            self._timer = None

        def feed(self, data):
            waiter = self._idle
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

        def close(self):
            pass

        def connection_made(self, transport):
            self._task = self._loop.create_task(self.serve())

        def _on_timeout(self):
            if ${test}:
                self.close()

        async def serve(self):
            self._timer = self._loop.call_later(5, self._on_timeout)
            self._idle = self._loop.create_future()
            try:
                await self._idle
            finally:
                self._idle = None
  `;

  void it('flags a timer callback that tests only that the slot is set', async () => {
    const findings = only(await analyzePython({ 'conn.py': server('self._idle') }), 'PY-ASYNC-005');
    assert.deepEqual(findings.map((f) => [f.severity, f.range.start.line]), [['warning', 18]]);
    assert.match(findings[0]!.message, /^`Conn._idle` is taken as a pending waiter in `Conn._on_timeout` \(line 19, the loop callback scheduled at line 23\), but `Conn.feed` resolves it before `Conn.serve` clears it; /);
  });

  void it('accepts the test that also asks done()', async () => {
    assert.deepEqual(only(await analyzePython({ 'conn.py': server('self._idle and not self._idle.done()') }), 'PY-ASYNC-005'), []);
  });
});
