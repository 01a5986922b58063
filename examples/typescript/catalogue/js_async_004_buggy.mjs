// Concurrent fan-out mutating a shared accumulator: every task of `Promise.all(ids.map(…))`
// reads `total` before its await and writes it after, so the tasks overwrite each other.
import { sleep } from '../sleep.mjs';

async function sizeOf(id) {
  await sleep(5 + id);
  return 10;
}

async function totalSize(ids) {
  let total = 0;
  await Promise.all(ids.map(async (id) => { total += await sizeOf(id); })); // expect: JS-ASYNC-004
  return total;
}

console.log(`total: ${await totalSize([1, 2, 3, 4])} (expected 40)`);
