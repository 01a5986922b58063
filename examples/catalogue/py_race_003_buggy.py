"""PY-RACE-003: lazy initialisation outside a lock.

Several threads find `_client` still None and each creates a connection; all but the last
are leaked, and callers briefly hold different clients.

Run: python3 examples/catalogue/py_race_003_buggy.py
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

    def client(self):
        if self._client is None:
            self._client = Connection()  # expect: PY-RACE-003
        return self._client


def main():
    service = Service()
    threads = [threading.Thread(target=service.client) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(f"connections opened: {len(Connection.opened)} (1 is enough)")


if __name__ == "__main__":
    main()
