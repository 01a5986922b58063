// The fix: the helper expects its caller to hold the lock and does not take it itself; the
// public entry points are the only places that lock.
import { Mutex } from '../async-mutex/mutex.mjs';
import { sleep } from '../sleep.mjs';

const catalogueLock = new Mutex();
const catalogue = new Map([['a1', 'old name']]);

/** Caller holds `catalogueLock`. */
function saveLocked(id, name) {
  catalogue.set(id, name);
}

export async function rename(id, name) {
  await catalogueLock.runExclusive(async () => {
    saveLocked(id, name);
  });
}

const outcome = await Promise.race([rename('a1', 'new name').then(() => 'renamed'), sleep(200).then(() => 'stuck')]);
console.log(`${outcome}: the catalogue says "${catalogue.get('a1')}"`);
