"""PY-DL-005 fixed: `wait_for` re-checks the predicate after every wakeup.

Run: python3 examples/catalogue/py_dl_005_fixed.py
"""
import threading
import time


class Mailbox:
    def __init__(self):
        self._ready = threading.Condition()
        self._items = []

    def put(self, item):
        with self._ready:
            self._items.append(item)
            self._ready.notify_all()

    def get(self):
        with self._ready:
            self._ready.wait_for(lambda: self._items)
            return self._items.pop(0)


def consume(box: Mailbox, name: str, received: list) -> None:
    received.append((name, box.get()))


def main():
    box = Mailbox()
    received = []
    consumers = [threading.Thread(target=consume, args=(box, name, received), daemon=True) for name in ("c1", "c2")]
    for consumer in consumers:
        consumer.start()
    time.sleep(0.05)
    box.put("first")
    time.sleep(0.05)
    box.put("second")
    for consumer in consumers:
        consumer.join(1)
    for name, item in sorted(received):
        print(f"{name}: {item}")


if __name__ == "__main__":
    main()
