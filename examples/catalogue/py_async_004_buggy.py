"""PY-ASYNC-004: an asyncio.Queue fed from a plain thread.

asyncio objects are not thread-safe. `put_nowait` from the producer thread wakes the
waiting consumer's future without waking the event loop, so the loop sleeps on until
something else (here the consumer's timeout) happens to wake it.

Run: python3 examples/catalogue/py_async_004_buggy.py
"""
import asyncio
import threading
import time


async def main():
    queue = asyncio.Queue()

    def produce():
        time.sleep(0.05)
        queue.put_nowait(time.monotonic())  # expect: PY-ASYNC-004

    producer = threading.Thread(target=produce)
    producer.start()
    try:
        put_at = await asyncio.wait_for(queue.get(), timeout=0.5)
        print(f"the consumer saw the item {1000 * (time.monotonic() - put_at):.0f} ms after it was put")
    except TimeoutError:
        print("the consumer was never woken for the item")
    producer.join()


if __name__ == "__main__":
    asyncio.run(main())
