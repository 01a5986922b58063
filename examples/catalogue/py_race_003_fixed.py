"""PY-RACE-003 fixed: the None check and the initialisation happen under one lock.

Run: python3 examples/catalogue/py_race_003_fixed.py
"""
import threading
import time


class Connection:
    opened = []

    def __init__(self):
        time.sleep(0.01)
        Connection.opened.append(self)


class Service:
    def __init__(self):
        self._client = None
        self._lock = threading.Lock()

    def client(self):
        with self._lock:
            if self._client is None:
                self._client = Connection()
            return self._client


def main():
    service = Service()
    threads = [threading.Thread(target=service.client) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(f"connections opened: {len(Connection.opened)}")


if __name__ == "__main__":
    main()
