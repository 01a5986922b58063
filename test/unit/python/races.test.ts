import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzePython, ids, only, py, summary } from './helpers';

void describe('PY-RACE-001 read-modify-write', () => {
  void it('flags a global counter incremented by two threads, with range and related start site', async () => {
    const findings = await analyzePython({
      'counter.py': py`
        import threading

        hits = 0

        def work():
            global hits
            for _ in range(1000):
                hits += 1

        threads = [threading.Thread(target=work) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        print(hits)
      `,
    });
    const [race, ...rest] = only(findings, 'PY-RACE-001');
    assert.equal(rest.length, 0);
    assert.ok(race);
    assert.equal(race.severity, 'warning');
    assert.deepEqual(race.range, { start: { line: 7, character: 8 }, end: { line: 7, character: 17 } });
    assert.match(race.message, /^`counter.hits` is read and written back without a lock in `work` \(line 8, threads started at line 10\), and another run can interleave; /);
    assert.equal(race.related[0]?.range.start.line, 9);
    assert.equal(findings.length, 1);
  });

  void it('flags self.n += 1 on a shared object and offers the lock that guards it elsewhere', async () => {
    const findings = await analyzePython({
      'stats.py': py`
        import threading

        class Stats:
            def __init__(self):
                self._lock = threading.Lock()
                self.hits = 0

            def add_locked(self):
                with self._lock:
                    self.hits += 1

            def add(self):
                self.hits += 1

        stats = Stats()
        workers = [threading.Thread(target=stats.add) for _ in range(4)]
      `,
    });
    const race = only(findings, 'PY-RACE-001')[0];
    assert.ok(race, JSON.stringify(findings));
    assert.match(race.message, /hold `self._lock` around it as the other writes do\.$/);
    assert.ok(race.related.some((r) => r.message === '`Stats.hits` is guarded by `self._lock` here' && r.range.start.line === 8));
    assert.deepEqual(race.fixes[0]?.edits[0], {
      file: '/project/stats.py',
      range: { start: { line: 12, character: 0 }, end: { line: 12, character: 22 } },
      newText: '        with self._lock:\n            self.hits += 1',
    });
    assert.equal(only(findings, 'PY-RACE-004').length, 0, 'reported once, as the race');
  });

  void it('flags self.total = self.total + x reached from an executor map', async () => {
    const findings = await analyzePython({
      'acc.py': py`
        from concurrent.futures import ThreadPoolExecutor

        class Acc:
            def __init__(self):
                self.total = 0

            def add(self, x):
                self.total = self.total + x

        acc = Acc()
        with ThreadPoolExecutor(max_workers=4) as pool:
            pool.map(acc.add, range(100))
      `,
    });
    assert.deepEqual(ids(findings), ['PY-RACE-001']);
    assert.match(findings[0]!.message, /\(line 8, pool tasks submitted at line 12\)/);
  });

  void it('follows helpers called from the thread target into another function', async () => {
    const findings = await analyzePython({
      'helper.py': py`
        import threading
        count = 0

        def bump():
            global count
            count += 1

        def worker():
            for _ in range(10):
                bump()

        for _ in range(3):
            threading.Thread(target=worker).start()
      `,
    });
    assert.deepEqual(ids(findings), ['PY-RACE-001']);
    assert.match(findings[0]!.message, /^`helper.count` is read and written back without a lock in `bump` \(line 6/);
  });

  void it('flags a worker racing with the code that started it (before join)', async () => {
    const findings = await analyzePython({
      'parent.py': py`
        import threading
        total = 0

        def producer():
            global total
            total += 5

        def main():
            global total
            t = threading.Thread(target=producer)
            t.start()
            total += 1
            t.join()
      `,
    });
    const races = only(findings, 'PY-RACE-001');
    assert.ok(races.length >= 1);
    assert.ok(races.some((f) => /after the start at line 10/.test(f.message)), races.map((f) => f.message).join('\n'));
  });

  void it('does not flag the parent after join() or Future.result()', async () => {
    const findings = await analyzePython({
      'joined.py': py`
        import threading
        from concurrent.futures import ThreadPoolExecutor
        total = 0

        def producer():
            global total
            total += 5

        def main():
            global total
            t = threading.Thread(target=producer)
            t.start()
            t.join()
            total += 1

        def with_future(ex):
            global total
            fut = ex.submit(producer)
            fut.result()
            total += 1
      `,
    });
    assert.deepEqual(findings, []);
  });

  void it('is silent without evidence of concurrency', async () => {
    const findings = await analyzePython({
      'plain.py': py`
        hits = 0

        def work():
            global hits
            hits += 1

        work()
        work()
      `,
    });
    assert.deepEqual(findings, []);
  });

  void it('is silent when the update holds a lock, directly or in every caller', async () => {
    const findings = await analyzePython({
      'locked.py': py`
        import threading
        lock = threading.Lock()
        hits = 0

        def _bump():
            global hits
            hits += 1

        def work():
            global hits
            with lock:
                hits += 1
            lock.acquire()
            try:
                hits += 1
            finally:
                lock.release()
            with lock:
                _bump()

        for _ in range(4):
            threading.Thread(target=work).start()
      `,
    });
    assert.deepEqual(findings, []);
  });

  void it('does not flag per-thread objects, locals, threading.local or ContextVar', async () => {
    const findings = await analyzePython({
      'owned.py': py`
        import threading
        import contextvars

        tls = threading.local()
        request_id = contextvars.ContextVar('request_id')

        class Worker(threading.Thread):
            def __init__(self):
                super().__init__()
                self.count = 0

            def run(self):
                for _ in range(10):
                    self.count += 1

        def job():
            local_total = 0
            for i in range(10):
                local_total += i
            tls.value = local_total
            request_id.set(local_total)
            box = {'n': 0}
            box['n'] += 1
            return local_total

        for _ in range(4):
            Worker().start()
            threading.Thread(target=job).start()
      `,
    });
    assert.deepEqual(findings, []);
  });

  void it('does not flag the attributes of a threading.local subclass, but does flag its class-body state', async () => {
    // A call context kept per thread (an RPC library's "current call" object), subclassed in
    // another module; the shared list in the class body is one object for every thread.
    const findings = await analyzePython({
      'context.py': py`
        import threading

        class CallContext(threading.local):
            history = []

            def __init__(self):
                self.annotations = {}
                self.calls = 0
      `,
      'client.py': py`
        import threading
        from context import CallContext

        class ClientContext(CallContext):
            pass

        current = ClientContext()

        class Client:
            def __init__(self):
                self._lock = threading.Lock()
                threading.Thread(target=self._reader).start()

            def _reader(self):
                current.annotations = {}
                current.calls += 1
                current.history += ['read']

            def call(self, message):
                with self._lock:
                    current.annotations = message
                    current.calls += 1
                    current.history += ['call']
      `,
    });
    assert.deepEqual(findings.map((f) => [f.ruleId, f.range.start.line]), [['PY-RACE-001', 16]]);
    assert.match(findings[0]!.message, /history/);
  });

  void it('does not flag a closure counter when every call makes its own', async () => {
    const findings = await analyzePython({
      'closure.py': py`
        import threading

        def make_counter():
            n = 0
            def inc():
                nonlocal n
                n += 1
            inc()
            return n

        for _ in range(4):
            threading.Thread(target=make_counter).start()
      `,
    });
    assert.deepEqual(findings, []);
  });

  void it('flags a closure counter shared by the threads the function starts', async () => {
    const findings = await analyzePython({
      'closure_shared.py': py`
        import threading

        def run():
            n = 0
            def inc():
                nonlocal n
                n += 1
            threads = [threading.Thread(target=inc) for _ in range(4)]
            for t in threads:
                t.start()
      `,
    });
    assert.deepEqual(ids(findings), ['PY-RACE-001']);
  });

  void it('keeps an object a thread makes for itself its own when a nested helper uses it', async () => {
    // A pool's worker threads each make a back-off timer and poll through a nested helper that
    // sleeps on it: every run of the worker has its own timer. A timer the starting function
    // makes and its threads' closure share is one object for all of them.
    const pool = (where: 'worker' | 'start') => py`
      import threading
      import time

      class Pause:
          def __init__(self):
              self.delay = 0.001

          def sleep(self):
              time.sleep(self.delay)
              self.delay = min(1.0, self.delay * 2)

      def start(jobs):
          ${where === 'start' ? 'pause = Pause()' : 'pass'}
          def worker():
              ${where === 'worker' ? 'pause = Pause()' : 'pass'}
              def wait_for_job():
                  while not jobs:
                      pause.sleep()
              wait_for_job()
          for _ in range(4):
              threading.Thread(target=worker).start()
    `;
    assert.deepEqual(summary(await analyzePython({ 'pool.py': pool('worker') })), []);
    assert.deepEqual(summary(await analyzePython({ 'pool.py': pool('start') })), ['9 PY-RACE-001 warning']);
  });
});

void describe('CPython atomic operations are not races', () => {
  void it('does not flag append, d[k] = v, setdefault, get, pop(k, None), set.add, queue.put, single stores', async () => {
    const findings = await analyzePython({
      'atomic.py': py`
        import threading
        import queue

        results = []
        seen = set()
        cache = {}
        q = queue.Queue()
        latest = None

        def worker(i):
            global latest
            results.append(i)
            seen.add(i)
            cache[i] = i * i
            cache.setdefault('first', i)
            x = cache.get(i)
            cache.pop(i - 1, None)
            q.put(x)
            latest = i

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
      `,
    });
    assert.deepEqual(findings, []);
  });
});

void describe('PY-RACE-002 / PY-RACE-003 check-then-act and lazy init', () => {
  void it('flags a cache check-then-insert in an executor task', async () => {
    const findings = await analyzePython({
      'cache.py': py`
        from concurrent.futures import ThreadPoolExecutor

        class Cache:
            def __init__(self):
                self.cache = {}

            def get(self, key):
                if key not in self.cache:
                    self.cache[key] = build(key)
                return self.cache[key]

        def build(key):
            return key * 2

        c = Cache()
        with ThreadPoolExecutor() as ex:
            for k in range(10):
                ex.submit(c.get, k)
      `,
    });
    const [race] = only(findings, 'PY-RACE-002');
    assert.ok(race, JSON.stringify(findings));
    assert.equal(race.range.start.line, 8);
    assert.match(race.message, /^`Cache.cache` is checked at line 8 and changed in `Cache.get` \(line 9, pool tasks submitted at line 18\)/);
    assert.equal(race.related[0]?.message, 'the check: `key not in self.cache`');
  });

  void it('flags lazy initialisation outside the lock and accepts double-checked locking', async () => {
    const findings = await analyzePython({
      'lazy.py': py`
        import threading

        class Client:
            def __init__(self):
                self._client = None
                self._lock = threading.Lock()

            def get(self):
                if self._client is None:
                    self._client = connect()
                return self._client

            def get_safe(self):
                if self._client is None:
                    with self._lock:
                        if self._client is None:
                            self._client = connect()
                return self._client

            def get_broken(self):
                if self._client is None:
                    with self._lock:
                        self._client = connect()
                return self._client

        def connect():
            return object()

        client = Client()
        for _ in range(3):
            threading.Thread(target=client.get).start()
            threading.Thread(target=client.get_safe).start()
            threading.Thread(target=client.get_broken).start()
      `,
    });
    const lazy = only(findings, 'PY-RACE-003');
    assert.deepEqual(lazy.map((f) => f.range.start.line).sort((a, b) => a - b), [9, 22]);
  });

  void it('does not flag idempotent flag writes or checks under one lock', async () => {
    const findings = await analyzePython({
      'flags.py': py`
        import threading
        lock = threading.Lock()
        started = False
        registry = {}

        def work(key):
            global started
            if not started:
                started = True
            with lock:
                if key not in registry:
                    registry[key] = object()

        for k in range(4):
            threading.Thread(target=work, args=(k,)).start()
      `,
    });
    assert.deepEqual(findings, []);
  });

  /** A reply buffer: add() appends under the lock, take() tests and pops bare; `thread` runs `background`. */
  const replies = (thread: string, background: string) => py`
    import threading

    class Replies:
        def __init__(self):
            self.lock = threading.Lock()
            self.replies = []
${thread}

        def add(self, reply):
            with self.lock:
                self.replies.append(reply)

        def take(self):
            if self.replies:
                return self.replies.pop(0)
            return None

        def background(self, source):
            while True:
${background}
  `;
  const takeSeverities = async (thread: string, background: string) =>
    only(await analyzePython({ 'replies.py': replies(thread, background) }), 'PY-RACE-002').map((f) => f.severity);
  const startThread = '            threading.Thread(target=self.background, args=(None,), daemon=True).start()';

  void it('notes a check-then-act only a class\'s design races, and warns when a thread it starts does', async () => {
    assert.deepEqual(await takeSeverities('', '                self.replies.clear()'), ['information']);
    assert.deepEqual(await takeSeverities(startThread, '                self.replies.clear()'), ['warning']);
  });

  void it('leaves a removal after a presence test to threads that take out too, not to those that only add', async () => {
    // The reader thread only appends: the element found stays until a taker removes it.
    assert.deepEqual(await takeSeverities(startThread, '                self.add(source.read())'), ['information']);
  });

  void it('does not call a check and act made under a decorator\'s lock unguarded', async () => {
    // A store whose mutators are wrapped in a locking decorator; a reload rebinds the index bare.
    const src = (decorator: string) => py`
      import threading

      def guarded(func):
          def wrapper(self, *args):
              with self.lock:
                  return func(self, *args)
          return wrapper

      def traced(func):
          def wrapper(self, *args):
              print(func.__name__)
              return func(self, *args)
          return wrapper

      class Store:
          def __init__(self):
              self.lock = threading.RLock()
              self.index = {}

          ${decorator}
          def add(self, key, item):
              if key not in self.index:
                  self.index[key] = []
              self.index[key].append(item)

          def reload(self, data):
              self.index = dict(data)

          def count(self):
              with self.lock:
                  return len(self.index)
    `;
    const locked = await analyzePython({ 'store.py': src('@guarded') });
    assert.deepEqual(only(locked, 'PY-RACE-002'), []);
    const bare = await analyzePython({ 'store.py': src('@traced') });
    assert.equal(only(bare, 'PY-RACE-002').length, 1);
  });
});

void describe('PY-RACE-004 inconsistent locking', () => {
  void it('flags a bare write of state guarded elsewhere, with a wrap-in-lock fix', async () => {
    const findings = await analyzePython({
      'inconsistent.py': py`
        import threading

        class Counter:
            def __init__(self):
                self._lock = threading.Lock()
                self.n = 0

            def incr(self):
                with self._lock:
                    self.n += 1

            def reset(self):
                self.n = 0

        c = Counter()
        for _ in range(2):
            threading.Thread(target=c.incr).start()
            threading.Thread(target=c.reset).start()
      `,
    });
    const [finding] = only(findings, 'PY-RACE-004');
    assert.ok(finding, JSON.stringify(findings));
    assert.equal(finding.severity, 'warning');
    assert.equal(finding.range.start.line, 12);
    assert.deepEqual(finding.fixes[0]?.edits[0]?.newText, '        with self._lock:\n            self.n = 0');
    assert.equal(finding.related[0]?.range.start.line, 9);
  });

  void it('treats the public methods of a class that owns a lock as concurrent: a bare reset is a note, beside a thread a warning', async () => {
    const src = (extra: string) => py`
      import threading

      class Counter:
          def __init__(self):
              self._lock = threading.Lock()
              self.n = 0

          def incr(self):
              with self._lock:
                  self.n += 1

          def reset(self):
              self.n = 0
      ${extra}
    `;
    const declared = await analyzePython({ 'counter.py': src('') });
    assert.deepEqual(declared.map((f) => [f.ruleId, f.severity, f.range.start.line]), [['PY-RACE-004', 'information', 12]]);
    assert.match(declared[0]!.message, /^`Counter.n` is written without a lock in `Counter.reset` \(line 13, threads calling `Counter`\), but `Counter.incr` \(line 10\) writes it holding `self._lock`; /);
    assert.ok(declared[0]!.related.some((r) => r.message.startsWith('concurrency root: `Counter` takes `self._lock`') && r.range.start.line === 8));
    const started = await analyzePython({ 'counter.py': src('\ncounter = Counter()\nthreading.Thread(target=counter.incr).start()\n') });
    assert.deepEqual(started.map((f) => [f.ruleId, f.severity, f.range.start.line]), [['PY-RACE-004', 'warning', 12]]);
  });

  void it('reports only information when the runner drives the class (a TestCase), not other threads', async () => {
    const findings = await analyzePython({
      'test_counter.py': py`
        import threading
        import unittest

        class CounterTest(unittest.TestCase):
            def setUp(self):
                self._lock = threading.Lock()
                self.n = 0

            def test_incr(self):
                with self._lock:
                    self.n += 1

            def test_reset(self):
                self.n = 0
      `,
    });
    assert.deepEqual(findings.map((f) => [f.ruleId, f.severity]), [['PY-RACE-004', 'information']]);
  });

  void it('keeps tabs when wrapping the statement', async () => {
    const src = 'import threading\n\nclass C:\n\tdef __init__(self):\n\t\tself._lock = threading.Lock()\n\t\tself.n = 0\n\n\tdef incr(self):\n\t\twith self._lock:\n\t\t\tself.n += 1\n\n\tdef reset(self):\n\t\tself.n = 0\n\nc = C()\nthreading.Thread(target=c.incr).start()\nthreading.Thread(target=c.reset).start()\n';
    const [finding] = only(await analyzePython({ 'tabs.py': src }), 'PY-RACE-004');
    assert.equal(finding?.fixes[0]?.edits[0]?.newText, '\t\twith self._lock:\n\t\t\tself.n = 0');
  });
});

void describe('PY-RACE-005 iteration against mutation', () => {
  void it('flags iterating sessions in one thread while another deletes from it', async () => {
    const findings = await analyzePython({
      'sessions.py': py`
        import threading

        class Server:
            def __init__(self):
                self.sessions = {}

            def sweep(self):
                for key in self.sessions:
                    print(key)

            def drop(self, key):
                del self.sessions[key]

        s = Server()
        threading.Thread(target=s.sweep).start()
        threading.Thread(target=s.drop, args=('a',)).start()
      `,
    });
    const [finding] = only(findings, 'PY-RACE-005');
    assert.ok(finding, JSON.stringify(findings));
    assert.equal(finding.range.start.line, 7);
    assert.match(finding.message, /while `Server.drop` \(line 12, the thread started at line 16\) adds or removes items/);
  });

  void it('does not flag iterating a copy or iterating under the same lock', async () => {
    const findings = await analyzePython({
      'copy.py': py`
        import threading

        class Server:
            def __init__(self):
                self.sessions = {}
                self.lock = threading.Lock()

            def sweep(self):
                for key in list(self.sessions):
                    print(key)
                with self.lock:
                    for key in self.sessions:
                        print(key)

            def drop(self, key):
                with self.lock:
                    del self.sessions[key]

        s = Server()
        threading.Thread(target=s.sweep).start()
        threading.Thread(target=s.drop, args=('a',)).start()
      `,
    });
    assert.deepEqual(findings, []);
  });
});

void describe('PY-RACE-006 compound container update', () => {
  void it('flags counts[k] = counts.get(k, 0) + 1 and d[k] += 1 in thread targets', async () => {
    const findings = await analyzePython({
      'counts.py': py`
        import threading
        counts = {}

        def tally(words):
            for w in words:
                counts[w] = counts.get(w, 0) + 1

        def bump(k):
            counts[k] += 1

        for chunk in (['a'], ['b']):
            threading.Thread(target=tally, args=(chunk,)).start()
        threading.Thread(target=bump, args=('a',)).start()
      `,
    });
    assert.deepEqual(only(findings, 'PY-RACE-006').map((f) => f.range.start.line), [5, 8]);
  });
});

void describe('PY-RACE-007 split critical sections', () => {
  void it('flags a decision taken in one critical section and acted on in another', async () => {
    const findings = await analyzePython({
      'split.py': py`
        import threading
        lk = threading.Lock()
        pending = []

        def consumer():
            with lk:
                empty = not pending
            with lk:
                if empty:
                    stop()

        def stop():
            pass

        for _ in range(2):
            threading.Thread(target=consumer).start()
      `,
    });
    const [finding] = only(findings, 'PY-RACE-007');
    assert.ok(finding, JSON.stringify(findings));
    assert.equal(finding.range.start.line, 8);
    assert.equal(finding.related[0]?.range.start.line, 6);
  });

  void it('does not flag a decision acted on in the same critical section', async () => {
    const findings = await analyzePython({
      'same.py': py`
        import threading
        lk = threading.Lock()
        pending = []

        def consumer():
            with lk:
                empty = not pending
                if empty:
                    pending.append(1)

        for _ in range(2):
            threading.Thread(target=consumer).start()
      `,
    });
    assert.deepEqual(findings, []);
  });
});

void describe('a per-key queue of hand-off locks (a lock taken under the guard, released by the next owner)', () => {
  const keyLocks = (second: string) => py`
    import threading
    from collections import deque
    from contextlib import contextmanager

    class KeyLocks:
        def __init__(self):
            self._lock = threading.Lock()
            self._queues = {}

        @contextmanager
        def hold(self, key):
            with self._lock:
                queue = self._queues.get(key)
                if queue is None:
                    self._queues[key] = queue = deque()
                busy = len(self._queues[key]) > 1
                turn = threading.Lock()
                turn.acquire()
                queue.append(turn)
            if busy:
                turn.acquire()
            try:
                yield
            finally:
                with self._lock:
                    queue.popleft()
                    if ${second}:
                        queue[0].release()
                    else:
                        del self._queues[key]
  `;

  void it('leaves the guard at the end of its `with` though a hand-off lock taken inside stays held', async () => {
    assert.deepEqual(only(await analyzePython({ 'keylocks.py': keyLocks('queue') }), 'PY-DL-002'), []);
  });

  void it('reads the live queue in the second critical section, but flags the stale flag decided in the first', async () => {
    assert.deepEqual(only(await analyzePython({ 'keylocks.py': keyLocks('queue') }), 'PY-RACE-007'), []);
    assert.deepEqual(summary(only(await analyzePython({ 'keylocks.py': keyLocks('busy') }), 'PY-RACE-007')), ['26 PY-RACE-007 warning']);
  });
});

void describe('a test of what a name is bound to, against changes to the contents', () => {
  // A process's finalizer registry: the exit pass leaves when the module is being torn down
  // (the registry is None then), and at the end clears what is left; other threads register.
  const registry = (test: string) => py`
    import threading

    _registry = {}

    class Finalize:
        def __init__(self, key, callback):
            self.callback = callback
            _registry[key] = self

    def run_finalizers(final=False):
        if ${test}:
            return
        if final:
            _registry.clear()

    def worker(n):
        for i in range(n):
            Finalize((n, i), print)

    threading.Thread(target=worker, args=(10,)).start()
    threading.Thread(target=run_finalizers, args=(True,)).start()
  `;

  void it('does not flag a None test: registering keeps the answer', async () => {
    assert.deepEqual(only(await analyzePython({ 'util.py': registry('_registry is None') }), 'PY-RACE-002'), []);
  });

  void it('flags an emptiness test, which a registration changes', async () => {
    assert.equal(only(await analyzePython({ 'util.py': registry('not _registry') }), 'PY-RACE-002').length, 1);
  });
});

void describe('state published by a readiness flag', () => {
  // A plugin registry: load() runs once (it leaves when ready), fills the registry, then sets
  // `loaded`; readers call a checker that raises until then, or read only when ready.
  const registry = (reader: string) => py`
    import threading

    class Registry:
        def __init__(self):
            self._lock = threading.RLock()
            self.plugins = {}
            self.loaded = False
            self.ready = False

        def load(self, entries):
            if self.ready:
                return
            with self._lock:
                if self.ready:
                    return
                for name, plugin in entries:
                    self.plugins[name] = plugin
                self.loaded = True
                for plugin in self.plugins.values():
                    plugin.start()
                self.ready = True

        def check_loaded(self):
            if not self.loaded:
                raise RuntimeError("plugins are not loaded yet")

        def names(self):
            ${reader}
  `;
  const iterated = async (reader: string) => only(await analyzePython({ 'registry.py': registry(reader) }), 'PY-RACE-005');

  void it('does not flag a reader that checks the flag first, itself or through a checker', async () => {
    assert.deepEqual(await iterated('self.check_loaded()\n            return [name for name in self.plugins]'), []);
    assert.deepEqual(await iterated('if not self.loaded:\n                raise RuntimeError("not yet")\n            return [name for name in self.plugins]'), []);
    assert.deepEqual(await iterated('if self.ready:\n                return [name for name in self.plugins]\n            return []'), []);
  });

  void it('flags a reader that does not wait for the flag', async () => {
    assert.equal((await iterated('return [name for name in self.plugins]')).length, 1);
    assert.equal((await iterated('if not self.loaded:\n                print("not yet")\n            return [name for name in self.plugins]')).length, 1);
  });
});

void describe('happens-before through threading.Event', () => {
  void it('does not flag an update published with Event.set() and consumed after Event.wait()', async () => {
    const findings = await analyzePython({
      'event.py': py`
        import threading
        ready = threading.Event()
        total = 0

        def producer():
            global total
            total += 10
            ready.set()

        def consumer():
            global total
            ready.wait()
            total += 1

        threading.Thread(target=producer).start()
        threading.Thread(target=consumer).start()
      `,
    });
    assert.deepEqual(findings, []);
  });

  void it('still flags the same updates without the event', async () => {
    const findings = await analyzePython({
      'noevent.py': py`
        import threading
        total = 0

        def producer():
            global total
            total += 10

        def consumer():
            global total
            total += 1

        threading.Thread(target=producer).start()
        threading.Thread(target=consumer).start()
      `,
    });
    assert.deepEqual(ids(findings), ['PY-RACE-001', 'PY-RACE-001']);
  });
});

void it('does not flag the child branch after os.fork(): it runs on a single thread', async () => {
  const findings = await analyzePython({
    'fork.py': py`
      import os
      import threading

      class Probe:
          def __init__(self):
              self.alive = {}

          def f(self, i):
              self.alive[i] = os.getpid()

          def run(self):
              for i in range(3):
                  threading.Thread(target=self.f, args=(i,)).start()
              pid = os.fork()
              if pid == 0:
                  for key in self.alive:
                      print(key)
                  os._exit(0)
    `,
  });
  assert.deepEqual(findings, []);
});

void it('keeps CRLF line endings in the wrap-in-lock fix', async () => {
  const src = 'import threading\r\n\r\nclass C:\r\n    def __init__(self):\r\n        self._lock = threading.Lock()\r\n        self.n = 0\r\n\r\n    def incr(self):\r\n        with self._lock:\r\n            self.n += 1\r\n\r\n    def reset(self):\r\n        self.n = 0\r\n\r\nc = C()\r\nthreading.Thread(target=c.incr).start()\r\nthreading.Thread(target=c.reset).start()\r\n';
  const [finding] = only(await analyzePython({ 'crlf_fix.py': src }), 'PY-RACE-004');
  assert.equal(finding?.fixes[0]?.edits[0]?.newText, '        with self._lock:\r\n            self.n = 0');
});

void it('does not pair self.x accesses of objects each plain-function thread creates for itself', async () => {
  const findings = await analyzePython({
    'perthread.py': py`
      import threading

      class Builder:
          def __init__(self):
              self.data = []

          def add(self, x):
              self.data.insert(0, x)

          def dump(self):
              for d in self.data:
                  print(d)

      def job():
          b = Builder()
          b.add(1)
          b.dump()

      threading.Thread(target=job).start()
      threading.Thread(target=job).start()
    `,
  });
  assert.deepEqual(findings, []);
});

void it('does not flag a check-then-act whose act tolerates the race in try/except', async () => {
  const findings = await analyzePython({
    'tolerant.py': py`
      import threading
      _cache = {}

      def compile_cached(key):
          if len(_cache) >= 100:
              try:
                  del _cache[next(iter(_cache))]
              except (StopIteration, RuntimeError, KeyError):
                  pass
          _cache[key] = key

      for k in range(4):
          threading.Thread(target=compile_cached, args=(k,)).start()
    `,
  });
  assert.deepEqual(findings, []);
});
