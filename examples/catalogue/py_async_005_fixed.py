"""PY-ASYNC-005 fixed: a task that finds a pending waiter waits on that same future.

`asyncio.shield` keeps one cancelled waiter from cancelling the future the others share.

Run: python3 examples/catalogue/py_async_005_fixed.py
"""
import asyncio


class Writer:
    def __init__(self):
        self._paused = True
        self._drain_waiter = None

    def resume(self):
        self._paused = False
        waiter = self._drain_waiter
        self._drain_waiter = None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def drain(self):
        if not self._paused:
            return
        waiter = self._drain_waiter
        if waiter is None:
            waiter = asyncio.get_running_loop().create_future()
            self._drain_waiter = waiter
        await asyncio.shield(waiter)


async def main():
    writer = Writer()
    first = asyncio.create_task(writer.drain())
    second = asyncio.create_task(writer.drain())
    await asyncio.sleep(0.01)
    writer.resume()
    done, pending = await asyncio.wait({first, second}, timeout=0.2)
    print(f"{len(done)} of 2 writers resumed; {len(pending)} never woken")


if __name__ == "__main__":
    asyncio.run(main())
