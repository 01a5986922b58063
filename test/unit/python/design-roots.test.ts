import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzePython, only, py, summary } from './helpers';

// Concurrency declared by a library's design (rules.md principle 2): nothing in these files
// starts the callers' threads or tasks, as in a library whose applications live elsewhere.


void describe('a class that starts a thread runs it next to its public methods', () => {
  void it('flags a size kept by put() and by the expiry thread started in __init__', async () => {
    const findings = await analyzePython({
      'cache.py': py`
        import threading
        import time

        class Cache:
            def __init__(self):
                self.store = {}
                self.size = 0
                self._reaper = threading.Thread(target=self._expire, daemon=True)
                self._reaper.start()

            def put(self, key, value):
                self.store[key] = value
                self.size += len(value)

            def _expire(self):
                while True:
                    time.sleep(1)
                    for key in list(self.store):
                        self.size -= len(self.store.pop(key))
      `,
    });
    assert.deepEqual(summary(only(findings, 'PY-RACE-001')), ['12 PY-RACE-001 warning', '18 PY-RACE-001 warning']);
    const put = only(findings, 'PY-RACE-001')[0]!;
    assert.match(put.message, /^`Cache.size` is read and written back in `Cache.put` \(line 13, threads calling `Cache`\) while `Cache._expire` \(line 19, the thread started at line 8\) writes it/);
    assert.ok(put.related.some((r) => r.message === 'concurrency root: `Cache.__init__` starts a thread, reaching it through `Cache.put`' || r.message.startsWith('concurrency root: `Cache.__init__` starts a thread')));
  });

  void it('flags a Thread subclass whose run() and a public method update the same field', async () => {
    const findings = await analyzePython({
      'worker.py': py`
        import threading

        class Worker(threading.Thread):
            def __init__(self):
                super().__init__()
                self.done = 0

            def run(self):
                for _ in range(100):
                    self.done += 1

            def reset(self):
                self.done = 0
      `,
    });
    assert.deepEqual(summary(findings), ['9 PY-RACE-001 warning']);
    assert.match(findings[0]!.message, /\(line 10, the `Worker` thread\)/);
  });

  void it('does not pair the fields of two sibling classes, which are never one object', async () => {
    const findings = await analyzePython({
      'siblings.py': py`
        import threading

        class Base:
            def tick(self):
                self.count += 1

        class Left(Base):
            def start(self):
                threading.Thread(target=self.tick).start()

        class Right(Base):
            def start(self):
                threading.Thread(target=self.tick).start()

            def poke(self):
                self.count = 0
      `,
    });
    assert.deepEqual(only(findings, 'PY-RACE-004'), []);
  });
});

void describe('a class that owns a lock', () => {
  void it('treats only state it guards somewhere as shared, not every field', async () => {
    const findings = await analyzePython({
      'conn.py': py`
        import threading

        class Conn:
            def __init__(self):
                self._lock = threading.Lock()
                self.sent = 0
                self.pos = 0

            def send(self, data):
                with self._lock:
                    self.sent += len(data)

            def read(self, n):
                self.pos += n
      `,
    });
    assert.deepEqual(summary(findings), ['13 PY-RACE-001 information']);
  });

  void it('keeps a counter raced only by the callers its class implies a note, and one its own thread updates a warning', async () => {
    // A pool counts its requests bare in get() and clears the count under its lock; with an
    // expiry thread started in __init__ that also updates the count, the race is concrete.
    const src = (start: string) => py`
      import threading

      class Pool:
          def __init__(self):
              self._lock = threading.Lock()
              self.requests = 0
              self.idle = []
      ${start}

          def get(self):
              self.requests += 1
              with self._lock:
                  return self.idle.pop() if self.idle else None

          def reset_stats(self):
              with self._lock:
                  self.requests = 0

          def _expire(self):
              with self._lock:
                  self.idle.clear()
              self.requests -= len(self.idle)
    `;
    assert.deepEqual(summary(await analyzePython({ 'pool.py': src('') })).filter((s) => s.includes('RACE-001')), ['10 PY-RACE-001 information']);
    const started = await analyzePython({ 'pool.py': src('        threading.Thread(target=self._expire, daemon=True).start()') });
    assert.deepEqual(summary(started).filter((s) => s.includes('RACE-001')), ['10 PY-RACE-001 warning', '21 PY-RACE-001 warning']);
  });

  void it('lets a class-level lock guard class state without making the instances shared', async () => {
    const findings = await analyzePython({
      'registry.py': py`
        import threading

        class Handler:
            _registry_lock = threading.Lock()
            _registry = {}

            def register(self, name):
                with Handler._registry_lock:
                    Handler._registry[name] = self

            def handle(self):
                self.hits += 1
      `,
    });
    assert.deepEqual(findings, []);
  });

  void it('flags a change made under another lock than every other use holds', async () => {
    const src = (lock: string) => py`
      import threading

      class Scheduler:
          def __init__(self):
              self._jobs_lock = threading.RLock()
              self._executors_lock = threading.RLock()
              self._executors = {}

          def add_executor(self, name, executor):
              with self._executors_lock:
                  if name in self._executors:
                      raise ValueError(name)
                  self._executors[name] = executor

          def replace_executor(self, name, executor):
              with self._executors_lock:
                  self._executors[name] = executor

          def remove_executor(self, name):
              with self.${lock}:
                  del self._executors[name]
    `;
    const wrong = only(await analyzePython({ 'sched.py': src('_jobs_lock') }), 'PY-RACE-004');
    assert.deepEqual(summary(wrong), ['20 PY-RACE-004 warning']);
    assert.match(wrong[0]!.message, /^`Scheduler._executors` is changed holding `self._jobs_lock` in `Scheduler.remove_executor` .*take `self._executors_lock` here instead\.$/);
    assert.deepEqual(only(await analyzePython({ 'sched.py': src('_executors_lock') }), 'PY-RACE-004'), []);
  });

  void it('does not call a change the wrong lock\'s when only a bare write races with it', async () => {
    // Every other locked use holds both locks, so it excludes the change; the reset holds none.
    const findings = await analyzePython({
      'ledger.py': py`
        import threading

        class Ledger:
            def __init__(self):
                self.lock = threading.RLock()
                self.tx_lock = threading.RLock()
                self.items = {}

            def add(self, key):
                with self.tx_lock:
                    self.items[key] = 1

            def remove(self, key):
                with self.lock, self.tx_lock:
                    self.items.pop(key, None)

            def clear(self):
                with self.lock, self.tx_lock:
                    self.items.clear()

            def reset(self):
                self.items = {}
      `,
    });
    assert.deepEqual(only(findings, 'PY-RACE-004'), []);
  });

  void it('holds the lock a condition is built on when it holds the condition', async () => {
    // queue.Queue's layout: three conditions on one mutex, each method entering by another.
    const src = (doneCondition: string) => py`
      import threading

      class Queue:
          def __init__(self):
              self.mutex = threading.Lock()
              self.not_empty = threading.Condition(self.mutex)
              self.all_tasks_done = ${doneCondition}
              self.unfinished = 0
              self.items = []
              self.changed = False

          def get(self):
              with self.not_empty:
                  while not self.items:
                      self.not_empty.wait()
                  self.changed = True
                  return self.items.pop(0)

          def put(self, item):
              with self.not_empty:
                  self.items.append(item)
                  self.changed = True
                  self.not_empty.notify()

          def task_done(self):
              with self.all_tasks_done:
                  self.changed = False
                  self.unfinished -= 1
                  if self.unfinished == 0:
                      self.all_tasks_done.notify_all()
    `;
    assert.deepEqual(only(await analyzePython({ 'queue_.py': src('threading.Condition(self.mutex)') }), 'PY-RACE-004'), []);
    assert.deepEqual(summary(only(await analyzePython({ 'queue_.py': src('threading.Condition()') }), 'PY-RACE-004')), ['26 PY-RACE-004 warning']);
  });

  void it('takes a lock around another module\'s state as a convention only where that lock is known', async () => {
    const capture = py`
      import sys
      import threading

      exec_lock = threading.Lock()

      def run_captured(code, out):
          with exec_lock:
              saved = sys.stdout
              sys.stdout = out
              try:
                  exec(code)
              finally:
                  sys.stdout = saved
    `;
    const console = (imports: string) => py`
      import sys
      import threading
      ${imports}

      class Console:
          def __init__(self):
              self._lock = threading.Lock()
              self.history = []

          def push(self, stream):
              with self._lock:
                  self.history.append(stream)
              sys.stdout = stream
    `;
    const run = async (consoleFile: string, imports: string) => only(await analyzePython({ 'capture/evalcontext.py': capture, [consoleFile]: console(imports) }), 'PY-RACE-004');
    assert.deepEqual(await run('shell/console.py', ''), []);
    assert.deepEqual(summary(await run('capture/console.py', 'from .evalcontext import run_captured')), ['12 PY-RACE-004 information']);
  });

  void it('flags a live view of the guarded container returned from inside the lock, not a copy', async () => {
    const src = (ret: string) => py`
      import threading

      class Registry:
          def __init__(self):
              self._lock = threading.Lock()
              self._items = {}

          def add(self, key, value):
              with self._lock:
                  self._items[key] = value

          def names(self):
              with self._lock:
                  return ${ret}
    `;
    const live = only(await analyzePython({ 'reg.py': src('self._items.keys()') }), 'PY-RACE-005');
    assert.deepEqual(summary(live), ['13 PY-RACE-005 warning']);
    assert.match(live[0]!.message, /^`Registry._items` leaves `Registry.names` \(line 14, threads calling `Registry`\) as a live view that callers iterate after the lock is released while `Registry.add` \(line 10\) changes it; /);
    assert.deepEqual(only(await analyzePython({ 'reg.py': src('list(self._items)') }), 'PY-RACE-005'), []);
  });

  void it('does not flag a live view when the others only bind the field to a new container', async () => {
    // A registry replaced whole on each change: a view of the old dict stays valid.
    const src = (change: string) => py`
      import threading

      class Registry:
          def __init__(self):
              self._lock = threading.Lock()
              self._items = {}

          def add(self, key, value):
              with self._lock:
                  ${change}

          def names(self):
              return self._items.keys()
    `;
    assert.deepEqual(only(await analyzePython({ 'reg.py': src('self._items = {key: value}') }), 'PY-RACE-005'), []);
    assert.equal(only(await analyzePython({ 'reg.py': src('self._items[key] = value') }), 'PY-RACE-005').length, 1);
  });

  void it('takes a dunder the data model calls (`__iter__`) as public, a made-up one (`__keys__`) as a plain name', async () => {
    const src = (name: string) => py`
      import threading

      class Plugins:
          def __init__(self):
              self._lock = threading.Lock()
              self._plugins = {}

          def enable(self, name, plugin):
              with self._lock:
                  self._plugins[name] = plugin

          def ${name}(self):
              return iter(self._plugins.keys())
    `;
    assert.deepEqual(summary(only(await analyzePython({ 'plugins.py': src('__iter__') }), 'PY-RACE-005')), ['12 PY-RACE-005 warning']);
    assert.deepEqual(only(await analyzePython({ 'plugins.py': src('__keys__') }), 'PY-RACE-005'), []);
  });
});

