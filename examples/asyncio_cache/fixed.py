"""The asyncio price cache, fixed.

- `price` caches the fetch *task*: the check and the store happen with no `await` between
  them, and every caller awaits the same task, so each symbol is fetched once.
- `record` and `flush` use an `asyncio.Lock`, which suspends only the waiting task, never
  the event loop thread.

Run: python3 examples/asyncio_cache/fixed.py
"""
import asyncio


class PriceService:
    def __init__(self):
        self.pending = {}
        self.fetches = 0
        self.requests = 0
        self.flushed = []
        self._lock = asyncio.Lock()

    async def _fetch_price(self, symbol):
        self.fetches += 1
        await asyncio.sleep(0.01)
        return float(len(symbol) * 10)

    async def price(self, symbol):
        if symbol not in self.pending:
            self.pending[symbol] = asyncio.create_task(self._fetch_price(symbol))
        return await self.pending[symbol]

    async def record(self, count):
        async with self._lock:
            seen = self.requests
            await asyncio.sleep(0.001)
            self.requests = seen + count

    async def flush(self):
        async with self._lock:
            await asyncio.sleep(0.001)
            self.flushed.append({s: t.result() for s, t in self.pending.items()})


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
