// Release not in `finally`: `withdraw` acquires the mutex, does work that can throw, then
// releases. The first withdrawal that overdraws throws before `release()`, the lock stays held,
// and every later withdrawal waits forever.
import { Mutex } from '../async-mutex/mutex.mjs';
import { sleep } from '../sleep.mjs';

const accountLock = new Mutex();
const account = { balance: 50 };

export async function withdraw(amount) {
  const release = await accountLock.acquire();
  if (amount > account.balance) throw new Error(`cannot withdraw ${amount}`);
  account.balance -= amount;
  release(); // expect: JS-LOCK-004
}

const attempt = (amount) => withdraw(amount).then(() => 'ok', (error) => error.message);
const first = await attempt(80);
const second = await Promise.race([attempt(10), sleep(200).then(() => 'stuck waiting for the lock')]);
console.log(`first: ${first}; second: ${second}; balance ${account.balance}`);
