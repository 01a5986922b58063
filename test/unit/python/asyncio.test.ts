import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzePython, ids, only, py, summary } from './helpers';

void describe('PY-ASYNC-001 lost update across await', () => {
  void it('flags a snapshot read before await and written after, in a gathered coroutine', async () => {
    const findings = await analyzePython({
      'wallet.py': py`
        import asyncio

        class Wallet:
            def __init__(self):
                self.total = 0

            async def deposit(self, n):
                v = self.total
                await save(n)
                self.total = v + n

        async def save(n):
            await asyncio.sleep(0)

        async def main():
            w = Wallet()
            await asyncio.gather(*[w.deposit(i) for i in range(10)])

        asyncio.run(main())
      `,
    });
    const [finding] = only(findings, 'PY-ASYNC-001');
    assert.ok(finding, JSON.stringify(findings));
    assert.equal(finding.severity, 'warning');
    assert.equal(finding.range.start.line, 9);
    assert.equal(finding.related[0]?.range.start.line, 7);
    assert.match(finding.message, /^`Wallet.total` is read at line 8 and written back after an await in `Wallet.deposit` \(line 10, tasks created at line 17\)/);
  });

  void it('flags self.total += await f() in tasks created in a loop', async () => {
    const findings = await analyzePython({
      'acc.py': py`
        import asyncio

        class Acc:
            def __init__(self):
                self.total = 0

            async def add(self, key):
                self.total += await price(key)

        async def price(key):
            return 1

        async def main(acc):
            tasks = []
            for k in range(5):
                tasks.append(asyncio.create_task(acc.add(k)))
            await asyncio.wait(tasks)
      `,
    });
    assert.deepEqual(ids(findings), ['PY-ASYNC-001']);
  });

  void it('does not flag a write whose value comes only from the awaited call; a bare public coroutine is only information', async () => {
    const findings = await analyzePython({
      'cfg.py': py`
        import asyncio

        class Service:
            def __init__(self):
                self.cfg = None
                self.total = 0

            async def reload(self):
                cfg = await load()
                self.cfg = cfg

            async def once(self, n):
                v = self.total
                await load()
                self.total = v + n

        async def load():
            return {}

        async def main(s):
            await asyncio.gather(*[s.reload() for _ in range(3)])
            await s.once(1)
      `,
    });
    assert.deepEqual(findings.map((f) => [f.ruleId, f.severity, f.range.start.line]), [['PY-ASYNC-001', 'information', 14]]);
  });

  void it('treats the public coroutines of a class with an asyncio lock as concurrent: the bare update, not the guarded one', async () => {
    const findings = await analyzePython({
      'ledger.py': py`
        import asyncio

        class Ledger:
            def __init__(self):
                self.lock = asyncio.Lock()
                self.total = 0

            async def add(self, n):
                v = self.total
                await save()
                self.total = v + n

            async def guarded_add(self, n):
                async with self.lock:
                    v = self.total
                    await save()
                    self.total = v + n

        async def save():
            pass
      `,
    });
    assert.deepEqual(findings.map((f) => [f.ruleId, f.severity, f.range.start.line]), [['PY-ASYNC-001', 'warning', 10]]);
    assert.match(findings[0]!.message, /^`Ledger.total` is read at line 9 and written back after an await in `Ledger.add` \(line 11, tasks calling `Ledger`\)/);
    assert.ok(findings[0]!.related.some((r) => r.message === 'concurrency root: `Ledger` has an asyncio Lock in `lock`'), JSON.stringify(findings[0]!.related));
  });

  void it('keeps a write-back in a coroutine of such a class a note when nothing shows two runs of it and no lock guards the state', async () => {
    // A protocol's handshake: the class keeps an event for its reader task, but the
    // negotiation runs once per connection; its settings are not guarded anywhere.
    const findings = await analyzePython({
      'protocol.py': py`
        import asyncio

        class Protocol:
            def __init__(self):
                self.opened = asyncio.Event()
                self.frame_max = 0
                self.tuning = {}

            async def start(self):
                frame_max = self.tuning.get('frame_max', self.frame_max)
                await self.send_tune(frame_max)
                self.frame_max = frame_max
                self.opened.set()

            async def wait_opened(self):
                await self.opened.wait()

            async def send_tune(self, value):
                pass
      `,
    });
    assert.deepEqual(findings.map((f) => [f.ruleId, f.severity, f.range.start.line]), [['PY-ASYNC-001', 'information', 11]]);
  });

  void it('does not flag a synchronous read-modify-write between awaits', async () => {
    const findings = await analyzePython({
      'sync.py': py`
        import asyncio
        count = 0

        async def handler():
            global count
            await asyncio.sleep(0)
            count += 1
            await asyncio.sleep(0)

        async def main():
            await asyncio.gather(handler(), handler())
      `,
    });
    assert.deepEqual(findings, []);
  });
});

