"""PY-DL-003: acquire() without a guaranteed release.

When `parse` raises, `release()` is never reached: the lock stays held and every later
caller blocks forever.

The driver records events on daemon threads and gives up after a timeout.

Run: python3 examples/catalogue/py_dl_003_buggy.py
"""
import threading

log_lock = threading.Lock()
events = []


def parse(line):
    name, value = line.split("=")
    return name, int(value)


def record(line):
    log_lock.acquire()  # expect: PY-DL-003
    events.append(parse(line))
    log_lock.release()


def record_quietly(line):
    try:
        record(line)
    except ValueError as error:
        print(f"bad event {line!r}: {error}")


def main():
    workers = [
        threading.Thread(target=record_quietly, args=(line,), daemon=True)
        for line in ["a=1", "garbage", "b=2"]
    ]
    for worker in workers:
        worker.start()
        worker.join(0.2)
    stuck = sum(worker.is_alive() for worker in workers)
    print(f"events recorded: {len(events)}, threads blocked on the leaked lock: {stuck}")


if __name__ == "__main__":
    main()
