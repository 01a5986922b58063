import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzePython, only, py } from './helpers';

/**
 * A pool whose `close()` sets a flag under the lock and then iterates its workers; `submit()`
 * adds workers through a private helper. `submitBody` is the body of `submit`.
 */
const pool = (submitBody: string, closeBody = 'with self._lock:\n            self._closed = True') => py`
  import threading

  class Pool:
      def __init__(self):
          self._lock = threading.Lock()
          self._closed = False
          self._workers = set()

      def submit(self, job):
  ${submitBody}

      def _grow(self, job):
          t = threading.Thread(target=job)
          t.start()
          self._workers.add(t)

      def close(self):
          ${closeBody}
          for t in self._workers:
              t.join()
`;

void describe('closed-flag refutation: iterating after shutting the additions out', () => {
  void it('accepts iteration after the flag is set under the lock every addition tests it under', async () => {
    const findings = await analyzePython({
      'pool.py': pool('        with self._lock:\n            if self._closed:\n                raise RuntimeError("closed")\n            self._grow(job)'),
    });
    assert.deepEqual(only(findings, 'PY-RACE-005'), []);
  });

  void it('still flags it when an addition does not test the flag, directly or at one call of the helper', async () => {
    const untested = await analyzePython({ 'pool.py': pool('        with self._lock:\n            self._grow(job)') });
    assert.equal(only(untested, 'PY-RACE-005').length, 1, JSON.stringify(untested));
    const secondCaller = await analyzePython({
      'pool.py': pool(
        '        with self._lock:\n            if self._closed:\n                raise RuntimeError("closed")\n            self._grow(job)\n\n' +
          '      def warm_up(self, job):\n        with self._lock:\n            self._grow(job)',
      ),
    });
    assert.equal(only(secondCaller, 'PY-RACE-005').length, 1, JSON.stringify(secondCaller));
  });

  void it('still flags it when the flag is set without the lock', async () => {
    const findings = await analyzePython({
      'pool.py': pool('        with self._lock:\n            if self._closed:\n                raise RuntimeError("closed")\n            self._grow(job)', 'self._closed = True'),
    });
    assert.equal(only(findings, 'PY-RACE-005').length, 1, JSON.stringify(findings));
  });
});

/**
 * An executor that starts its manager thread lazily in a private helper, and whose `shutdown()`
 * closes it under the lock and then drops the thread without the lock. `extra` adds methods.
 */
const executor = (extra = '') => py`
  import threading

  class Executor:
      def __init__(self):
          self._lock = threading.Lock()
          self._closed = False
          self._manager = None

      def submit(self, job):
          with self._lock:
              if self._closed:
                  raise RuntimeError("closed")
              self._ensure_manager()

      def _ensure_manager(self):
          if self._manager is None:
              self._manager = Manager(self)
              self._manager.start()

      def shutdown(self):
          with self._lock:
              self._closed = True
          if self._manager is not None:
              self._manager.join()
          self._manager = None
${extra}

  class Manager(threading.Thread):
      def __init__(self, owner):
          super().__init__()
          self.owner = owner
`;

void describe('closed-flag refutation: a lazy start shut out before the reset', () => {
  void it('accepts a lazy start gated by the closed flag at its only call against the reset after closing', async () => {
    assert.deepEqual(only(await analyzePython({ 'executor.py': executor() }), 'PY-RACE-003'), []);
  });

  void it('still flags it when another caller starts it without testing the flag', async () => {
    const findings = await analyzePython({ 'executor.py': executor('\n      def warm_up(self):\n          with self._lock:\n              self._ensure_manager()\n') });
    assert.equal(only(findings, 'PY-RACE-003').length, 1, JSON.stringify(findings.map((f) => f.message)));
  });
});
