// An in-process stand-in for the Web Locks API (`navigator.locks`), which node 20 does not
// have: `locks.request(name, callback)` runs the callback while holding the lock of that name
// and resolves with its result. Same-named requests queue in FIFO order.
import { Mutex } from '../async-mutex/mutex.mjs';

const byName = new Map();

function mutexNamed(name) {
  if (!byName.has(name)) byName.set(name, new Mutex());
  return byName.get(name);
}

export const locks = {
  request(name, callback) {
    return mutexNamed(name).runExclusive(() => callback({ name, mode: 'exclusive' }));
  },
};