void describe('a class that keeps its state in a thread-safe class', () => {
  const files = (body: string) => ({
    'lru.py': py`
      import threading

      class LRU:
          def __init__(self):
              self.lock = threading.RLock()
              self._data = {}

          def get(self, key, default=None):
              with self.lock:
                  return self._data.get(key, default)

          def __setitem__(self, key, value):
              with self.lock:
                  self._data[key] = value
    `,
    'manager.py': py`
      from lru import LRU

      class Manager:
          def __init__(self):
              self.pools = LRU()

          def pool_for(self, key):
      ${body}
    `,
  });

  void it('flags get-or-create on it without its lock', async () => {
    const findings = only(await analyzePython(files(`
              pool = self.pools.get(key)
              if pool:
                  return pool
              pool = object()
              self.pools[key] = pool
              return pool`)), 'PY-RACE-002');
    assert.deepEqual(findings.map((f) => [f.file, f.range.start.line, f.severity]), [['/project/manager.py', 12, 'warning']]);
    assert.match(findings[0]!.message, /^`Manager.pools` is checked at line 10 and changed in `Manager.pool_for` \(line 13, threads calling `Manager`\)/);
  });

  void it('accepts get-or-create under the container lock', async () => {
    const findings = await analyzePython(files(`
              with self.pools.lock:
                  pool = self.pools.get(key)
                  if pool:
                      return pool
                  pool = object()
                  self.pools[key] = pool
                  return pool`));
    assert.deepEqual(only(findings, 'PY-RACE-002'), []);
  });
});

void describe('public coroutines of a class that keeps waiters', () => {
  const connector = (resolve: string) => py`
    class BaseConnector:
        def __init__(self, loop):
            self._loop = loop
            self._waiters = []

        async def connect(self, host):
            if len(self._waiters) > 100:
                fut = self._loop.create_future()
                self._waiters.append(fut)
                await fut
            return await self._open(host)

        async def _open(self, host):
            raise NotImplementedError

    class TCPConnector(BaseConnector):
        def __init__(self, loop):
            super().__init__(loop)
            self._pending = {}

        async def _open(self, host):
            return await self._resolve(host)

        async def _resolve(self, host):
    ${resolve}
  `;

  void it('reaches a private helper of a subclass through the abstract method and flags check-then-act across an await', async () => {
    const findings = only(await analyzePython({ 'conn.py': connector(`
            if host in self._pending:
                return await self._pending[host]
            else:
                await self._loop.run_in_executor(None, print, host)
                self._pending[host] = self._loop.create_future()`) }), 'PY-ASYNC-002');
    assert.deepEqual(summary(findings), ['29 PY-ASYNC-002 warning']);
    assert.ok(findings[0]!.related.some((r) => r.message.startsWith('concurrency root: `BaseConnector` keeps futures for other tasks in `BaseConnector._waiters`')));
  });

  void it('accepts the entry registered before the first await, even after an await in the other branch', async () => {
    const findings = only(await analyzePython({ 'conn.py': connector(`
            if host in self._pending:
                await self._loop.run_in_executor(None, print, host)
                return await self._pending[host]
            else:
                self._pending[host] = self._loop.create_future()
                await self._loop.run_in_executor(None, print, host)`) }), 'PY-ASYNC-002');
    assert.deepEqual(findings, []);
  });

  void it('treats an awaited asyncio.shield(coroutine) as a call of the caller', async () => {
    const findings = only(await analyzePython({ 'conn.py': connector(`
            return await asyncio.shield(self._lookup(host))

        async def _lookup(self, host):
            if host not in self._pending:
                await self._loop.run_in_executor(None, print, host)
                self._pending[host] = [host]`).replace('class BaseConnector', 'import asyncio\n\nclass BaseConnector') }), 'PY-ASYNC-002');
    assert.deepEqual(summary(findings), ['32 PY-ASYNC-002 warning']);
  });
});

