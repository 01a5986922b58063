"""The word counter with every read-modify-write of shared state under one lock.

Run: python3 examples/shared_counter/fixed.py
"""
import sys
import threading

hits = 0
counts = {}
counts_lock = threading.Lock()


class Stats:
    def __init__(self):
        self._lock = threading.Lock()
        self.total = 0

    def add(self, n):
        with self._lock:
            self.total += n

    def reset(self):
        with self._lock:
            self.total = 0


def count_words(words: list, stats: Stats) -> None:
    global hits
    for word in words:
        with counts_lock:
            hits += 1
            counts[word] = counts.get(word, 0) + 1
        stats.add(1)


def main():
    sys.setswitchinterval(1e-6)
    words = ["red", "green", "blue", "red"] * 20_000
    stats = Stats()
    first = threading.Thread(target=count_words, args=(words, stats))
    second = threading.Thread(target=count_words, args=(words, stats))
    first.start()
    second.start()
    stats.reset()
    first.join()
    second.join()
    expected = 2 * len(words)
    print(f"hits: expected {expected}, got {hits}")
    print(f"counts['red']: expected {expected // 2}, got {counts['red']}")
    print(f"stats.total after a reset mid-run: {stats.total} (anything up to {expected})")


if __name__ == "__main__":
    main()
