"""PY-DL-004 fixed: the flusher is joined after `state_lock` is released.

Run: python3 examples/catalogue/py_dl_004_fixed.py
"""
import threading

state_lock = threading.Lock()
pending = ["a", "b"]


def flush():
    with state_lock:
        pending.clear()


def shutdown():
    flusher = threading.Thread(target=flush, daemon=True)
    flusher.start()
    flusher.join()


def main():
    closer = threading.Thread(target=shutdown, daemon=True)
    closer.start()
    closer.join(5)
    print(f"shutdown {'is stuck' if closer.is_alive() else 'finished'}; pending={pending}")


if __name__ == "__main__":
    main()
