"""Two threads count words into shared state without a lock.

`hits += 1` and `counts[w] = counts.get(w, 0) + 1` are read-modify-write sequences: a thread
switch between the read and the write loses an update. `Stats.total` is guarded by a lock in
`add` but reset bare in `reset`, so the lock protects nothing.

Run: python3 examples/shared_counter/buggy.py
"""
import sys
import threading

hits = 0
counts = {}


class Stats:
    def __init__(self):
        self._lock = threading.Lock()
        self.total = 0

    def add(self, n):
        with self._lock:
            self.total += n

    def reset(self):
        self.total = 0  # expect: PY-RACE-004


def count_words(words: list, stats: Stats) -> None:
    global hits
    for word in words:
        hits += 1  # expect: PY-RACE-001
        counts[word] = counts.get(word, 0) + 1  # expect: PY-RACE-006
        stats.add(1)


def main():
    # A tiny switch interval makes the interpreter hand the GIL over as often as it can,
    # which is what a busy server does to this code eventually.
    sys.setswitchinterval(1e-6)
    words = ["red", "green", "blue", "red"] * 20_000
    stats = Stats()
    first = threading.Thread(target=count_words, args=(words, stats))
    second = threading.Thread(target=count_words, args=(words, stats))
    first.start()
    second.start()
    # Starting a fresh measurement window while the workers run races with Stats.add.
    stats.reset()
    first.join()
    second.join()
    expected = 2 * len(words)
    print(f"hits: expected {expected}, got {hits}")
    print(f"counts['red']: expected {expected // 2}, got {counts['red']}")
    print(f"stats.total after a reset mid-run: {stats.total} (anything up to {expected})")


if __name__ == "__main__":
    main()
