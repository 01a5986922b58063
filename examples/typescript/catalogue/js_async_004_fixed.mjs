// The fix: each task returns its value and the sum is taken once every task has finished.
import { sleep } from '../sleep.mjs';

async function sizeOf(id) {
  await sleep(5 + id);
  return 10;
}

async function totalSize(ids) {
  const sizes = await Promise.all(ids.map((id) => sizeOf(id)));
  return sizes.reduce((sum, size) => sum + size, 0);
}

console.log(`total: ${await totalSize([1, 2, 3, 4])}`);
