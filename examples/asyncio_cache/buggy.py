"""An asyncio price cache with three await-related races.

- `price`: the check (`symbol not in self.cache`) and the act (storing the fetched price)
  are separated by an `await`, so every task that asks before the first fetch finishes
  fetches too (cache stampede).
- `record`: `self.requests` is read before an `await` and written after it, so
  concurrent calls overwrite each other's increments (lost update).
- `flush`: a `threading.Lock` held across `await` blocks the whole event loop thread
  while the coroutine is suspended; any other task that needs the lock freezes the loop.

Run: python3 examples/asyncio_cache/buggy.py
"""
import asyncio
import threading


class PriceService:
    def __init__(self):
        self.cache = {}
        self.fetches = 0
        self.requests = 0
        self.flushed = []
        self._flush_lock = threading.Lock()

    async def _fetch_price(self, symbol):
        self.fetches += 1
        await asyncio.sleep(0.01)
        return float(len(symbol) * 10)

    async def price(self, symbol):
        if symbol not in self.cache:
            self.cache[symbol] = await self._fetch_price(symbol)  # expect: PY-ASYNC-002
        return self.cache[symbol]

    async def record(self, count):
        seen = self.requests
        await asyncio.sleep(0.001)
        self.requests = seen + count  # expect: PY-ASYNC-001

    async def flush(self):
        with self._flush_lock:  # expect: PY-ASYNC-003
            await asyncio.sleep(0.001)
            self.flushed.append(dict(self.cache))


async def main():
    service = PriceService()
    symbols = ["AAPL", "AAPL", "GOOGL", "AAPL", "GOOGL"]
    prices = await asyncio.gather(*(service.price(s) for s in symbols))
    await asyncio.gather(*(service.record(1) for _ in symbols))
    await service.flush()
    print(f"prices: {prices}")
    print(f"fetches: {service.fetches} for {len(set(symbols))} distinct symbols")
    print(f"requests recorded: {service.requests} of {len(symbols)}")


if __name__ == "__main__":
    asyncio.run(main())
