"""PY-RACE-002: check-then-act on a shared dict from executor tasks, without a lock.

Two tasks can both see the key missing and both render it; the second store overwrites
the first, and the expensive work is done twice.

Run: python3 examples/catalogue/py_race_002_buggy.py
"""
import time
from concurrent.futures import ThreadPoolExecutor


class ThumbnailCache:
    def __init__(self):
        self.cache = {}
        self.renders = []

    def get(self, key):
        if key not in self.cache:
            self.cache[key] = self._render(key)  # expect: PY-RACE-002
        return self.cache[key]

    def _render(self, key):
        self.renders.append(key)
        time.sleep(0.01)
        return f"<thumbnail {key}>"


def main():
    thumbnails = ThumbnailCache()
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(thumbnails.get, ["cat.png"] * 4))
    print(f"renders of cat.png: {len(thumbnails.renders)} (1 is enough)")


if __name__ == "__main__":
    main()