void describe('framework entry points', () => {
  void it('runs socketserver handlers concurrently when the run has a threading server', async () => {
    const src = (server: string) => py`
      import socketserver

      served = 0

      class Handler(socketserver.BaseRequestHandler):
          def handle(self):
              global served
              served += 1

      def serve():
          with socketserver.${server}(("", 0), Handler) as s:
              s.serve_forever()
    `;
    assert.deepEqual(summary(await analyzePython({ 'srv.py': src('ThreadingTCPServer') })), ['7 PY-RACE-001 warning']);
    assert.deepEqual(summary(await analyzePython({ 'srv.py': src('TCPServer') })), ['7 PY-RACE-001 information']);
    // A forking server handles each request in a child process, with its own copy of `served`.
    assert.deepEqual(summary(await analyzePython({ 'srv.py': src('ForkingTCPServer') })), []);
  });

  void it('runs a WSGI application for many requests at once', async () => {
    const findings = await analyzePython({
      'app.py': py`
        requests = 0

        def application(environ, start_response):
            global requests
            requests += 1
            start_response("200 OK", [])
            return [b"ok"]
      `,
    });
    assert.deepEqual(summary(findings), ['4 PY-RACE-001 warning']);
    assert.match(findings[0]!.message, /\(line 5, concurrent requests\)/);
  });

  void it('gives each request its own object when a request handler makes the application it calls', async () => {
    // Forwarding middleware: on a forward, the outer application builds a checker around the
    // request's own environ and calls it; the checker serves that one request. One built at
    // start-up and served to every request is shared by them.
    const forward = (made: 'per request' | 'once') => py`
      class Loop(Exception):
          pass

      class Checker:
          def __init__(self, app, env):
              self.app = app
              self.env = env
              self.seen = []

          def __call__(self, environ, start_response):
              path = environ.get("PATH_INFO", "")
              if path in self.seen:
                  raise Loop(path)
              self.seen.append(path)
              return self.app(environ, start_response)

      def inner(environ, start_response):
          start_response("200 OK", [])
          return [b"ok"]

      ${made === 'once' ? 'checker = Checker(inner, {})' : ''}

      class Forwarder:
          def __call__(self, environ, start_response):
              ${made === 'once' ? 'return checker(environ, start_response)' : 'return Checker(inner, environ)(environ, start_response)'}
    `;
    assert.deepEqual(summary(await analyzePython({ 'fwd.py': forward('per request') })), []);
    assert.deepEqual(summary(only(await analyzePython({ 'fwd.py': forward('once') }), 'PY-RACE-002')), ['13 PY-RACE-002 warning']);
  });

  void it('runs a signal handler between any two bytecodes of the code that installed it', async () => {
    const findings = await analyzePython({
      'sig.py': py`
        import signal

        ticks = 0

        def on_alarm(signum, frame):
            global ticks
            ticks += 1

        def main():
            global ticks
            signal.signal(signal.SIGALRM, on_alarm)
            for _ in range(1000):
                ticks += 1
      `,
    });
    // The main loop's update is the one a handler can split; the handler's own runs to its end.
    assert.deepEqual(summary(only(findings, 'PY-RACE-001')), ['12 PY-RACE-001 warning']);
  });

  void it('does not let the interrupted code come between a signal handler\'s steps, only the other way round', async () => {
    // A build tool's suspend handler walks a stack of callbacks the main code pushes and pops.
    const src = (handlerTail: string, mainTail: string) => py`
      import signal

      suspendables = []

      def on_stop(signum, frame):
          for suspend, resume in suspendables:
              suspend()
${handlerTail}

      def run(jobs):
          signal.signal(signal.SIGTSTP, on_stop)
          for job in jobs:
              suspendables.append((job.pause, job.resume))
              job.run()
              suspendables.pop()
${mainTail}
    `;
    assert.deepEqual(summary(await analyzePython({ 'signals.py': src('', '') })), []);
    // Main code walking the stack while the handler empties it is split by the handler.
    const walked = src('          suspendables.clear()', '          for suspend, resume in suspendables:\n              print(suspend)');
    assert.deepEqual(summary(await analyzePython({ 'signals.py': walked })), ['15 PY-RACE-005 warning']);
  });

  void it('does not resume the interrupted code after a signal handler that ends the program', async () => {
    // A rule-installing helper script: the main loop adds and drops rules, the SIGTERM handler
    // removes them all and exits. The loop never goes on after the handler, so its checks and
    // the handler's removals do not interleave; a handler that returns can cut into them.
    const script = (ending: string) => py`
      import signal
      import sys

      rules = {}

      def drop(key):
          if key in rules:
              del rules[key]

      def add(key, rule):
          if key not in rules:
              rules[key] = rule

      def on_term(signum, frame):
          for key in list(rules):
              drop(key)
      ${ending}

      signal.signal(signal.SIGTERM, on_term)
      for line in sys.stdin:
          add(line, line.upper())
    `;
    assert.deepEqual(summary(await analyzePython({ 'rules.py': script('    sys.exit(0)') })), []);
    assert.deepEqual(summary(await analyzePython({ 'rules.py': script('    print("cleared")') })).length > 0, true);
  });

  void it('runs __del__ on whichever thread the collector interrupts: class state it shares with other threads', async () => {
    const findings = await analyzePython({
      'res.py': py`
        import threading

        class Resource:
            live = 0

            def __init__(self):
                Resource.live += 1

            def __del__(self):
                Resource.live -= 1

        def worker():
            for _ in range(100):
                Resource()

        threading.Thread(target=worker).start()
      `,
    });
    assert.deepEqual(summary(only(findings, 'PY-RACE-001')), ['6 PY-RACE-001 warning', '9 PY-RACE-001 warning']);
  });
});

