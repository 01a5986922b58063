// The fix: both flows request 'settings' first and 'profile' second.
import { sleep } from '../sleep.mjs';
import { locks } from './web_locks.mjs';

export async function syncUp() {
  await locks.request('settings', async () => {
    await sleep(10);
    await locks.request('profile', async () => sleep(1));
  });
}

export async function syncDown() {
  await locks.request('settings', async () => {
    await sleep(10);
    await locks.request('profile', async () => sleep(1));
  });
}

const outcome = await Promise.race([Promise.all([syncUp(), syncDown()]).then(() => 'finished'), sleep(200).then(() => 'stuck')]);
console.log(`${outcome}: both syncs took the locks in the same order`);
