"""PY-DL-003 fixed: `with log_lock:` releases the lock on every path, exceptions included.

Run: python3 examples/catalogue/py_dl_003_fixed.py
"""
import threading

log_lock = threading.Lock()
events = []


def parse(line):
    name, value = line.split("=")
    return name, int(value)


def record(line):
    with log_lock:
        events.append(parse(line))


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
        worker.join(5)
    stuck = sum(worker.is_alive() for worker in workers)
    print(f"events recorded: {len(events)}, threads blocked on the leaked lock: {stuck}")


if __name__ == "__main__":
    main()
