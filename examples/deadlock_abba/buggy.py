"""Lock-order inversion (ABBA): two code paths take the same two locks in opposite orders.

`restock` holds `inventory_lock` and waits for `orders_lock`; `cancel_order` holds
`orders_lock` and waits for `inventory_lock`. The bank transfer is the same bug with one
lock class: `transfer(alice, bob)` and `transfer(bob, alice)` lock `Account._lock` of two
instances in opposite orders.

The driver runs each pair on daemon threads and gives up after a timeout, so the program
reports the deadlock and exits instead of hanging.

Run: python3 examples/deadlock_abba/buggy.py
"""
import threading
import time

inventory_lock = threading.Lock()
orders_lock = threading.Lock()
stock = {"widget": 5}
open_orders = {"o-1": "widget"}


def restock(item, amount):
    with inventory_lock:
        time.sleep(0.05)  # the work done under the first lock is the window for the second thread
        with orders_lock:  # expect: PY-DL-001
            stock[item] += amount


def cancel_order(order_id):
    with orders_lock:
        time.sleep(0.05)
        with inventory_lock:
            item = open_orders.pop(order_id)
            stock[item] += 1


class Account:
    def __init__(self, owner, balance):
        self._lock = threading.Lock()
        self.owner = owner
        self.balance = balance


def transfer(src, dst, amount):
    with src._lock:
        time.sleep(0.05)
        with dst._lock:  # expect: PY-DL-001
            src.balance -= amount
            dst.balance += amount


def run_until_stuck(label, threads, timeout=0.5):
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    stuck = [t.name for t in threads if t.is_alive()]
    if stuck:
        print(f"{label}: DEADLOCK, threads {', '.join(stuck)} still waiting after {timeout}s")
    else:
        print(f"{label}: finished (the interleaving was lucky this time)")


def main():
    run_until_stuck(
        "restock vs cancel_order",
        [
            threading.Thread(target=restock, args=("widget", 3), name="restock", daemon=True),
            threading.Thread(target=cancel_order, args=("o-1",), name="cancel", daemon=True),
        ],
    )
    alice = Account("alice", 100)
    bob = Account("bob", 100)
    run_until_stuck(
        "transfer alice->bob vs bob->alice",
        [
            threading.Thread(target=transfer, args=(alice, bob, 10), name="a->b", daemon=True),
            threading.Thread(target=transfer, args=(bob, alice, 20), name="b->a", daemon=True),
        ],
    )


if __name__ == "__main__":
    main()