void describe('PY-ASYNC-002 check-then-act across await', () => {
  void it('reads nothing after the raise that disables a coroutine (`raise NotImplementedError` above its old code)', async () => {
    const src = (disabled: string) => py`
      import asyncio

      class Client:
          def __init__(self):
              self._lock = asyncio.Lock()
              self._sessions = {}

          async def cdn_client(self, dc_id):
      ${disabled}
              session = self._sessions.get(dc_id)
              if not session:
                  session = await self._open(dc_id)
                  self._sessions[dc_id] = session
              return session

          async def _open(self, dc_id):
              async with self._lock:
                  return object()
    `;
    assert.deepEqual(only(await analyzePython({ 'client.py': src('        raise NotImplementedError') }), 'PY-ASYNC-002'), []);
    assert.equal(only(await analyzePython({ 'client.py': src('        # TODO') }), 'PY-ASYNC-002').length, 1);
  });

  void it('flags a cache stampede in a coroutine fanned out by gather', async () => {
    const findings = await analyzePython({
      'stampede.py': py`
        import asyncio

        class Loader:
            def __init__(self):
                self.cache = {}

            async def get(self, k):
                if k not in self.cache:
                    self.cache[k] = await fetch(k)
                return self.cache[k]

        async def fetch(k):
            return k

        async def main(loader):
            await asyncio.gather(loader.get(1), loader.get(1))
      `,
    });
    const [finding] = only(findings, 'PY-ASYNC-002');
    assert.ok(finding, JSON.stringify(findings));
    assert.equal(finding.range.start.line, 8);
    assert.equal(finding.related[0]?.range.start.line, 7);
  });

  void it('does not flag a check and write with no await in between', async () => {
    const findings = await analyzePython({
      'nowait.py': py`
        import asyncio
        cache = {}

        async def get(k):
            if k not in cache:
                cache[k] = k * 2
            await asyncio.sleep(0)
            return cache[k]

        async def main():
            await asyncio.gather(get(1), get(2))
      `,
    });
    assert.deepEqual(findings, []);
  });
});

void describe('PY-ASYNC-003 threading lock across await', () => {
  void it('flags with threading.Lock around an await, as an error', async () => {
    const findings = await analyzePython({
      'tlock.py': py`
        import threading

        class Flusher:
            def __init__(self):
                self._tlock = threading.Lock()

            async def flush(self):
                with self._tlock:
                    await self.write()

            async def write(self):
                pass
      `,
    });
    const [finding] = only(findings, 'PY-ASYNC-003');
    assert.ok(finding, JSON.stringify(findings));
    assert.equal(finding.severity, 'error');
    assert.deepEqual(finding.range.start, { line: 7, character: 13 });
    assert.equal(finding.related[0]?.range.start.line, 8);
  });

  void it('does not flag asyncio.Lock or a threading lock without await inside', async () => {
    const findings = await analyzePython({
      'alock.py': py`
        import asyncio
        import threading

        class Flusher:
            def __init__(self):
                self._alock = asyncio.Lock()
                self._tlock = threading.Lock()
                self.n = 0

            async def flush(self):
                async with self._alock:
                    await asyncio.sleep(0)
                with self._tlock:
                    self.n = 1
                await asyncio.sleep(0)
      `,
    });
    assert.deepEqual(findings, []);
  });
});