void describe('refutations', () => {
  void it('takes a documented lock contract ("must be called within the connection lock") for the lock its callers hold', async () => {
    // A broker connection: ensure() is public by name, documented as called under the lock; the
    // heartbeat thread and declare() call it holding the lock, reconnect() (under the lock by
    // the contract) without one visible.
    const src = (doc: string) => py`
      import threading

      class Connection:
          def __init__(self):
              self._lock = threading.Lock()
              self._consumers = {}
              threading.Thread(target=self._heartbeat, daemon=True).start()

          def _heartbeat(self):
              with self._lock:
                  self.ensure()

          def declare(self, consumer):
              with self._lock:
                  self._consumers[consumer] = 1
                  self.ensure()

          def reconnect(self):
              self.ensure()

          def ensure(self):
              ${doc}
              for consumer in self._consumers:
                  consumer.declare(self)
    `;
    const race = async (doc: string) => only(await analyzePython({ 'conn.py': src(doc) }), 'PY-RACE-005').length;
    assert.equal(await race('"""Retries the method. Must be called within the connection lock."""'), 0);
    assert.equal(await race('# Warning: caller is assumed to hold self._lock'), 0);
    assert.equal(await race('"""Must be called without the connection lock, to avoid deadlocks."""'), 1);
  });

  void it('keeps code under a branch on a parameter to the calls that can take it (close_conn=True never runs the else)', async () => {
    // A pool's close() returns the connection under its lock; close_all() closes connections
    // outright with close_conn=True, without the lock: it never reaches the bookkeeping branch.
    const src = (closeAll: string) => py`
      import threading

      class Pool:
          def __init__(self):
              self._lock = threading.RLock()
              self._in_use = {}
              self._idle = []

          def close(self, conn):
              with self._lock:
                  self._close(conn)

          def close_all(self):
              for conn in list(self._idle):
      ${closeAll}

          def close_stale(self):
              with self._lock:
                  for key, conn in self._in_use.items():
                      conn.close()

          def _close(self, conn, close_conn=False):
              key = id(conn)
              if close_conn:
                  conn.close()
              elif key in self._in_use:
                  conn = self._in_use.pop(key)
                  self._idle.append(conn)
    `;
    assert.deepEqual(only(await analyzePython({ 'pool.py': src('            self._close(conn, close_conn=True)') }), 'PY-RACE-002'), []);
    assert.equal(only(await analyzePython({ 'pool.py': src('            self._close(conn)') }), 'PY-RACE-002').length, 1);
  });

  void it('reads `is None` / `is not None` branches on a parameter against the literal each call passes', async () => {
    const src = (call: string) => py`
      import threading

      _cache = {}

      def fetch(key, fallback=None):
          if fallback is not None:
              if key not in _cache:
                  _cache[key] = fallback
              return _cache[key]
          return None

      def worker(k):
          return ${call}

      for k in range(4):
          threading.Thread(target=worker, args=(k,)).start()
    `;
    assert.deepEqual(only(await analyzePython({ 'fetch.py': src('fetch(k)') }), 'PY-RACE-002'), []);
    assert.deepEqual(only(await analyzePython({ 'fetch.py': src('fetch(k, None)') }), 'PY-RACE-002'), []);
    assert.equal(only(await analyzePython({ 'fetch.py': src('fetch(k, fallback=[k])') }), 'PY-RACE-002').length, 1);
  });

  void it('leaves the server branch of a context factory to the callers that pass a certificate, and reports the client branch', async () => {
    // Only the daemon's constructor passes a server certificate; a listener thread-safe by design
    // does too in the second run (a non-empty literal is true), and passes "" (false) in the third.
    const src = (listener: string) => py`
      import ssl
      import threading

      _server_context = None
      _client_context = None

      def tls_context(servercert="", clientcert=""):
          global _server_context, _client_context
          if servercert:
              if _server_context:
                  return _server_context
              _server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
              _server_context.load_cert_chain(servercert)
              return _server_context
          if _client_context:
              return _client_context
          _client_context = ssl.create_default_context()
          if clientcert:
              _client_context.load_cert_chain(clientcert)
          return _client_context

      class Daemon:
          def __init__(self, cert):
              self.context = tls_context(servercert=cert)

      class Proxy:
          def __init__(self, cert):
              self.cert = cert
              self._lock = threading.Lock()

          def call(self):
              with self._lock:
                  return tls_context(clientcert=self.cert)

      class Listener:
          def __init__(self):
              self._lock = threading.Lock()

          def accept(self):
              with self._lock:
                  return ${listener}
    `;
    const lazy = async (listener: string) => only(await analyzePython({ 'tls.py': src(listener) }), 'PY-RACE-003').map((f) => f.range.start.line);
    assert.deepEqual(await lazy('None'), [16]);
    assert.deepEqual(await lazy('tls_context(servercert="server.pem")'), [11, 16]);
    assert.deepEqual(await lazy('tls_context(servercert="")'), [16]);
  });

  void it('does not pair the run() of a server Thread class with its subclass\'s: two objects, two threads, each with its own fields', async () => {
    const findings = await analyzePython({
      'rpc.py': py`
        import threading

        class Server(threading.Thread):
            def __init__(self, sock):
                super().__init__(daemon=True)
                self.sock = sock
                self._call_id = 0

            def run(self):
                while True:
                    self.send(self.sock.recv(4096))

            def send(self, data):
                self._call_id += 1
                self.sock.sendall(data)

        class WorkstationServer(Server):
            def handle(self, request):
                return request
      `,
    });
    assert.deepEqual(findings, []);
  });

  void it('does not pair the tasks of a single-worker executor, which run one after another', async () => {
    const output = (workers: number) => ({
      'output.py': py`
        from concurrent.futures import ThreadPoolExecutor


        class OutputManager:
            def __init__(self):
                self.error_count = 0
                self.error_pool = ThreadPoolExecutor(max_workers=${workers})

            def error(self, msg):
                self.error_pool.submit(self._print_error, msg)

            def warning(self, msg):
                self.error_pool.submit(self._print_error, msg, 0)

            def _print_error(self, msg, count=1):
                self.error_count += count
                print(msg)
      `,
    });
    assert.deepEqual(await analyzePython(output(1)), []);
    assert.deepEqual(summary(await analyzePython(output(2))), ['15 PY-RACE-001 warning']);
  });

  void it('takes a lock the creator acquires before start() and run() releases in finally as held until then; a constructor holding it shows no discipline', async () => {
    const findings = await analyzePython({
      'worker.py': py`
        import queue
        import threading


        class Worker(threading.Thread):
            def __init__(self, path):
                super().__init__(daemon=True)
                self.path = path
                self.requests = queue.Queue()
                self._lock = threading.Lock()
                self._lock.acquire()
                self.exception = None
                self.start()

            def _connect(self):
                try:
                    return open(self.path)
                except OSError as error:
                    self.exception = error
                    raise

            def run(self):
                try:
                    handle = self._connect()
                finally:
                    self._lock.release()
                while True:
                    request = self.requests.get()
                    try:
                        handle.write(request)
                    except OSError as error:
                        with self._lock:
                            self.exception = error

            def check(self):
                with self._lock:
                    error, self.exception = self.exception, None
                if error:
                    raise error
      `,
    });
    assert.deepEqual(findings, []);
  });

  void it('leaves the public steps of a run() a subclass starts on its own thread to that thread', async () => {
    const findings = await analyzePython({
      'socket_client.py': py`
        import threading


        class WebSocket:
            def __init__(self, sock):
                self.sock = sock
                self.buffer_size = 0
                self._send_lock = threading.Lock()

            def send(self, data):
                with self._send_lock:
                    self.sock.sendall(data)

            def once(self):
                data = self.sock.recv(self.buffer_size or 2)
                if not data and self.buffer_size > 0:
                    return False
                self.buffer_size = len(data)
                return True

            def run(self):
                while self.once():
                    pass


        class WebSocketClient(WebSocket):
            def connect(self):
                self._thread = threading.Thread(target=self.run, daemon=True)
                self._thread.start()
      `,
    });
    assert.deepEqual(findings, []);
  });

  void it('keeps the lock set of the path that reached a helper: a queue a scheduler fills under its lock, another class bare', async () => {
    // RacerD's per-path lock sets: in the scheduler's callers every run of enqueue() holds
    // the scheduler's condition, whatever other classes do with their own queues.
    const findings = await analyzePython({
      'sched.py': py`
        import threading


        class PriorityQueue:
            def __init__(self):
                self.items = []
                self.count = 0

            def enqueue(self, item):
                self.items.append((item, self.count))
                self.count += 1


        class EventLoopScheduler:
            def __init__(self):
                self._condition = threading.Condition(threading.Lock())
                self._queue = PriorityQueue()

            def schedule(self, action):
                with self._condition:
                    self._queue.enqueue(action)
                    self._condition.notify()


        class Replayer:
            def __init__(self):
                self._queue = PriorityQueue()
                threading.Thread(target=self._replay).start()

            def _replay(self):
                self._queue.enqueue(None)
      `,
    });
    assert.deepEqual(only(findings, 'PY-RACE-001'), []);
  });

  void it('does not let one object\'s lock guard a module global every object uses', async () => {
    // Two proxies connecting at once each hold their own connection lock: both pass the check
    // of the shared client context.
    const findings = await analyzePython({
      'conn.py': py`
        import ssl
        import threading

        _client_context = None


        def client_context():
            global _client_context
            if _client_context is not None:
                return _client_context
            _client_context = ssl.create_default_context()
            _client_context.load_verify_locations(cafile="ca.pem")
            return _client_context


        class Proxy:
            def __init__(self):
                self._conn_lock = threading.RLock()
                self.sock = None

            def connect(self):
                with self._conn_lock:
                    if self.sock is None:
                        self.sock = client_context().wrap_socket(None)
      `,
    });
    assert.deepEqual(summary(findings), ['10 PY-RACE-003 warning']);
  });

  void it('leaves a public method a Thread subclass\'s run() drives, and its constructor calls, to that thread', async () => {
    // A heartbeat thread picks its port in __init__, before it starts, and again from run()
    // when binding fails; nobody else calls pick_port beside it.
    const findings = await analyzePython({
      'heartbeat.py': py`
        import os
        import socket
        from threading import Thread


        class Heartbeat(Thread):
            def __init__(self, transport, path):
                Thread.__init__(self, name="Heartbeat")
                self.transport = transport
                self.path = path
                self.port = 0
                self.pick_port()

            def pick_port(self):
                if self.transport == "tcp":
                    s = socket.socket()
                    s.bind(("", 0))
                    self.port = s.getsockname()[1]
                    s.close()
                else:
                    self.port = 1
                    while os.path.exists(f"{self.path}-{self.port}"):
                        self.port = self.port + 1
                return self.port

            def _bind(self):
                for attempt in range(100):
                    try:
                        return self.listen()
                    except OSError:
                        self.pick_port()

            def run(self):
                self._bind()

            def listen(self):
                return socket.create_server(("", self.port))
      `,
    });
    assert.deepEqual(findings, []);
  });

  void it('follows a Thread subclass\'s table of its own methods: the handlers run on the thread', async () => {
    // A debugger stub's server thread: each packet picks its handler from a table built in
    // __init__; a handler counts what it received. `extra` adds a public method.
    const src = (extra: string) => py`
      import threading

      class StubServer(threading.Thread):
          def __init__(self, conn):
              super().__init__(daemon=True)
              self.conn = conn
              self.lock = threading.Lock()
              self.received = 0
              self.commands = {b"q": (self.query, 1), b"m": (self.note, 1)}

          def run(self):
              while True:
                  packet = self.conn.recv()
                  handler, start = self.commands[packet[:1]]
                  self.conn.send(handler(packet[start:]))

          def query(self, data):
              with self.lock:
                  return b"OK"

          def note(self, data):
              self.received += len(data)
              return b"OK"
${extra}

      def serve(conn):
          server = StubServer(conn)
          server.start()
          return server
    `;
    const found = async (extra: string) => summary(await analyzePython({ 'stub.py': src(extra) }));
    // Alone, the handler runs on the server thread only: nothing races with it.
    assert.deepEqual(await found(''), []);
    // A public method beside it races with the thread's handler.
    assert.deepEqual(await found('\n          def reset(self):\n              self.received = 0\n'), ['21 PY-RACE-001 warning']);
  });

  void it('keeps an object a constructor just made its own while the constructor fills it', async () => {
    // A thread-safe bunch over a caseless table: the constructor fills the table it made; later
    // changes hold the bunch's lock; copy() builds a new bunch. `extra` adds a bare change.
    const src = (extra: string) => py`
      import threading


      class CaselessTable:
          def __init__(self):
              self.rows = {}

          def update(self, data):
              for key in data:
                  self.rows[key.lower()] = (key, data[key])

          def keys(self):
              return [entry[0] for entry in self.rows.values()]


      class SafeBunch:
          def __init__(self, data, caseless=False):
              self.lock = threading.RLock()
              if caseless:
                  self.tbl = CaselessTable()
              else:
                  self.tbl = {}
              self.tbl.update(data)

          def keys(self):
              with self.lock:
                  return self.tbl.keys()

          def set(self, key, value):
              with self.lock:
                  self.tbl.rows[key.lower()] = (key, value)

          def copy(self):
              with self.lock:
                  return SafeBunch(self.tbl)
${extra}
    `;
    const iterated = async (extra: string) => only(await analyzePython({ 'bunch.py': src(extra) }), 'PY-RACE-005').map((f) => f.range.start.line);
    assert.deepEqual(await iterated(''), []);
    assert.deepEqual(await iterated('\n          def merge(self, data):\n              self.tbl.update(data)\n'), [12, 26]);
  });

  void it('leaves the steps of a load only the constructor runs to the constructor, however deep', async () => {
    // A wallet history: __init__ loads it through a public step that calls another, which walks
    // the entries; later updates hold the lock. `extra` adds another caller of the load.
    const src = (extra: string) => py`
      import threading

      class History:
          def __init__(self, db):
              self.lock = threading.Lock()
              self.db = db
              self.entries = dict(db)
              self.load_and_clean()

          def load_and_clean(self):
              self.drop_stale()

          def drop_stale(self):
              for key in self.entries:
                  self.db.touch(key)

          def add(self, key, value):
              with self.lock:
                  self.entries[key] = value
${extra}
    `;
    const warnings = async (extra: string) => summary((await analyzePython({ 'history.py': src(extra) })).filter((f) => f.severity !== 'information'));
    assert.deepEqual(await warnings(''), []);
    assert.deepEqual(await warnings('\n          def reload(self):\n              self.load_and_clean()\n'), ['13 PY-RACE-005 warning']);
  });

  void it('does not flag elements each thread owns, nor reading results after joining every thread', async () => {
    const findings = await analyzePython({
      'clients.py': py`
        import threading

        def run_clients(n):
            errors = []
            best = {}

            def client(index):
                for _ in range(10):
                    value = fetch()
                    if value is None:
                        errors.append(index)
                    else:
                        best[index] = max(best[index], value)

            threads = []
            for i in range(n):
                best[i] = 0
                t = threading.Thread(target=client, args=(i,))
                threads.append(t)
                t.start()
            for t in threads:
                t.join()
            for e in errors:
                print(e)
            return max(best.values())

        def fetch():
            return 1
      `,
    });
    assert.deepEqual(findings, []);
  });

  void it('does not flag state handed over through a queue', async () => {
    const findings = await analyzePython({
      'handoff.py': py`
        import queue
        import threading

        results = []
        done = queue.Queue()

        def producer():
            global results
            results = results + [1]
            done.put(True)

        def consumer():
            global results
            done.get()
            results = results + [2]

        threading.Thread(target=producer).start()
        threading.Thread(target=consumer).start()
      `,
    });
    assert.deepEqual(findings, []);
  });

  void it('does not flag state only the owner of a lock touches (the RLock pattern)', async () => {
    const findings = await analyzePython({
      'rlock.py': py`
        import threading
        from threading import get_ident

        class ReentrantLock:
            def __init__(self):
                self._block = threading.Lock()
                self._owner = None
                self._count = 0

            def acquire(self):
                me = get_ident()
                if self._owner == me:
                    self._count += 1
                    return True
                with self._block:
                    self._owner = me
                    self._count = 1
                return True
      `,
    });
    assert.deepEqual(findings, []);
  });

  const ownerRelease = (guardBody: string) => py`
    import threading
    from threading import get_ident

    class CountedLock:
        def __init__(self):
            self._block = threading.Lock()
            self._holder = None
            self._depth = 0

        def enter(self):
            if self._holder == get_ident():
                self._depth += 1
                return
            self._block.acquire()
            self._holder = get_ident()
            self._depth = 1

        def leave(self):
            if self._holder != get_ident():
    ${guardBody}
            self._depth = depth = self._depth - 1
            if depth == 0:
                self._holder = None
                self._block.release()
  `;

  void it('does not flag state written after a guard that turns away every thread but the owner', async () => {
    assert.deepEqual(await analyzePython({ 'counted.py': ownerRelease('                raise RuntimeError("not the holder")') }), []);
    assert.deepEqual(await analyzePython({ 'counted.py': ownerRelease('                return False') }), []);
  });

  void it('still flags the update when the identity test lets other threads through', async () => {
    const findings = await analyzePython({ 'counted.py': ownerRelease('                print("not the holder")') });
    assert.deepEqual(summary(findings), ['20 PY-RACE-001 information']);
  });

  void it('does not flag a lock released in except BaseException before re-raising, or held out of a retry loop into finally', async () => {
    const findings = await analyzePython({
      'release.py': py`
        import threading

        class Pool:
            def __init__(self):
                self.lock = threading.Lock()
                self.ready = threading.Event()

            def take(self, open_conn):
                self.lock.acquire()
                try:
                    conn = open_conn()
                except BaseException:
                    self.lock.release()
                    raise
                return conn

            def send(self, data, write):
                while True:
                    self.ready.wait(0.1)
                    self.lock.acquire()
                    if self.ready.is_set():
                        break
                    self.lock.release()
                try:
                    write(data)
                finally:
                    self.lock.release()
      `,
    });
    assert.deepEqual(only(findings, 'PY-DL-003'), []);
  });

  void it('does not see a lock order in two with blocks one after the other', async () => {
    const findings = await analyzePython({
      'seq.py': py`
        import threading

        class Scheduler:
            def __init__(self):
                self._a = threading.Lock()
                self._b = threading.Lock()

            def start(self):
                with self._a:
                    pass
                with self._b:
                    pass

            def stop(self):
                with self._b:
                    pass
                with self._a:
                    pass
      `,
    });
    assert.deepEqual(only(findings, 'PY-DL-001'), []);
  });

  void it('flags waiting for executors given self while holding a lock a public method takes, once per lock', async () => {
    const src = (held: string) => py`
      import threading

      class Scheduler:
          def __init__(self):
              self._jobs_lock = threading.RLock()
              self._executors_lock = threading.RLock()
              self._executors = {}
              self._jobs = []

          def start(self):
              with self._executors_lock:
                  for name, executor in self._executors.items():
                      executor.start(self, name)

          def add_job(self, job):
              with self._jobs_lock:
                  self._jobs.append(job)

          def shutdown(self):
              with ${held}:
                  for executor in self._executors.values():
                      executor.shutdown(True)
    `;
    const both = only(await analyzePython({ 's.py': src('self._jobs_lock, self._executors_lock') }), 'PY-DL-004');
    assert.deepEqual(both.map((f) => f.message.slice(0, f.message.indexOf('`', 1) + 1)), ['`Scheduler._jobs_lock`', '`Scheduler._executors_lock`']);
    assert.match(both[0]!.message, /whose threads can call back into `Scheduler.add_job`, which takes it at line 16; release the lock before waiting\.$/);
    assert.deepEqual(only(await analyzePython({ 's.py': src('self._executors_lock') }), 'PY-DL-004').length, 1);
  });
});

