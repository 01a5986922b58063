import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzePython, only, py } from './helpers';

/** Two threads started on `entry(k)`, after the given module body. */
const started = (body: string, entry: string) =>
  `${body}\n\nimport threading\nfor k in range(4):\n    threading.Thread(target=${entry}, args=(k,)).start()\n`;

const severities = (findings: Awaited<ReturnType<typeof analyzePython>>, rule: string) => only(findings, rule).map((f) => [f.range.start.line, f.severity]);

void describe('idempotent check-then-act: a note, not a warning (rules.md principle 7)', () => {
  void it('a memo filled with a value computed from the key alone is a note; one made by an unknown call stays a warning', async () => {
    const body = (make: string) => py`
      _names = {}

      def label_for(code):
          key = "c%d" % code
          if key not in _names:
              _names[key] = ${make}
          return _names[key]
    `;
    const pure = await analyzePython({ 'labels.py': started(body('key.upper() + str(len(key))'), 'label_for') });
    assert.deepEqual(severities(pure, 'PY-RACE-002'), [[5, 'information']]);
    const unknown = await analyzePython({ 'labels.py': started(body('render(key)'), 'label_for') });
    assert.deepEqual(severities(unknown, 'PY-RACE-002'), [[5, 'warning']]);
  });

  void it('a class defined in the function and memoised under an early return is a note; a handed-in value is not memoisation', async () => {
    const memo = py`
      _wrapped = {}

      def wrapper_of(base):
          if base in _wrapped:
              return _wrapped[base]

          class Wrapped(base):
              remote = True

          Wrapped.__name__ = "Remote" + base.__name__
          _wrapped[base] = Wrapped
          return Wrapped
    `;
    assert.deepEqual(severities(await analyzePython({ 'wrap.py': started(memo, 'wrapper_of') }), 'PY-RACE-002'), [[10, 'information']]);
    const handedIn = py`
      _handlers = {}

      def register(name, handler=None):
          if name not in _handlers:
              _handlers[name] = handler
    `;
    assert.deepEqual(severities(await analyzePython({ 'reg.py': started(handedIn, 'register') }), 'PY-RACE-002'), [[4, 'warning']]);
  });

  void it('an entry filled and then appended to is a lost update, not memoisation', async () => {
    const findings = await analyzePython({
      'groups.py': started(py`
        _groups = {}

        def join(member):
            if member not in _groups:
                _groups[member] = []
            _groups[member].append(member)
      `, 'join'),
    });
    assert.ok(only(findings, 'PY-RACE-002').some((f) => f.severity === 'warning'), JSON.stringify(findings));
  });

  void it('refreshing a timestamp with the reading the check compared is a note; storing another value stays a warning', async () => {
    const body = (store: string) => py`
      import time

      class Pinger:
          def __init__(self):
              self._last = 0.0

          def tick(self, _):
              now = time.monotonic()
              if now - self._last > 30:
                  self.send_ping()
                  self._last = ${store}

          def send_ping(self):
              pass

      pinger = Pinger()
    `;
    const refresh = await analyzePython({ 'ping.py': started(body('now'), 'pinger.tick') });
    assert.deepEqual(severities(refresh, 'PY-RACE-002'), [[10, 'information']]);
    const bumped = await analyzePython({ 'ping.py': started(body('self._last + 30'), 'pinger.tick') });
    assert.ok(bumped.some((f) => f.range.start.line === 10 && f.severity === 'warning'), JSON.stringify(bumped));
  });
});

void describe('thread confinement by key', () => {
  void it("an entry keyed by the running thread's identity is filled by that thread alone", async () => {
    const body = (key: string) => py`
      import threading

      class Registry:
          def __init__(self):
              self._lock = threading.Lock()
              self._per_thread = {}

          def state(self, _, ident=None):
              if ident is None:
                  ident = threading.get_ident()
              entry = self._per_thread.get(${key})
              if entry is None:
                  entry = []
                  self._per_thread[${key}] = entry
              return entry

          def snapshot(self):
              with self._lock:
                  return dict(self._per_thread)

      registry = Registry()
    `;
    const own = await analyzePython({ 'reg.py': started(body('ident'), 'registry.state') });
    assert.deepEqual(only(own, 'PY-RACE-002'), []);
    const shared = await analyzePython({ 'reg.py': started(body('"all"'), 'registry.state') });
    assert.deepEqual(severities(shared, 'PY-RACE-002'), [[13, 'warning']]);
  });

  void it("a counter per thread keyed by get_ident() is no race; a counter keyed by the argument of many threads is", async () => {
    const body = (key: string) => py`
      import threading
      _counts = {}

      def work(n):
          _counts[${key}] += 1
    `;
    assert.deepEqual(only(await analyzePython({ 'c.py': started(body('threading.get_ident()'), 'work') }), 'PY-RACE-006'), []);
    assert.equal(only(await analyzePython({ 'c.py': started(body('n % 2'), 'work') }), 'PY-RACE-006').length, 1);
  });
});

