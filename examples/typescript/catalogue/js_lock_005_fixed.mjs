// The fix: the mutex already excludes the writers, so holding it is the wait. Pending writers
// are waited for before taking the lock, if at all.
import { Mutex } from '../async-mutex/mutex.mjs';
import { sleep } from '../sleep.mjs';

const storeLock = new Mutex();

export async function compact() {
  await storeLock.waitForUnlock();
  await storeLock.runExclusive(async () => {
    await sleep(5);
  });
}

const outcome = await Promise.race([compact().then(() => 'compacted'), sleep(200).then(() => 'stuck')]);
console.log(`${outcome}: the writers were done before compact took the lock`);
