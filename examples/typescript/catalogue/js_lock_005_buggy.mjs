// Awaiting a lock event that the same flow blocks: inside its critical section, `compact`
// waits for the mutex to be unlocked "so that writers are done". The mutex is held by
// `compact` itself, so it only unlocks after that wait returns: it never does.
import { Mutex } from '../async-mutex/mutex.mjs';
import { sleep } from '../sleep.mjs';

const storeLock = new Mutex();

export async function compact() {
  await storeLock.runExclusive(async () => {
    await storeLock.waitForUnlock(); // expect: JS-LOCK-005
  });
}

const outcome = await Promise.race([compact().then(() => 'compacted'), sleep(200).then(() => 'stuck')]);
console.log(`${outcome}: compact waited for its own lock to be released`);
