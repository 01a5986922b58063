"""PY-RACE-005 fixed: iterate over a snapshot taken under the lock that guards deletions.

Run: python3 examples/catalogue/py_race_005_fixed.py
"""
import threading


class SessionStore:
    def __init__(self, count):
        self.sessions = {f"s{i}": i for i in range(count)}
        self._lock = threading.Lock()

    def idle_sessions(self):
        with self._lock:
            snapshot = list(self.sessions.items())
        return [sid for sid, value in snapshot if value % 2 == 0]

    def logout(self, sid):
        with self._lock:
            self.sessions.pop(sid, None)


def reap(store: SessionStore, reports: list) -> None:
    for _ in range(50):
        store.idle_sessions()
    reports.append("reaper finished")


def log_everyone_out(store: SessionStore, count: int) -> None:
    for i in range(count):
        store.logout(f"s{i}")


def main():
    count = 20_000
    store = SessionStore(count)
    reports = []
    reaper = threading.Thread(target=reap, args=(store, reports))
    logouts = threading.Thread(target=log_everyone_out, args=(store, count))
    reaper.start()
    logouts.start()
    reaper.join()
    logouts.join()
    print(reports[0])


if __name__ == "__main__":
    main()