void describe('PY-ASYNC-004 asyncio objects from another thread', () => {
  void it('flags put_nowait on an asyncio.Queue from a thread lambda and a thread function', async () => {
    const findings = await analyzePython({
      'bridge.py': py`
        import asyncio
        import threading

        events = asyncio.Queue()

        def produce():
            events.put_nowait('tick')

        async def main():
            aq = asyncio.Queue()
            threading.Thread(target=lambda: aq.put_nowait(1)).start()
            threading.Thread(target=produce).start()
            await aq.get()
      `,
    });
    const found = only(findings, 'PY-ASYNC-004');
    assert.deepEqual(found.map((f) => f.range.start.line), [6, 10]);
    assert.match(found[0]!.message, /call_soon_threadsafe/);
  });

  void it('does not flag a thread that makes its own event loop and uses asyncio objects on it', async () => {
    // A test proxy run on a thread of its own: the thread creates the loop, then the events.
    const proxy = py`
        import asyncio
        import threading

        class Proxy:
            def start(self):
                self.thread = threading.Thread(target=self._serve)
                self.thread.start()

            def _serve(self):
                self.loop = asyncio.new_event_loop()
                asyncio.set_event_loop(self.loop)
                self.connected = asyncio.Event()
                self.connected.set()
                self.loop.run_forever()
    `;
    const findings = await analyzePython({ 'proxy.py': proxy });
    assert.deepEqual(only(findings, 'PY-ASYNC-004'), []);
    // The same when a package of the run has its own `asyncio` module (a green-thread shim).
    const shadowed = await analyzePython({
      'proxy.py': proxy,
      'green/__init__.py': '',
      'green/asyncio.py': py`
        def spawn(f):
            return f()
      `,
    });
    assert.deepEqual(only(shadowed, 'PY-ASYNC-004'), []);
  });

  void it('flags a signal handler installed off the loop, not one a coroutine or the loop\'s own runner installs (all run on the main thread)', async () => {
    const findings = await analyzePython({
      'serve.py': py`
        import asyncio
        import signal
        import threading

        async def serve(loop):
            stop = asyncio.Event()

            def on_signal(*_):
                stop.set()

            try:
                loop.add_signal_handler(signal.SIGTERM, on_signal)
            except NotImplementedError:
                signal.signal(signal.SIGTERM, on_signal)
            await stop.wait()

        def run_in_background():
            loop = asyncio.new_event_loop()
            done = asyncio.Event()
            threading.Thread(target=loop.run_forever).start()
            signal.signal(signal.SIGINT, lambda *_: done.set())

        def run_here(main):
            loop = asyncio.new_event_loop()
            stopping = asyncio.Event()
            signal.signal(signal.SIGTERM, lambda *_: stopping.set())
            loop.run_until_complete(main(stopping))
      `,
    });
    assert.deepEqual(only(findings, 'PY-ASYNC-004').map((f) => f.range.start.line), [20]);
  });

  void it('does not flag call_soon_threadsafe / run_coroutine_threadsafe, or queue.Queue', async () => {
    const findings = await analyzePython({
      'safe_bridge.py': py`
        import asyncio
        import queue
        import threading

        plain = queue.Queue()

        def produce(loop, aq):
            loop.call_soon_threadsafe(aq.put_nowait, 1)
            asyncio.run_coroutine_threadsafe(aq.put(2), loop)
            plain.put(3)

        async def main():
            loop = asyncio.get_running_loop()
            aq = asyncio.Queue()
            threading.Thread(target=produce, args=(loop, aq)).start()
            await aq.get()
      `,
    });
    assert.deepEqual(findings, []);
  });
});

