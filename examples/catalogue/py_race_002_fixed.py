"""PY-RACE-002 fixed: the check and the act happen in one critical section.

Run: python3 examples/catalogue/py_race_002_fixed.py
"""
import threading
import time
from concurrent.futures import ThreadPoolExecutor


class ThumbnailCache:
    def __init__(self):
        self.cache = {}
        self.renders = []
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            if key not in self.cache:
                self.cache[key] = self._render(key)
            return self.cache[key]

    def _render(self, key):
        self.renders.append(key)
        time.sleep(0.01)
        return f"<thumbnail {key}>"


def main():
    thumbnails = ThumbnailCache()
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(thumbnails.get, ["cat.png"] * 4))
    print(f"renders of cat.png: {len(thumbnails.renders)}")


if __name__ == "__main__":
    main()