void describe('objects that belong to a thread', () => {
  const src = (cleanup: string) => py`
    import threading
    from pkg.registry import Registry

    class Loop:
        def initialize(self, real):
            self.real = real
            for other in list(Registry._loops):
                if other.closed:
${cleanup}
            Registry._loops[real] = self
            self._thread = threading.get_ident()

        def call_soon(self, f):
            if threading.get_ident() == self._thread:
                f()
  `;

  void it('flags deleting a key seen in a copy of a registry shared by the threads that own one each', async () => {
    const findings = await analyzePython({ 'pkg/loop.py': src('                    del Registry._loops[other]') });
    assert.deepEqual(summary(findings), ['8 PY-RACE-002 warning']);
    assert.match(findings[0]!.message, /^`Registry._loops` is checked at line 7 and changed in `Loop.initialize`/);
    assert.ok(findings[0]!.related.some((r) => r.message.startsWith('concurrency root: `Loop` records the thread each object belongs to')));
  });

  void it('accepts the delete that tolerates losing the race', async () => {
    const findings = await analyzePython({ 'pkg/loop.py': src(`                    try:
                        del Registry._loops[other]
                    except KeyError:
                        pass`) });
    assert.deepEqual(findings, []);
  });

  void it('accepts a removal that copes with the key being gone: pop with a default, discard', async () => {
    for (const removal of ['Registry._loops.pop(other, None)', 'Registry._loops.discard(other)']) {
      assert.deepEqual(await analyzePython({ 'pkg/loop.py': src(`                    ${removal}`) }), [], removal);
    }
    assert.equal((await analyzePython({ 'pkg/loop.py': src('                    Registry._loops.pop(other)') })).length, 1, 'pop without a default raises');
  });
});

