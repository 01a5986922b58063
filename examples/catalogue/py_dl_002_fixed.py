"""PY-DL-002 fixed: the helper expects its caller to hold the lock instead of taking it again.

Run: python3 examples/catalogue/py_dl_002_fixed.py
"""
import threading


class Registry:
    def __init__(self):
        self._lock = threading.Lock()
        self._items = {}

    def register(self, key, value):
        with self._lock:
            self._items[key] = value
            self._log_size_locked()

    def _log_size_locked(self):
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
        worker.join(5)
    stuck = sum(worker.is_alive() for worker in workers)
    print(f"{len(workers) - stuck} of {len(workers)} threads finished")


if __name__ == "__main__":
    main()
