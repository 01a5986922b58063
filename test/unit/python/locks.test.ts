import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzePython, ids, only, py } from './helpers';

void describe('PY-DL-001 lock-order inversion', () => {
  void it('flags ABBA between two thread targets as an error naming both orders', async () => {
    const findings = await analyzePython({
      'abba.py': py`
        import threading
        a = threading.Lock()
        b = threading.Lock()

        def one():
            with a:
                with b:
                    pass

        def two():
            with b:
                with a:
                    pass

        threading.Thread(target=one).start()
        threading.Thread(target=two).start()
      `,
    });
    const [finding, ...rest] = only(findings, 'PY-DL-001');
    assert.equal(rest.length, 0);
    assert.ok(finding, JSON.stringify(findings));
    assert.equal(finding.severity, 'error');
    assert.match(finding.message, /^`abba.a` and `abba.b` are taken in opposite orders, first then second in `one` \(line 7\) and the reverse in `two` \(line 12\); /);
    assert.ok(finding.related.some((r) => r.message === '`two` holds `abba.b` from here' && r.range.start.line === 10));
    assert.equal(finding.range.start.line, 6);
    assert.ok(finding.related.some((r) => r.range.start.line === 11));
  });

  void it('finds longer cycles and inversions through calls, and `with a, b:` order', async () => {
    const findings = await analyzePython({
      'cycle.py': py`
        import threading
        a = threading.Lock()
        b = threading.Lock()
        c = threading.Lock()

        def take_c():
            with c:
                pass

        def t1():
            with a, b:
                pass

        def t2():
            with b:
                take_c()

        def t3():
            with c:
                with a:
                    pass

        for f in (t1, t2, t3):
            threading.Thread(target=f).start()
        threading.Thread(target=t1).start()
        threading.Thread(target=t2).start()
        threading.Thread(target=t3).start()
      `,
    });
    const [finding] = only(findings, 'PY-DL-001');
    assert.ok(finding, JSON.stringify(findings));
    assert.match(finding.message, /^`cycle.a`, `cycle.b` and `cycle.c` are taken in a cyclic order by `t1`, `t2`, `t3`/);
    assert.ok(finding.related.some((r) => /through `take_c` called at line/.test(r.message)), JSON.stringify(finding.related));
    assert.ok(finding.related.some((r) => r.message === '`t3` holds `cycle.c` from here'));
  });

  void it('is silent for a consistent order everywhere, including `with l1, l2:`', async () => {
    const findings = await analyzePython({
      'consistent.py': py`
        import threading
        l1 = threading.Lock()
        l2 = threading.Lock()

        def one():
            with l1, l2:
                pass

        def two():
            with l1:
                with l2:
                    pass

        threading.Thread(target=one).start()
        threading.Thread(target=two).start()
      `,
    });
    assert.deepEqual(findings, []);
  });

  void it('is silent when a helper re-enters, in the same order, locks its caller already holds', async () => {
    // A group coordinator that takes the client's lock and its own condition, then calls a
    // helper taking both again: the re-entry waits for nothing, so it orders nothing.
    const findings = await analyzePython({
      'reentry.py': py`
        import threading

        class Client:
            def __init__(self):
                self._lock = threading.RLock()

        class Coordinator:
            def __init__(self, client):
                self._client = client
                self._lock = threading.Condition()

            def ensure_ready(self):
                with self._client._lock, self._lock:
                    pass

            def ensure_group(self):
                with self._client._lock, self._lock:
                    self.ensure_ready()
      `,
    });
    assert.deepEqual(findings, []);
  });

  void it('lets a lock go with the call of a method that takes it over and releases it on return', async () => {
    // A display connection whose event reader takes the I/O lock, lets the queue lock go and
    // calls the I/O routine, documented to be entered locked and to return unlocked; the queue
    // lock it takes after the call, or that the routine takes once it let the I/O lock go, is
    // not nested inside the I/O lock. A routine that takes the lock back before returning
    // hands nothing over.
    const reader = (ioHelper: string) => py`
      import threading

      class Connection:
          def __init__(self):
              self.queue_lock = threading.Lock()
              self.io_lock = threading.Lock()
              self.queue = []

          def next_item(self):
              self.queue_lock.acquire()
              while not self.queue:
                  self.io_lock.acquire()
                  self.queue_lock.release()
                  self.pump()
                  self.queue_lock.acquire()
              item = self.queue.pop(0)
              self.queue_lock.release()
              return item

      ${ioHelper}
    `;
    const handsOver = `    def pump(self):
              if self.queue:
                  self.io_lock.release()
                  return
              self.io_lock.release()
              item = self.read_more()
              with self.queue_lock:
                  self.queue.append(item)`;
    const keepsIt = `    def pump(self):
              self.io_lock.release()
              self.read_more()
              self.io_lock.acquire()`;
    assert.deepEqual(only(await analyzePython({ 'conn.py': reader(handsOver) }), 'PY-DL-001'), []);
    assert.equal(only(await analyzePython({ 'conn.py': reader(keepsIt) }), 'PY-DL-001').length, 1);
  });

  void it('flags the transfer deadlock between two instances of one class', async () => {
    const findings = await analyzePython({
      'bank.py': py`
        import threading

        class Account:
            def __init__(self):
                self._lock = threading.Lock()
                self.balance = 0

        def transfer(a: Account, b: Account, amount):
            with a._lock:
                with b._lock:
                    a.balance -= amount
                    b.balance += amount

        x, y = Account(), Account()
        threading.Thread(target=transfer, args=(x, y, 1)).start()
        threading.Thread(target=transfer, args=(y, x, 1)).start()
      `,
    });
    const [finding] = only(findings, 'PY-DL-001');
    assert.ok(finding, JSON.stringify(findings));
    assert.equal(finding.severity, 'error');
    assert.equal(finding.range.start.line, 9);
    assert.match(finding.message, /# conclens: lock-order Account._lock by id/);
  });

  void it('accepts an order by id, or the declaration comment', async () => {
    const sorted = await analyzePython({
      'bank_sorted.py': py`
        import threading

        class Account:
            def __init__(self):
                self._lock = threading.Lock()

        def transfer(a: Account, b: Account):
            first, second = sorted((a, b), key=id)
            with first._lock:
                with second._lock:
                    pass

        threading.Thread(target=transfer).start()
        threading.Thread(target=transfer).start()
      `,
    });
    assert.deepEqual(sorted, []);
    const declared = await analyzePython({
      'bank_declared.py': py`
        import threading

        # conclens: lock-order Account._lock by id
        class Account:
            def __init__(self):
                self._lock = threading.Lock()

        def transfer(a: Account, b: Account):
            with a._lock:
                with b._lock:
                    pass

        threading.Thread(target=transfer).start()
        threading.Thread(target=transfer).start()
      `,
    });
    assert.deepEqual(declared, []);
  });
});

void describe('PY-DL-002 re-acquiring a non-reentrant Lock', () => {
  void it('flags a helper that takes the lock its caller holds', async () => {
    const findings = await analyzePython({
      'reenter.py': py`
        import threading

        class Store:
            def __init__(self):
                self._lock = threading.Lock()
                self.items = []

            def add(self, x):
                with self._lock:
                    self.items.append(x)
                    self._trim()

            def _trim(self):
                with self._lock:
                    del self.items[:-10]
      `,
    });
    const [finding] = only(findings, 'PY-DL-002');
    assert.ok(finding, JSON.stringify(findings));
    assert.equal(finding.severity, 'error');
    assert.equal(finding.range.start.line, 10);
    assert.equal(finding.related[1]?.range.start.line, 13);
  });

  void it('does not count an acquire that gives up (no blocking, or a timeout) as a re-entry or an order', async () => {
    // A client's "write now unless a callback holds the mutex" probe, reduced: the try-acquire
    // under the same lock returns False instead of waiting (and when it succeeds, the helper it
    // guards runs with the lock free), and one in the reverse order of another pair of locks
    // cannot close a cycle.
    const findings = await analyzePython({
      'trylock.py': py`
        import threading

        class Client:
            def __init__(self):
                self._mutex = threading.Lock()
                self._other = threading.Lock()

            def _kick(self):
                if self._mutex.acquire(False):
                    self._mutex.release()
                    self._take()

            def _kick_briefly(self):
                if self._mutex.acquire(timeout=0.5):
                    self._mutex.release()

            def _take(self):
                with self._mutex:
                    pass

            def on_message(self):
                with self._mutex:
                    self._kick()
                    self._kick_briefly()

            def publish(self):
                with self._mutex:
                    self._take()

            def first(self):
                with self._other:
                    if self._mutex.acquire(blocking=False):
                        self._mutex.release()

            def second(self):
                with self._mutex:
                    with self._other:
                        pass
      `,
    });
    assert.deepEqual(findings.map((f) => [f.ruleId, f.range.start.line]), [['PY-DL-002', 27]]);
  });

  void it('does not flag an RLock, a Condition() (RLock inside) or different instances', async () => {
    const findings = await analyzePython({
      'rlock.py': py`
        import threading

        class Store:
            def __init__(self):
                self._lock = threading.RLock()
                self._cv = threading.Condition()

            def add(self, other):
                with self._lock:
                    self._trim()
                with self._cv:
                    self._wake()

            def _trim(self):
                with self._lock:
                    pass

            def _wake(self):
                with self._cv:
                    self._cv.notify_all()
      `,
    });
    assert.deepEqual(findings, []);
  });
});

void describe('a decorator that calls the method holding a lock of the object', () => {
  // A mock server: its request loop and its reset are wrapped by a module's `synchronized`.
  const server = (decorator: string, body = 'self.requests += 1') => py`
    import contextlib
    import functools
    import threading

    def synchronized(meth):
        @functools.wraps(meth)
        def wrapper(self, *args, **kwargs):
            with self._lock:
                return meth(self, *args, **kwargs)
        return wrapper

    class MockServer:
        def __init__(self):
            self._lock = threading.Lock()
            self.requests = 0

        def start(self):
            for _ in range(2):
                threading.Thread(target=self._serve).start()

        ${decorator}
        def _serve(self):
            ${body}

        @synchronized
        def reset(self):
            self.requests = 0

        @contextlib.contextmanager
        def _unlocked(self):
            self._lock.release()
            try:
                yield
            finally:
                self._lock.acquire()
  `;

  void it('takes the decorated method as run holding that lock', async () => {
    const races = async (decorator: string) => (await analyzePython({ 'mock.py': server(decorator) })).filter((f) => f.ruleId.startsWith('PY-RACE'));
    assert.deepEqual(await races('@synchronized'), []);
    assert.ok((await races('@functools.lru_cache')).some((f) => f.ruleId === 'PY-RACE-001' || f.ruleId === 'PY-RACE-004'));
  });

  void it('takes a function wrapped by a decorator that makes a lock for it as run one at a time', async () => {
    // A test runner's `@mutex`: a lock per decorated function, taken around every call.
    const src = (decorator: string) => py`
      import functools
      import threading

      def mutex(func):
          lock = threading.Lock()

          @functools.wraps(func)
          def wrapper(*args, **kwargs):
              with lock:
                  return func(*args, **kwargs)

          return wrapper

      _databases = {}

      ${decorator}
      def get_database(name):
          if name not in _databases:
              _databases[name] = create_database(name)
          return _databases[name]

      def create_database(name):
          return {'name': name}

      for name in ('a', 'b'):
          threading.Thread(target=get_database, args=(name,)).start()
    `;
    assert.deepEqual(only(await analyzePython({ 'containers.py': src('@mutex') }), 'PY-RACE-002'), []);
    assert.equal(only(await analyzePython({ 'containers.py': src('@functools.wraps(print)') }), 'PY-RACE-002').length, 1);
  });

  void it('follows a locking decorator imported from another module of the run', async () => {
    const helpers = (mutexBody: string) => py`
      import functools
      import threading

      def mutex(func):
          ${mutexBody}

      def synchronized(meth):
          @functools.wraps(meth)
          def wrapper(self, *args, **kwargs):
              with self._lock:
                  return meth(self, *args, **kwargs)
          return wrapper
    `;
    const locking = 'lock = threading.Lock()\n\n          @functools.wraps(func)\n          def wrapper(*args, **kwargs):\n              with lock:\n                  return func(*args, **kwargs)\n\n          return wrapper';
    const files = (mutexBody: string) => ({
      'runner/thread.py': helpers(mutexBody),
      'runner/containers.py': py`
        import threading
        from .thread import mutex

        _databases = {}

        @mutex
        def get_database(name):
            if name not in _databases:
                _databases[name] = {'name': name}
            return _databases[name]

        for name in ('a', 'b'):
            threading.Thread(target=get_database, args=(name,)).start()
      `,
      'runner/server.py': py`
        import threading
        from . import thread

        class MockServer:
            def __init__(self):
                self._lock = threading.Lock()
                self.requests = 0

            def start(self):
                for _ in range(2):
                    threading.Thread(target=self._serve).start()

            @thread.synchronized
            def _serve(self):
                self.requests += 1

            @thread.synchronized
            def reset(self):
                self.requests = 0
      `,
    });
    const races = async (mutexBody: string) => (await analyzePython(files(mutexBody))).filter((f) => f.ruleId.startsWith('PY-RACE') && f.severity !== 'information');
    assert.deepEqual(await races(locking), []);
    assert.deepEqual((await races('return func')).map((f) => f.ruleId), ['PY-RACE-002']);
  });

  void it('flags a decorated method calling another one, not a helper that lets the lock go for a while', async () => {
    assert.equal(only(await analyzePython({ 'mock.py': server('@synchronized', 'self.reset()') }), 'PY-DL-002').length, 1);
    assert.deepEqual(only(await analyzePython({ 'mock.py': server('@synchronized', 'with self._unlocked(): self.requests += 0') }), 'PY-DL-002'), []);
  });
});

void describe('PY-DL-003 acquire without finally', () => {
  void it('flags acquire(); risky(); release()', async () => {
    const findings = await analyzePython({
      'bare.py': py`
        import threading
        lock = threading.Lock()

        def update(data):
            lock.acquire()
            risky(data)
            lock.release()

        def risky(data):
            pass
      `,
    });
    assert.deepEqual(ids(findings), ['PY-DL-003']);
    assert.deepEqual(findings[0]!.range, { start: { line: 4, character: 4 }, end: { line: 4, character: 18 } });
  });

  void it('leaves a permit handed to a task that releases it to that task', async () => {
    // A bounded executor: a permit per queued task; `rest` gives it back.
    const src = (rest: string) => py`
      import threading

      class BoundedExecutor:
          def __init__(self, executor, limit):
              self.executor = executor
              self.permits = threading.Semaphore(limit)

          def submit(self, fn, *args):
              self.permits.acquire()
${rest}
    `;
    const leaks = async (rest: string) => only(await analyzePython({ 'bounded.py': src(rest) }), 'PY-DL-003').length;
    // The task gives it back when it ends, however it ends.
    assert.equal(await leaks([
      '              def run():',
      '                  try:',
      '                      return fn(*args)',
      '                  finally:',
      '                      self.permits.release()',
      '              return self.executor.submit(run)',
    ].join('\n')), 0);
    // Released by this function after a call that can raise: the permit leaks.
    assert.equal(await leaks([
      '              future = self.executor.submit(fn, *args)',
      '              self.permits.release()',
      '              return future',
    ].join('\n')), 1);
  });

  void it('accepts a log line between the acquire and its try/finally, not a call that can raise', async () => {
    const src = (between: string) => py`
      import logging
      import threading

      class Bufferer:
          def __init__(self):
              self.log = logging.getLogger("bufferer")
              self._lock = threading.RLock()
              self.buffer = []

          def flush(self):
              self.log.debug("acquiring the buffering lock")
              self._lock.acquire()
      ${between}
              try:
                  out, self.buffer = self.buffer, []
                  return out
              finally:
                  self._lock.release()
    `;
    assert.deepEqual(only(await analyzePython({ 'bufferer.py': src('        self.log.debug("got the lock")') }), 'PY-DL-003'), []);
    // The object's own logging method (imaplib2's `self._log(level, msg)`), not a bare `log(x)`.
    assert.deepEqual(only(await analyzePython({ 'bufferer.py': src('        self._log(3, "got the lock")') }), 'PY-DL-003'), []);
    assert.equal(only(await analyzePython({ 'bufferer.py': src('        log(3)') }), 'PY-DL-003').length, 1);
    assert.equal(only(await analyzePython({ 'bufferer.py': src('        self.log.debug("got the lock (%d queued)", len(self.buffer))') }), 'PY-DL-003').length, 1);
    assert.equal(only(await analyzePython({ 'bufferer.py': src('        self.prepare()') }), 'PY-DL-003').length, 1);
  });

  void it('accepts a name bound to an attribute between the acquire and its try/finally', async () => {
    // An evaluator swapping sys.stdout under a module lock: it saves the old stream first.
    const src = (save: string) => py`
      import sys
      import threading

      exec_lock = threading.Lock()

      def run(code, out):
          exec_lock.acquire()
          ${save}
          try:
              sys.stdout = out
              exec(code)
          finally:
              sys.stdout = saved
              exec_lock.release()
    `;
    assert.deepEqual(only(await analyzePython({ 'evalctx.py': src('saved = sys.stdout') }), 'PY-DL-003'), []);
    assert.equal(only(await analyzePython({ 'evalctx.py': src('saved = sys.stdout.detach()') }), 'PY-DL-003').length, 1);
  });

  void it('accepts a dict lookup with a default between acquire and release, not a call that can raise', async () => {
    const src = (lookup: string) => py`
      import threading

      class Counters:
          def __init__(self):
              self._mutex = threading.Lock()
              self._counts = {}

          def count(self, key):
              self._mutex.acquire()
              value = ${lookup}
              self._mutex.release()
              return value
    `;
    assert.deepEqual(only(await analyzePython({ 'counters.py': src('self._counts.get(key, 0)') }), 'PY-DL-003'), []);
    assert.deepEqual(only(await analyzePython({ 'counters.py': src('[i for i, _ in enumerate(self._counts)]') }), 'PY-DL-003'), []);
    // Builtins that copy or describe their argument: a snapshot, or a buffer grown by what arrived.
    assert.deepEqual(only(await analyzePython({ 'counters.py': src('(dict(self._counts), repr(key), bytearray(key))') }), 'PY-DL-003'), []);
    assert.equal(only(await analyzePython({ 'counters.py': src('self.load(key)') }), 'PY-DL-003').length, 1);
    assert.equal(only(await analyzePython({ 'counters.py': src('int(key)') }), 'PY-DL-003').length, 1);
  });

  void it('accepts try/finally, `if lock.acquire(timeout=…)` with try/finally, and `with`', async () => {
    const findings = await analyzePython({
      'guarded.py': py`
        import threading
        lock = threading.Lock()

        def a():
            lock.acquire()
            try:
                work()
            finally:
                lock.release()

        def b():
            if lock.acquire(timeout=1):
                try:
                    work()
                finally:
                    lock.release()

        def c():
            if not lock.acquire(blocking=False):
                raise RuntimeError('busy')
            try:
                work()
            finally:
                lock.release()

        def d():
            with lock:
                work()

        def work():
            pass
      `,
    });
    assert.deepEqual(findings, []);
  });
});

void describe('PY-DL-004 join while holding a lock the worker needs', () => {
  void it('flags worker.join() under self._lock when the worker takes it', async () => {
    const findings = await analyzePython({
      'joiner.py': py`
        import threading

        class Service:
            def __init__(self):
                self._lock = threading.Lock()
                self.worker = threading.Thread(target=self.run)
                self.worker.start()

            def run(self):
                with self._lock:
                    pass

            def stop(self):
                with self._lock:
                    self.worker.join()
      `,
    });
    const [finding] = only(findings, 'PY-DL-004');
    assert.ok(finding, JSON.stringify(findings));
    assert.equal(finding.range.start.line, 14);
    assert.equal(finding.related[0]?.range.start.line, 9);
  });

  void it('flags fut.result() under a lock the submitted task takes; silent when the lock is released first', async () => {
    const findings = await analyzePython({
      'futs.py': py`
        import threading
        from concurrent.futures import ThreadPoolExecutor
        lock = threading.Lock()
        ex = ThreadPoolExecutor(max_workers=2)

        def task():
            with lock:
                return 1

        def bad():
            with lock:
                fut = ex.submit(task)
                return fut.result()

        def good():
            with lock:
                fut = ex.submit(task)
            return fut.result()
      `,
    });
    assert.deepEqual(only(findings, 'PY-DL-004').map((f) => f.range.start.line), [12]);
  });
});

void describe('PY-DL-005 condition misuse', () => {
  void it('accepts a wait followed by a bare return, which assumes nothing about what it woke to', async () => {
    // A channel's flush that hits an error, wakes the main thread and waits for it to close
    // the connection; a wait whose caller goes on to use the state is still flagged.
    const src = (after: string) => py`
      import threading

      class Channel:
          def __init__(self):
              self.lock = threading.Condition()
              self.closed = False

          def flush(self, failed):
              with self.lock:
                  if failed:
                      self.lock.wait()
                      ${after}

          def close(self):
              with self.lock:
                  self.closed = True
                  self.lock.notify_all()
    `;
    assert.deepEqual(only(await analyzePython({ 'channel.py': src('return') }), 'PY-DL-005'), []);
    assert.deepEqual(only(await analyzePython({ 'channel.py': src('return self.closed') }), 'PY-DL-005').map((f) => f.range.start.line), [10]);
  });

  void it('flags `if not ready: cv.wait()` with a while-loop fix, and notify without the lock', async () => {
    const findings = await analyzePython({
      'cond.py': py`
        import threading
        cv = threading.Condition()
        ready = False

        def consumer():
            with cv:
                if not ready:
                    cv.wait()

        def producer():
            global ready
            ready = True
            cv.notify()
      `,
    });
    const found = only(findings, 'PY-DL-005');
    assert.deepEqual(found.map((f) => f.range.start.line), [7, 12]);
    assert.deepEqual(found[0]!.fixes[0]?.edits[0], {
      file: '/project/cond.py',
      range: { start: { line: 6, character: 8 }, end: { line: 6, character: 10 } },
      newText: 'while',
    });
  });

  void it('accepts while loops, wait_for, timeouts, notify under the condition or its shared lock, and Event.wait', async () => {
    const findings = await analyzePython({
      'cond_ok.py': py`
        import threading

        class Box:
            def __init__(self):
                self.mutex = threading.Lock()
                self.not_empty = threading.Condition(self.mutex)
                self.not_full = threading.Condition(lock=self.mutex)
                self.done = threading.Event()
                self.items = []

            def get(self):
                with self.not_empty:
                    while not self.items:
                        self.not_empty.wait()
                    self.not_empty.wait_for(lambda: self.items)
                    item = self.items.pop()
                    self.not_full.notify()
                    return item

            def put(self, x):
                with self.not_full:
                    self.items.append(x)
                    self.not_empty.notify()

            def finish(self):
                self.done.wait()
                with self.not_empty:
                    if not self.items:
                        self.not_empty.wait(0.1)

            def drain(self):
                with self.mutex:
                    self.items.clear()
                    self.not_full.notify_all()
      `,
    });
    assert.deepEqual(findings, []);
  });

  void it('does not flag notify on a condition built on a lock its creator passes in (the reader notifies holding it)', async () => {
    const findings = await analyzePython({
      'reply.py': py`
        import threading

        class Reply:
            def __init__(self, lock):
                self.cond = threading.Condition(lock)
                self.value = None

            def set(self, value):
                self.value = value
                self.cond.notify()

            def get(self):
                while self.value is None:
                    self.cond.wait()
                return self.value

        class Client:
            def __init__(self):
                self.lock = threading.Lock()
                self.waiting = {}
                threading.Thread(target=self._reader).start()

            def _reader(self):
                for request, value in self.replies():
                    with self.lock:
                        self.waiting.pop(request).set(value)

            def call(self, request):
                reply = Reply(self.lock)
                with self.lock:
                    self.waiting[request] = reply
                    return reply.get()

            def replies(self):
                return []
      `,
    });
    assert.deepEqual(only(findings, 'PY-DL-005'), []);
  });
});

void it('matches a declared order by attribute when the receivers have no known class', async () => {
  const src = (declaration: string) => py`
    import threading
    ${declaration}

    def transfer(src, dst):
        with src._lock:
            with dst._lock:
                pass

    threading.Thread(target=transfer).start()
    threading.Thread(target=transfer).start()
  `;
  const undeclared = only(await analyzePython({ 'plain.py': src('') }), 'PY-DL-001');
  assert.equal(undeclared.length, 1);
  assert.match(undeclared[0]!.message, /are two `\*\._lock` locks taken in argument order/);
  assert.deepEqual(await analyzePython({ 'declared.py': src('# conclens: lock-order Account._lock by id') }), []);
});

void it('accepts an optional lock acquired in an `if` and released in the following try/finally', async () => {
  const findings = await analyzePython({
    'optional.py': py`
      import threading
      lock = threading.Lock()

      def parse(source, use_lock):
          if use_lock:
              lock.acquire()
          try:
              return compile(source)
          finally:
              if use_lock:
                  lock.release()
    `,
  });
  assert.deepEqual(findings, []);
});

void it('a declaration for receivers of unknown class applies to its own file only', async () => {
  const transfer = py`
    import threading

    def transfer(src, dst):
        with src._lock:
            with dst._lock:
                pass

    threading.Thread(target=transfer).start()
    threading.Thread(target=transfer).start()
  `;
  const findings = await analyzePython({
    'declares.py': '# conclens: lock-order Account._lock by id\n',
    'undeclared.py': transfer,
  });
  assert.deepEqual(only(findings, 'PY-DL-001').map((f) => f.file), ['/project/undeclared.py']);
});

void it('a declaration for a class applies to that class, not to a same-named class of another module', async () => {
  const bank = (declaration: string) => py`
    import threading
    ${declaration}

    class Account:
        def __init__(self):
            self._lock = threading.Lock()

    def transfer(src: Account, dst: Account):
        with src._lock:
            with dst._lock:
                pass

    a, b = Account(), Account()
    threading.Thread(target=transfer, args=(a, b)).start()
    threading.Thread(target=transfer, args=(b, a)).start()
  `;
  const findings = await analyzePython({
    'ordered_bank.py': bank('# conclens: lock-order Account._lock by id'),
    'other_bank.py': bank(''),
  });
  assert.deepEqual(only(findings, 'PY-DL-001').map((f) => f.file), ['/project/other_bank.py']);
});
