"""PY-RACE-007: a decision taken in one critical section and acted on in another.

`maybe_stop` sees the queue empty, releases the lock, and stops the queue in a second
critical section; a job added in between is stranded in a stopped queue.

Run: python3 examples/catalogue/py_race_007_buggy.py
"""
import threading
import time


class JobQueue:
    def __init__(self):
        self._lock = threading.Lock()
        self.pending = []
        self.stopped = False

    def add(self, job):
        with self._lock:
            if self.stopped:
                raise RuntimeError("queue stopped")
            self.pending.append(job)

    def maybe_stop(self):
        with self._lock:
            empty = not self.pending
        time.sleep(0.05)  # anything done between the two sections widens the gap
        with self._lock:
            if empty:  # expect: PY-RACE-007
                self.stopped = True


def main():
    jobs = JobQueue()
    stopper = threading.Thread(target=jobs.maybe_stop)
    producer = threading.Thread(target=jobs.add, args=("resize cat.png",))
    stopper.start()
    time.sleep(0.01)
    producer.start()
    stopper.join()
    producer.join()
    state = "stranded in a stopped queue" if jobs.stopped else "waiting to run"
    print(f"{len(jobs.pending)} job(s) {state}")


if __name__ == "__main__":
    main()