void describe('PY-ASYNC-006 start before initialisation', () => {
  void it('flags a start-up gathered with the server that serves requests meanwhile', async () => {
    const findings = await analyzePython({
      'web.py': py`
        import asyncio

        async def run(app, handler, port):
            server = asyncio.start_server(handler, "127.0.0.1", port)
            srv, _ = await asyncio.gather(server, app.startup())
            return srv
      `,
    });
    assert.deepEqual(findings.map((f) => [f.ruleId, f.severity, f.range.start.line]), [['PY-ASYNC-006', 'warning', 4]]);
    assert.match(findings[0]!.message, /^`app.startup\(\)` runs in the same gather as `server` in `run` \(line 5\)/);
  });

  void it('accepts a start-up awaited before the server, and servers gathered alone', async () => {
    const findings = await analyzePython({
      'web.py': py`
        import asyncio

        async def run(app, handler, ports):
            await app.startup()
            srv = await asyncio.start_server(handler, "127.0.0.1", ports[0])
            more = await asyncio.gather(asyncio.start_server(handler, "127.0.0.1", ports[1]), asyncio.start_server(handler, "::1", ports[1]))
            return srv, more
      `,
    });
    assert.deepEqual(findings, []);
  });
});

void describe('PY-ASYNC-002 refutations', () => {
  void it('does not count an await in a branch that returns before the write', async () => {
    const findings = await analyzePython({
      'registry.py': py`
        import asyncio

        class Registry:
            def __init__(self):
                self.lock = asyncio.Lock()
                self.members = {}

            async def join(self, name, comm):
                if name in self.members:
                    await comm.write("taken")
                    return
                self.members[name] = comm
      `,
    });
    assert.deepEqual(findings, []);
  });

  void it('still flags the await on the way to the write', async () => {
    const findings = await analyzePython({
      'registry.py': py`
        import asyncio

        class Registry:
            def __init__(self):
                self.lock = asyncio.Lock()
                self.members = {}

            async def join(self, name, comm):
                if name in self.members:
                    return
                await comm.write("welcome")
                self.members[name] = comm
      `,
    });
    assert.deepEqual(findings.map((f) => [f.ruleId, f.severity, f.range.start.line]), [['PY-ASYNC-002', 'warning', 11]]);
  });

  void it('accepts a binding claimed in a map of pending ones before the await, which later callers wait on', async () => {
    // A relay client binding a channel per peer: the first sender records the binding as under
    // way before it awaits the server; a sender arriving meanwhile finds the record and waits.
    const relay = (claim: string) => py`
      import asyncio

      class Relay:
          def __init__(self):
              self._lock = asyncio.Lock()
              self.binding = {}
              self.channels = {}

          async def send(self, peer, data):
              if peer in self.binding:
                  waiter = asyncio.get_running_loop().create_future()
                  self.binding[peer].append(waiter)
                  await waiter
              channel = self.channels.get(peer)
              if channel is None:
      ${claim}
                  channel = await self.bind(peer)
                  self.channels[peer] = channel
                  for waiter in self.binding.pop(peer, []):
                      waiter.set_result(None)
              return channel

          async def bind(self, peer):
              await asyncio.sleep(0)
              return 1
    `;
    assert.deepEqual(only(await analyzePython({ 'relay.py': relay('            self.binding[peer] = []') }), 'PY-ASYNC-002'), []);
    assert.equal(only(await analyzePython({ 'relay.py': relay('            self.binding[data] = []') }), 'PY-ASYNC-002').length, 1);
    // A record stored from what an await returns is made after that await: no claim.
    assert.equal(only(await analyzePython({ 'relay.py': relay('            self.binding[peer] = await asyncio.sleep(0, [])') }), 'PY-ASYNC-002').length, 1);
  });

  void it('accepts a connection claimed in a set of pending ones that the same test looks at', async () => {
    // A client's connector: it leaves when the server is connected or being connected, and
    // marks it as being connected before the first await.
    const connector = (mark: string) => py`
      import asyncio

      class Network:
          def __init__(self):
              self._lock = asyncio.Lock()
              self.interfaces = {}
              self.connecting = set()

          async def connect(self, server):
              if server in self.interfaces or server in self.connecting:
                  return
      ${mark}
              await asyncio.sleep(0)
              self.interfaces[server] = object()
              self.connecting.discard(server)
    `;
    assert.deepEqual(only(await analyzePython({ 'net.py': connector('        self.connecting.add(server)') }), 'PY-ASYNC-002'), []);
    assert.equal(only(await analyzePython({ 'net.py': connector('        pass') }), 'PY-ASYNC-002').length, 1);
  });

  void it('takes a change made in the arguments of the awaited call as made before the await', async () => {
    // A chat client trying its next nickname when one is taken: the `pop(0)` runs while the
    // arguments are evaluated, before the coroutine suspends, right after the check.
    const client = (taken: string) => py`
      import asyncio

      class Client:
          def __init__(self):
              self._lock = asyncio.Lock()
              self.nicknames = ["ann", "bea"]

          async def on_nickname_taken(self):
              if self.nicknames:
      ${taken}

          async def set_nickname(self, name):
              await asyncio.sleep(0)
    `;
    const inArguments = `            await self.set_nickname(self.nicknames.pop(0))`;
    const afterAwait = `            await self.set_nickname(self.nicknames[0])
                  self.nicknames.pop(0)`;
    assert.deepEqual(summary(await analyzePython({ 'client.py': client(inArguments) })), []);
    assert.deepEqual(only(await analyzePython({ 'client.py': client(afterAwait) }), 'PY-ASYNC-002').length, 1);
  });

  void it('keeps a lock taken by hand held after a branch that releases it and returns', async () => {
    // A connection pool that hands out an idle connection early (releasing its lock on the
    // way out) and otherwise opens a new one under the lock: the size test and the append are
    // in one critical section. A branch that releases and carries on leaves them unguarded.
    const pool = (idleBranch: string) => py`
      import asyncio

      class Pool:
          def __init__(self, limit):
              self._lock = asyncio.Lock()
              self.limit = limit
              self.conns = []

          async def get(self):
              await self._lock.acquire()
              for conn in self.conns:
                  if conn.idle:
      ${idleBranch}
              if len(self.conns) < self.limit:
                  conn = await self.open()
                  self.conns.append(conn)
              self._lock.release()
              return self.conns[-1]

          async def open(self):
              await asyncio.sleep(0)
              return object()
    `;
    const returns = `                self._lock.release()
                      return conn`;
    const carriesOn = `                self._lock.release()
                      break`;
    assert.deepEqual(summary(await analyzePython({ 'pool.py': pool(returns) })), []);
    assert.deepEqual(summary(await analyzePython({ 'pool.py': pool(carriesOn) })), ['16 PY-ASYNC-002 warning']);
  });
});

