import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzePython, only, py } from './helpers';

/** A registry whose `notify()` iterates `_listeners` while `add()` changes it with `change`. */
const registry = (init: string, change: string) => py`
  import threading
  from collections import deque

  _listeners = ${init}

  def add(fn):
      ${change}

  def notify(event):
      for fn in _listeners:
          fn(event)

  for k in range(3):
      threading.Thread(target=add, args=(print,)).start()
      threading.Thread(target=notify, args=(k,)).start()
`;

void describe('iterating a list while other threads only append to it', () => {
  void it('is no race for a list and append or extend', async () => {
    for (const change of ['_listeners.append(fn)', '_listeners.extend([fn])']) {
      const findings = await analyzePython({ 'reg.py': registry('[]', change) });
      assert.deepEqual(only(findings, 'PY-RACE-005'), [], change);
    }
  });

  void it('is a race for a removal from the list, and for appending to a deque or adding to a set', async () => {
    for (const [init, change] of [['[]', '_listeners.remove(fn)'], ['deque()', '_listeners.append(fn)'], ['set()', '_listeners.add(fn)']] as const) {
      const findings = await analyzePython({ 'reg.py': registry(init, change) });
      assert.equal(only(findings, 'PY-RACE-005').length, 1, `${init} ${change}: ${JSON.stringify(findings)}`);
    }
  });
});
