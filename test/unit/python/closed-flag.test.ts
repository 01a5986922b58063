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
