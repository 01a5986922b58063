"""PY-DL-002: a non-reentrant Lock re-acquired on the same path.

`register` holds `_lock` and calls `_log_size`, which takes `_lock` again: a plain
`threading.Lock` is not reentrant, so the thread waits for itself forever.

The driver registers on a daemon thread and gives up after a timeout.

Run: python3 examples/catalogue/py_dl_002_buggy.py
"""
import threading


class Registry:
    def __init__(self):
        self._lock = threading.Lock()
        self._items = {}

    def register(self, key, value):
        with self._lock:
            self._items[key] = value
            self._log_size()  # expect: PY-DL-002

    def _log_size(self):
        with self._lock:
            print(f"{len(self._items)} item(s) registered")


def main():
    registry = Registry()
    workers = [
        threading.Thread(target=registry.register, args=(name, i), daemon=True)
        for i, name in enumerate(["alpha", "beta"])
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(0.3)
    stuck = sum(worker.is_alive() for worker in workers)
    print(f"SELF-DEADLOCK: {stuck} of {len(workers)} threads stuck behind a lock its holder re-acquires")


if __name__ == "__main__":
    main()
