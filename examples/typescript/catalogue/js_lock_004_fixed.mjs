// The fix: release in `finally`, so a throwing critical section still frees the lock.
import { Mutex } from '../async-mutex/mutex.mjs';
import { sleep } from '../sleep.mjs';

const accountLock = new Mutex();
const account = { balance: 50 };

export async function withdraw(amount) {
  const release = await accountLock.acquire();
  try {
    if (amount > account.balance) throw new Error(`cannot withdraw ${amount}`);
    account.balance -= amount;
  } finally {
    release();
  }
}

const attempt = (amount) => withdraw(amount).then(() => 'ok', (error) => error.message);
const first = await attempt(80);
const second = await Promise.race([attempt(10), sleep(200).then(() => 'stuck waiting for the lock')]);
console.log(`first: ${first}; second: ${second}; balance ${account.balance}`);
