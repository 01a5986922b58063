"""PY-DL-004: joining a thread while holding a lock that thread needs.

`shutdown` holds `state_lock` and waits for the flusher, but the flusher must take
`state_lock` to finish: each waits for the other forever.

The driver runs `shutdown` on a daemon thread and gives up after a timeout.

Run: python3 examples/catalogue/py_dl_004_buggy.py
"""
import threading

state_lock = threading.Lock()
pending = ["a", "b"]


def flush():
    with state_lock:
        pending.clear()


def shutdown():
    flusher = threading.Thread(target=flush, daemon=True)
    with state_lock:
        flusher.start()
        flusher.join()  # expect: PY-DL-004


def main():
    closer = threading.Thread(target=shutdown, daemon=True)
    closer.start()
    closer.join(0.3)
    if closer.is_alive():
        print(f"DEADLOCK: shutdown waits for the flusher, the flusher waits for state_lock; pending={pending}")
    else:
        print(f"shutdown finished; pending={pending}")


if __name__ == "__main__":
    main()
