"""PY-ASYNC-004 fixed: the thread hands the item to the event loop with call_soon_threadsafe.

Run: python3 examples/catalogue/py_async_004_fixed.py
"""
import asyncio
import threading
import time


async def main():
    queue = asyncio.Queue()
    loop = asyncio.get_running_loop()

    def produce():
        time.sleep(0.05)
        loop.call_soon_threadsafe(queue.put_nowait, time.monotonic())

    producer = threading.Thread(target=produce)
    producer.start()
    put_at = await asyncio.wait_for(queue.get(), timeout=0.5)
    print(f"the consumer saw the item {1000 * (time.monotonic() - put_at):.0f} ms after it was put")
    producer.join()


if __name__ == "__main__":
    asyncio.run(main())
