// Nested Web Locks in inconsistent order: `syncUp` holds 'settings' and requests 'profile',
// `syncDown` holds 'profile' and requests 'settings'. Run together, each holds what the other
// waits for. In a browser `locks` is `navigator.locks`; here it is a same-API stand-in.
import { sleep } from '../sleep.mjs';
import { locks } from './web_locks.mjs';

export async function syncUp() {
  await locks.request('settings', async () => {
    await sleep(10);
    await locks.request('profile', async () => sleep(1)); // expect: JS-LOCK-003
  });
}

export async function syncDown() {
  await locks.request('profile', async () => {
    await sleep(10);
    await locks.request('settings', async () => sleep(1));
  });
}

const outcome = await Promise.race([Promise.all([syncUp(), syncDown()]).then(() => 'finished'), sleep(200).then(() => 'stuck')]);
console.log(`${outcome}: ${outcome === 'stuck' ? 'each sync holds the lock the other one waits for' : 'the timing hid the deadlock'}`);