void describe('PY-ASYNC-003 needs a task that wants the lock', () => {
  void it('is only a note when no task of the loop takes the lock, as in test functions the runner calls one at a time', async () => {
    const findings = await analyzePython({
      'test_profile.py': py`
        import asyncio
        import threading

        profile_lock = threading.Lock()

        async def test_pause_profiler():
            with profile_lock:
                await asyncio.sleep(0)
      `,
    });
    assert.deepEqual(findings.map((f) => [f.ruleId, f.severity]), [['PY-ASYNC-003', 'information']]);
  });
});

void describe('what makes public coroutines of a class concurrent with themselves', () => {
  /** A batch whose execute() fans out its own tasks; `extra` adds to __init__. */
  const batch = (extra: string) => py`
    import asyncio

    class Batch:
        def __init__(self, client):
            self._client = client
            self._commands = []
            ${extra}

        async def execute(self):
            if not self._commands:
                return []
            try:
                return await asyncio.gather(*[asyncio.create_task(self._client.send(c)) for c in self._commands])
            finally:
                self._commands = []
  `;

  void it('a class that fans out its own tasks shows no concurrent callers: a note', async () => {
    const findings = await analyzePython({ 'batch.py': batch('self._size = 0') });
    assert.deepEqual(only(findings, 'PY-ASYNC-002').map((f) => f.severity), ['information']);
  });

  void it('a class that keeps an asyncio lock expects them: a warning', async () => {
    const findings = await analyzePython({ 'batch.py': batch('self._guard = asyncio.Lock()') });
    assert.deepEqual(only(findings, 'PY-ASYNC-002').map((f) => f.severity), ['warning']);
  });
});
