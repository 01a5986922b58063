// The fix: cache the promise, not the awaited value. The first caller stores the pending fetch
// before any await, and every later caller awaits that same promise: one backend call.
import { sleep } from '../sleep.mjs';

let backendCalls = 0;
const cache = new Map();

async function fetchPrice(symbol) {
  backendCalls += 1;
  await sleep(20);
  return symbol.length * 10;
}

export function price(symbol) {
  if (!cache.has(symbol)) {
    // A failed fetch must not stay cached: the next caller retries.
    cache.set(symbol, fetchPrice(symbol).catch((error) => {
      cache.delete(symbol);
      throw error;
    }));
  }
  return cache.get(symbol);
}

const prices = await Promise.all(Array.from({ length: 5 }, () => price('ACME')));
console.log(`prices: ${prices.join(', ')}; backend calls: ${backendCalls}`);
