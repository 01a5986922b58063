// Re-entrant acquisition of a non-reentrant async mutex: `rename` holds the catalogue lock and
// calls `save`, which takes the same lock again. The inner acquisition waits for a release that
// only happens after it returns: `rename` never finishes.
import { Mutex } from '../async-mutex/mutex.mjs';
import { sleep } from '../sleep.mjs';

const catalogueLock = new Mutex();
const catalogue = new Map([['a1', 'old name']]);

async function save(id, name) {
  await catalogueLock.runExclusive(async () => {
    catalogue.set(id, name);
  });
}

export async function rename(id, name) {
  await catalogueLock.runExclusive(async () => {
    await save(id, name); // expect: JS-LOCK-002
  });
}

const outcome = await Promise.race([rename('a1', 'new name').then(() => 'renamed'), sleep(200).then(() => 'stuck')]);
console.log(`${outcome}: the catalogue still says "${catalogue.get('a1')}"`);
