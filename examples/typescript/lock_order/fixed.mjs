// The fix: one global lock order. Every flow that needs both mutexes takes the ledger lock
// first and the audit lock second, so no flow can hold the second while waiting for the first.
import { Mutex } from '../async-mutex/mutex.mjs';
import { sleep } from '../sleep.mjs';

const ledgerLock = new Mutex();
const auditLock = new Mutex();
const ledger = { alice: 100, bob: 0 };
const auditLog = [];

export async function transfer(from, to, amount) {
  await ledgerLock.runExclusive(async () => {
    await sleep(10);
    ledger[from] -= amount;
    ledger[to] += amount;
    await auditLock.runExclusive(async () => {
      auditLog.push(`${from} -> ${to}: ${amount}`);
    });
  });
}

export async function review() {
  await ledgerLock.runExclusive(async () => {
    await sleep(10);
    await auditLock.runExclusive(async () => {
      auditLog.push(`reviewed: ${JSON.stringify(ledger)}`);
    });
  });
}

const TIMEOUT_MS = 300;
const outcome = await Promise.race([
  Promise.all([transfer('alice', 'bob', 30), review()]).then(() => 'finished'),
  sleep(TIMEOUT_MS).then(() => 'stuck'),
]);
console.log(outcome === 'finished' ? `both flows finished: ${auditLog.join('; ')}` : 'deadlock (unexpected)');
