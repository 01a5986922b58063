"""PY-RACE-005: iterating a shared dict while another thread deletes from it.

The reaper walks `sessions` while logins end on another thread; the dict changes size
under the iterator and the reaper dies with RuntimeError (or skips entries).

Run: python3 examples/catalogue/py_race_005_buggy.py
"""
import threading


class SessionStore:
    def __init__(self, count):
        self.sessions = {f"s{i}": i for i in range(count)}

    def idle_sessions(self):
        idle = []
        for sid in self.sessions:  # expect: PY-RACE-005
            if self.sessions.get(sid, 0) % 2 == 0:
                idle.append(sid)
        return idle

    def logout(self, sid):
        self.sessions.pop(sid, None)


def reap(store: SessionStore, reports: list) -> None:
    try:
        for _ in range(50):
            store.idle_sessions()
        reports.append("reaper finished")
    except RuntimeError as error:
        reports.append(f"reaper crashed: {error}")


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
