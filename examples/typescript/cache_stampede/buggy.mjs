// A cache stampede. `price` checks the cache, awaits the (slow) backend, then fills the cache.
// Five callers that arrive before the first fetch completes all see an empty slot, and the
// backend is asked five times for the same symbol.
import { sleep } from '../sleep.mjs';

let backendCalls = 0;
const cache = {};

async function fetchPrice(symbol) {
  backendCalls += 1;
  await sleep(20);
  return symbol.length * 10;
}

export async function price(symbol) {
  if (!cache[symbol]) {
    cache[symbol] = await fetchPrice(symbol); // expect: JS-ASYNC-002
  }
  return cache[symbol];
}

const prices = await Promise.all(Array.from({ length: 5 }, () => price('ACME')));
console.log(`prices: ${prices.join(', ')}; backend calls: ${backendCalls} (one was enough)`);