void describe('more refutations', () => {
  void it('does not flag a start() that raises when already started, then starts across an await', async () => {
    const findings = await analyzePython({
      'conn.py': py`
        import asyncio

        class AsyncConnection:
            def __init__(self, engine):
                self.engine = engine
                self.lock = asyncio.Lock()
                self.sync_connection = None

            async def start(self):
                if self.sync_connection:
                    raise RuntimeError("already started")
                self.sync_connection = await self.engine.connect()
      `,
    });
    assert.deepEqual(findings, []);
  });

  void it('does not pair two exit handlers, which run one after another', async () => {
    const findings = await analyzePython({
      'exits.py': py`
        import atexit

        handlers = []

        def first():
            for h in handlers:
                h()

        def second():
            handlers.append(print)

        atexit.register(first)
        atexit.register(second)
      `,
    });
    assert.deepEqual(findings, []);
  });

  const repeated = (register: string) => py`
    import atexit
    import threading

    def count_exits(times):
        tally = {"n": 0}

        def bump():
            tally["n"] += 1

        for _ in range(times):
            ${register}
        return tally
  `;

  void it('does not pair one exit handler registered many times with itself', async () => {
    assert.deepEqual(await analyzePython({ 'exits.py': repeated('atexit.register(bump)') }), []);
  });

  void it('still pairs the same function started many times as a thread', async () => {
    const findings = await analyzePython({ 'exits.py': repeated('threading.Thread(target=bump).start()') });
    assert.deepEqual(findings.map((f) => f.ruleId), ['PY-RACE-006']);
  });

  const freshJob = (beforeCallback: boolean) => {
    const touch = '              if job.trace is None:\n                  job.trace = []\n';
    const callback = '              def finish():\n                  job.trace = None\n';
    return py`
      import threading

      class Job:
          def __init__(self, name):
              self.trace = None

      class Runner:
          def __init__(self):
              self._lock = threading.Lock()
              self._pending = {}

          def launch(self, name):
              job = Job(name)
      ${beforeCallback ? touch + '\n' + callback : callback + '\n' + touch}
              with self._lock:
                  self._pending[name] = (job, finish)
              return job
    `;
  };

  void it('does not see a race on an object the method made, before the closure that captures it exists', async () => {
    assert.deepEqual(await analyzePython({ 'runner.py': freshJob(true) }), []);
  });

  void it('still sees the check-then-act once a stored closure captures the object', async () => {
    const findings = await analyzePython({ 'runner.py': freshJob(false) });
    assert.deepEqual(findings.map((f) => f.ruleId), ['PY-RACE-003']);
  });

  void it('does not pair a bare stop flag with plain stores under the lock, only with a multi-step update', async () => {
    const src = (update: string) => py`
      import threading

      class Executor:
          def __init__(self):
              self._lock = threading.Lock()
              self._stopped = False
              self._thread = threading.Thread(target=self._run)
              self._thread.start()

          def open(self):
              with self._lock:
                  ${update}

          def close(self):
              self._stopped = True

          def _run(self):
              pass
    `;
    assert.deepEqual(only(await analyzePython({ 'ex.py': src('self._stopped = False') }), 'PY-RACE-004'), []);
    assert.deepEqual(only(await analyzePython({ 'ex.py': src('self._stopped = not self._stopped') }), 'PY-RACE-004').length, 1);
  });

  void it('does not flag a lazy value every start of the threads creates first, directly or through a start wrapper', async () => {
    // A client whose polling transport sends its first request (creating the HTTP session) and
    // only then starts its reader and writer threads through a `start_background_task` helper.
    const src = (reconnect: string) => py`
      import threading
      import requests

      class Client:
          def __init__(self, session=None):
              self.http = session

          def start_background_task(self, target):
              thread = threading.Thread(target=target)
              thread.start()
              return thread

          def connect(self, url):
              self._send('GET', url)
              self.start_background_task(self._write_loop)
              self.start_background_task(self._read_loop)

          def reconnect(self):
              ${reconnect}

          def _send(self, method, url):
              if self.http is None:
                  self.http = requests.Session()
              return self.http.request(method, url)

          def _write_loop(self):
              self._send('POST', '/out')

          def _read_loop(self):
              self._send('GET', '/in')
    `;
    assert.deepEqual(await analyzePython({ 'client.py': src('pass') }), []);
    // A start that no creation precedes, or a reset to None, lets two threads find it missing.
    assert.deepEqual(only(await analyzePython({ 'client.py': src('self.start_background_task(self._read_loop)') }), 'PY-RACE-003').length, 1);
    assert.deepEqual(only(await analyzePython({ 'client.py': src('self.http = None') }), 'PY-RACE-003').length, 1);
  });

  void it('does not flag a module singleton the constructor creates before its thread and its callers use it', async () => {
    // A replication node: its constructor configures the global resolver, then starts the tick
    // thread; the tick and the public methods resolve through the same singleton.
    const src = (init: string) => py`
      import threading

      _resolver = None

      def global_resolver():
          global _resolver
          if _resolver is None:
              _resolver = Resolver()
          return _resolver

      class Resolver:
          def resolve(self, host):
              return host

      class Node:
          def __init__(self, peers):
              self._lock = threading.Lock()
              self._peers = peers
              ${init}
              self._thread = threading.Thread(target=self._tick)
              self._thread.start()

          def _tick(self):
              for peer in self._peers:
                  global_resolver().resolve(peer)

          def add_peer(self, peer):
              with self._lock:
                  self._peers.append(global_resolver().resolve(peer))
    `;
    assert.deepEqual(only(await analyzePython({ 'node.py': src('global_resolver()') }), 'PY-RACE-003'), []);
    assert.equal(only(await analyzePython({ 'node.py': src('pass') }), 'PY-RACE-003').length, 1);
  });

  void it('does not take a change made by the test itself for an act after the test', async () => {
    // A coordination driver's "add the group unless a peer did first" through its cache
    // client, from pool tasks: the client's add() is both the test and the change.
    const findings = await analyzePython({
      'driver.py': py`
        import threading
        from concurrent.futures import ThreadPoolExecutor
        from cache import Client

        class Driver:
            def __init__(self):
                self._lock = threading.Lock()
                self._pool = ThreadPoolExecutor(4)
                self.client = None

            def start(self):
                with self._lock:
                    self.client = Client()

            def create_group(self, group):
                return self._pool.submit(self._add_group, group)

            def _add_group(self, group):
                if not self.client.add('groups', [group]):
                    raise RuntimeError('a peer added it first')
      `,
    });
    assert.deepEqual(findings.filter((f) => f.severity !== 'information'), []);
  });

  void it('takes the release half of an acquire() wrapper as entered holding the lock', async () => {
    // A transaction state whose acquire() takes the lock and counts, and whose release()
    // uncounts and then releases it: the decrement runs under the lock its caller holds.
    const src = (release: string) => py`
      import threading

      class State:
          def __init__(self):
              self.lock = threading.Lock()
              self.flag = 0

          def acquire(self):
              self.lock.acquire()
              self.flag += 1

          def release(self):
${release}

          def __enter__(self):
              self.acquire()
              return self

          def __exit__(self, *exc):
              self.release()
    `;
    const wrapper = await analyzePython({ 'state.py': src('            self.flag -= 1\n            self.lock.release()') });
    assert.deepEqual(wrapper.filter((f) => f.ruleId.startsWith('PY-RACE')), []);
    // Released first, the decrement runs bare while another thread may hold the lock.
    const after = await analyzePython({ 'state.py': src('            self.lock.release()\n            self.flag -= 1') });
    assert.equal(after.filter((f) => f.ruleId.startsWith('PY-RACE')).length, 1);
  });

  void it('takes a public method its class\'s own thread drives as that thread\'s, not a second caller beside it', async () => {
    // A websocket whose reader thread calls the public once() in a loop: a user calls once()
    // instead of starting the thread. A method only users call still races with the thread.
    const src = (user: string) => py`
      import threading

      class WebSocket:
          def __init__(self):
              self._lock = threading.Lock()
              self.frames = 0

          def start(self):
              threading.Thread(target=self.run).start()

          def run(self):
              while self.once():
                  pass

          def once(self):
              self.frames += 1
              return True

          def send(self, data):
              with self._lock:
                  ${user}
    `;
    assert.deepEqual((await analyzePython({ 'ws.py': src('pass') })).filter((f) => f.ruleId.startsWith('PY-RACE') && f.severity !== 'information'), []);
    assert.equal((await analyzePython({ 'ws.py': src('self.frames += 1') })).filter((f) => f.ruleId === 'PY-RACE-001' && f.severity !== 'information').length, 1);
  });

  void it('takes the loop a sibling class\'s thread runs as that thread\'s for every subclass of the base', async () => {
    // The reader loop lives in the base class; one client subclass runs it on its own thread,
    // another subclass (an echo handler) only overrides a callback. Its users call once() instead
    // of a thread, not beside it; a method only users call still races with the loop.
    const src = (user: string) => py`
      import threading

      class WebSocket:
          def __init__(self):
              self._lock = threading.Lock()
              self.frames = 0

          def run(self):
              while self.once():
                  pass

          def once(self):
              self.frames += 1
              return True

          def send(self, data):
              with self._lock:
                  ${user}

      class EchoWebSocket(WebSocket):
          def received(self, message):
              self.send(message)

      class ThreadedClient(WebSocket):
          def __init__(self):
              super().__init__()
              self._reader = threading.Thread(target=self.run)

          def connect(self):
              self._reader.start()
    `;
    const races = async (user: string) => (await analyzePython({ 'ws.py': src(user) })).filter((f) => f.ruleId.startsWith('PY-RACE') && f.severity !== 'information');
    assert.deepEqual(await races('pass'), []);
    assert.ok(summary(await races('self.frames += 1')).some((line) => line.endsWith('PY-RACE-001 warning')));
  });

  void it('accepts an unlocked fast-path test when the act follows a decision made again under the lock', async () => {
    // A worker finder's clean(): leave early when there are no workers, else scan them under
    // the condition and remove the dead ones found by that scan.
    const src = (scan: string) => py`
      import threading

      class Finder:
          def __init__(self):
              self._cond = threading.Condition()
              self._workers = {}

          def add(self, topic, worker):
              with self._cond:
                  self._workers[topic] = worker

          def clean(self, topic):
              if not self._workers:
                  return 0
              with self._cond:
${scan}
                  self._workers.pop(topic)
              return 1
    `;
    const rescanned = await analyzePython({ 'finder.py': src('                  for name, worker in list(self._workers.items()):\n                      pass') });
    assert.deepEqual(only(rescanned, 'PY-RACE-002'), []);
    // Only reading the state under the lock decides nothing: the pop still rests on the unlocked test.
    const logged = await analyzePython({ 'finder.py': src('                  print(len(self._workers))') });
    assert.equal(only(logged, 'PY-RACE-002').length, 1);
  });

  void it('accepts a fast-path test made again under a bare acquire, also through a companion the section sets', async () => {
    // A per-process pool: created once per pid, under a module lock taken only on the slow path.
    const src = (recheck: string) => py`
      import os
      import threading

      _pool = None
      _pool_pid = None
      _pool_lock = threading.Lock()

      class Pool:
          def __init__(self, size):
              self.size = size

      def get_pool(size=2):
          global _pool, _pool_pid
          pid = os.getpid()
          if _pool is None or pid != _pool_pid:
              _pool_lock.acquire()
              try:
                  if ${recheck}:
                      _pool = Pool(size)
                      _pool_pid = pid
              finally:
                  _pool_lock.release()
          return _pool
    `;
    assert.deepEqual(only(await analyzePython({ 'pool.py': src('_pool_pid != pid') }), 'PY-RACE-003'), []);
    assert.equal(only(await analyzePython({ 'pool.py': src('size > 0') }), 'PY-RACE-003').length, 1);
  });

  void it('does not take the module code that builds an object for a caller of that object', async () => {
    // A service pool: the module builds the one pool under its lock, and the constructor adds
    // the first services; later lookups add more under the pool's own lock. A public method
    // that adds bare is a caller of the pool, and races with the lookups.
    const src = (more: string) => py`
      import threading

      _pool = None
      _pool_lock = threading.Lock()

      class Pool:
          def __init__(self, services):
              self._lock = threading.Lock()
              self._by_name = {}
              for service in services:
                  self.add(service)

          def add(self, service):
              if service.name in self._by_name:
                  raise KeyError(service.name)
              self._by_name[service.name] = service

          def get(self, name, make):
              with self._lock:
                  service = self._by_name.get(name)
                  if service is None:
                      service = make(name)
                      self._by_name[name] = service
                  return service
      ${more}

      def get_pool(services):
          global _pool
          with _pool_lock:
              if _pool is None:
                  _pool = Pool(services)
          return _pool
    `;
    assert.deepEqual(only(await analyzePython({ 'pool.py': src('') }), 'PY-RACE-002'), []);
    const register = '\n          def register(self, service):\n              self.add(service)';
    assert.equal(only(await analyzePython({ 'pool.py': src(register) }), 'PY-RACE-002').length, 1);
  });

  void it('does not take the lock the maker holds for the discipline of the object it builds', async () => {
    // The constructor loads and indexes the services while the module holds its lock; the pool's
    // own methods use the pool's lock. No use of the pool holds the module's lock.
    const files = {
      'pool.py': py`
        import threading

        _pool = None
        _pool_lock = threading.Lock()

        class Pool:
            def __init__(self, services):
                self._lock = threading.Lock()
                self._load(services)
                self._index(services)

            def _load(self, services):
                self._by_name = {s.name: s for s in services}

            def _index(self, services):
                self._by_name = dict(self._by_name)

            def get(self, name, make):
                with self._lock:
                    if name not in self._by_name:
                        self._by_name = {**self._by_name, name: make(name)}
                    return self._by_name[name]

            def names(self):
                return [name for name in self._by_name]

        def get_pool(services):
            global _pool
            with _pool_lock:
                if _pool is None:
                    _pool = Pool(services)
            return _pool
      `,
    };
    assert.deepEqual(only(await analyzePython(files), 'PY-RACE-004').filter((f) => f.severity !== 'information'), []);
  });

  void it('takes a lock class of the library for a lock, also through a context manager it hands out', async () => {
    // A broker connection's own lock class (acquire, release, and __enter__ from a base in
    // another module), entered directly by reset() and through for_heartbeat() by the
    // heartbeat thread. A reader's side of a lock is not the lock.
    const files = (helper: string) => ({
      'utils.py': py`
        class BaseLock:
            def acquire(self):
                pass

            def release(self):
                pass

            def __enter__(self):
                self.acquire()

            def __exit__(self, *exc):
                self.release()
      `,
      'conn.py': py`
        import threading
        from utils import BaseLock

        class ConnectionLock(BaseLock):
            def __init__(self):
                self._cond = threading.Condition()
                self._owner = None

            def acquire(self):
                with self._cond:
                    while self._owner is not None:
                        self._cond.wait()
                    self._owner = threading.get_ident()

            def release(self):
                with self._cond:
                    self._owner = None
                    self._cond.notify()

            def ${helper}(self):
                return self

        class Connection:
            def __init__(self):
                self._connection_lock = ConnectionLock()
                self.resets = 0
                threading.Thread(target=self._heartbeat).start()

            def _heartbeat(self):
                with self._connection_lock.${helper}():
                    self.resets += 1

            def reset(self):
                with self._connection_lock:
                    self.resets += 1
      `,
    });
    const races = async (helper: string) => (await analyzePython(files(helper))).filter((f) => f.ruleId.startsWith('PY-RACE') && f.range.start.line > 20);
    assert.deepEqual(await races('for_heartbeat'), []);
    assert.equal((await races('read_lock')).length, 1);
  });

  void it('does not take a guard object named like a lock for a lock when its class, built through its module, is none', async () => {
    // An async library's "another task is already fetching" detector: entered like a lock,
    // with no acquire or release; its owner is no thread-safe class.
    const files = (guard: string) => ({
      'pkg/__init__.py': '',
      'pkg/util.py': py`
        class ConflictDetector:
            def __init__(self, msg):
                self._msg = msg
                self._held = False

            def __enter__(self):
                if self._held:
                    raise RuntimeError(self._msg)
                self._held = True

            def __exit__(self, *exc):
                self._held = False
      `,
      'pkg/streams/__init__.py': '',
      'pkg/streams/memory.py': py`
        import threading
        from .. import util

        class ByteQueue:
            def __init__(self):
                self._data = bytearray()
                self._fetch_lock = ${guard}

            def put(self, data):
                self._data += data

            def get(self):
                with self._fetch_lock:
                    chunk = self._data[:]
                    del self._data[:]
                    return chunk
      `,
    });
    assert.deepEqual(await analyzePython(files('util.ConflictDetector("busy")')), []);
    assert.deepEqual(summary(await analyzePython(files('threading.Lock()'))), ['9 PY-RACE-001 information']);
  });

  void it('takes a greenlet\'s identity like a thread\'s in an owner guard', async () => {
    const findings = await analyzePython({
      'rlock.py': py`
        import threading
        from greenlet import getcurrent

        class RLock:
            def __init__(self):
                self._block = threading.Semaphore(1)
                self._owner = None
                self._count = 0

            def acquire(self):
                me = getcurrent()
                if self._owner is me:
                    self._count += 1
                    return True
                self._block.acquire()
                self._owner = me
                self._count = 1
                return True

            def release(self):
                if self._owner is not getcurrent():
                    raise RuntimeError('cannot release un-acquired lock')
                self._count = count = self._count - 1
                if not count:
                    self._owner = None
                    self._block.release()
      `,
    });
    assert.deepEqual(findings.filter((f) => f.severity !== 'information'), []);
  });
});
