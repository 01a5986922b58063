"""PY-DL-005: Condition.wait() guarded by `if` instead of a predicate loop.

Both consumers wait; one `put` wakes both (`notify_all`). The first takes the item, the
second returns from `wait()` without re-checking and pops from an empty list. Spurious
wakeups end the same way.

Run: python3 examples/catalogue/py_dl_005_buggy.py
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
            if not self._items:
                self._ready.wait()  # expect: PY-DL-005
            return self._items.pop(0)


def consume(box: Mailbox, name: str, received: list) -> None:
    try:
        received.append((name, box.get()))
    except IndexError:
        received.append((name, "woke up to an empty mailbox"))


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
    for name, item in received:
        print(f"{name}: {item}")


if __name__ == "__main__":
    main()
