"""Every task updates one shared ledger under one lock: threads are serialized by it.

In a process pool each process gets its own copy of LEDGER and LEDGER_LOCK, so the
processes do not wait for each other, and they do not share the balance either."""
import threading

LEDGER_LOCK = threading.Lock()
LEDGER = {"balance": 0}


def _interest(amount):
    value = amount
    for _ in range(200):
        value = (value * 1.0001) % 1_000_003
    return value


# conclens: tasks=[2000] * 8
def deposit_many(count):
    for amount in range(count):
        with LEDGER_LOCK:
            LEDGER["balance"] += _interest(amount)
    return LEDGER["balance"]


if __name__ == "__main__":
    print(deposit_many(2000))