void describe('following assignments to decide what a store holds', () => {
  void it('ends on names assigned from each other (a global and a local swapping values)', async () => {
    const findings = await analyzePython({
      'pick.py': started(py`
        _default = None

        def pick(name):
            global _default
            chosen = _default
            if not _default:
                _default = chosen
            return chosen
      `, 'pick'),
    });
    assert.deepEqual(findings.map((f) => [f.ruleId, f.range.start.line]), [['PY-RACE-001', 6]]);
  });

  void it('a set of seen types that adds a pure function of the argument is a note; adding a new object stays a warning', async () => {
    const body = (added: string) => py`
      _known = set()

      def is_known(value):
          if type(value) in _known:
              return True
          if len(_known) < 50:
              _known.add(${added})
          return False
    `;
    const pure = await analyzePython({ 'seen.py': started(body('type(value)'), 'is_known') });
    assert.ok(pure.every((f) => f.severity === 'information'), JSON.stringify(pure.map((f) => [f.ruleId, f.severity])));
    const fresh = await analyzePython({ 'seen.py': started(body('Marker(value)'), 'is_known') });
    assert.ok(fresh.some((f) => f.ruleId === 'PY-RACE-002' && f.severity === 'warning'), JSON.stringify(fresh.map((f) => [f.ruleId, f.severity])));
  });

  void it('an index of the entries of a mapping, stored from their attributes, is a note; from an object made per run it stays a warning', async () => {
    const body = (value: string) => py`
      import sys

      _by_path = {}
      _paths = {}

      def owner_of(path):
          if path in _by_path:
              return _by_path[path]
          for name, mod in sys.modules.copy().items():
              where = mod.__spec__
              if where == _paths.get(name):
                  continue
              _paths[name] = where
              _by_path[where] = _by_path[name] = ${value}
          return _by_path.get(path)
    `;
    const entries = await analyzePython({ 'index.py': started(body('mod.__name__'), 'owner_of') });
    assert.ok(entries.every((f) => f.severity === 'information'), JSON.stringify(entries.map((f) => [f.ruleId, f.severity, f.message])));
    const made = await analyzePython({ 'index.py': started(body('Handle(mod)'), 'owner_of') });
    assert.ok(made.some((f) => f.severity === 'warning'), JSON.stringify(made.map((f) => [f.ruleId, f.severity])));
  });

  void it('a memo filled two ways under one check (a compatibility alias of type, or type itself) is a note; one branch making an object keeps it a warning', async () => {
    const src = (other: string) => py`
      import threading

      try:
          from types import ClassType
      except ImportError:
          ClassType = type

      class GenericError(Exception):
          pass

      _classes = {}

      def load(module, name):
          fullname = f"{module}.{name}"
          fullname = str(fullname)
          if fullname not in _classes:
              namespace = {"__module__": module}
              if isinstance(GenericError, ClassType):
                  _classes[fullname] = ClassType(fullname, (GenericError,), namespace)
              else:
                  _classes[fullname] = ${other}
          return _classes[fullname]

      def serve(requests):
          for request in requests:
              threading.Thread(target=load, args=request).start()
    `;
    assert.deepEqual(severities(await analyzePython({ 'vinegar.py': src('type(fullname, (GenericError,), namespace)') }), 'PY-RACE-002'), [[18, 'information']]);
    assert.deepEqual(severities(await analyzePython({ 'vinegar.py': src('Registry.make(fullname)') }), 'PY-RACE-002'), [[18, 'warning']]);
  });
});
