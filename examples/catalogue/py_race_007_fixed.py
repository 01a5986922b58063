"""PY-RACE-007 fixed: the emptiness check and the stop happen in one critical section.

Run: python3 examples/catalogue/py_race_007_fixed.py
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
        time.sleep(0.05)
        with self._lock:
            if not self.pending:
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
