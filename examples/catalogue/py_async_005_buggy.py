"""PY-ASYNC-005: one waiter slot, two waiting tasks.

`drain` parks the calling task on a future kept in `self._drain_waiter` until `resume`
resolves it. A second task that drains while the first is parked replaces the future in
the slot: `resume` wakes only the second, and the first waits forever.

Run: python3 examples/catalogue/py_async_005_buggy.py
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
        waiter = asyncio.get_running_loop().create_future()
        self._drain_waiter = waiter  # expect: PY-ASYNC-005
        await waiter


async def main():
    writer = Writer()
    first = asyncio.create_task(writer.drain())
    second = asyncio.create_task(writer.drain())
    await asyncio.sleep(0.01)
    writer.resume()
    done, pending = await asyncio.wait({first, second}, timeout=0.2)
    print(f"{len(done)} of 2 writers resumed; {len(pending)} never woken")
    for task in pending:
        task.cancel()


if __name__ == "__main__":
    asyncio.run(main())
