// Two async mutexes taken in opposite orders. `transfer` holds the ledger lock and then wants
// the audit lock; `review` holds the audit lock and then wants the ledger lock. Started together,
// each waits for the other forever: an async deadlock. Nothing blocks the thread, the two flows
// simply never resume, so the program notices with a timeout instead of hanging.
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
    await auditLock.runExclusive(async () => { // expect: JS-LOCK-001
      auditLog.push(`${from} -> ${to}: ${amount}`);
    });
  });
}

export async function review() {
  await auditLock.runExclusive(async () => {
    await sleep(10);
    await ledgerLock.runExclusive(async () => {
      auditLog.push(`reviewed: ${JSON.stringify(ledger)}`);
    });
  });
}

const TIMEOUT_MS = 300;
const outcome = await Promise.race([
  Promise.all([transfer('alice', 'bob', 30), review()]).then(() => 'finished'),
  sleep(TIMEOUT_MS).then(() => 'stuck'),
]);
if (outcome === 'stuck') {
  console.log(`deadlock: after ${TIMEOUT_MS} ms neither flow has finished`);
  console.log(`ledger lock held: ${ledgerLock.isLocked()}, audit lock held: ${auditLock.isLocked()}`);
} else {
  console.log('both flows finished (the timing did not expose the deadlock this time)');
}
