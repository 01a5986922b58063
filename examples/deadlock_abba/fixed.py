"""Lock-order inversion fixed by one global order.

Every path takes `inventory_lock` before `orders_lock`. Two `Account` locks are taken in
the order of the accounts' ids, whichever way the money moves, so no two threads can each
hold one lock and wait for the other.

Run: python3 examples/deadlock_abba/fixed.py
"""
import threading
import time

inventory_lock = threading.Lock()
orders_lock = threading.Lock()
stock = {"widget": 5}
open_orders = {"o-1": "widget"}


def restock(item, amount):
    with inventory_lock:
        time.sleep(0.05)
        with orders_lock:
            stock[item] += amount


def cancel_order(order_id):
    with inventory_lock:
        time.sleep(0.05)
        with orders_lock:
            item = open_orders.pop(order_id)
            stock[item] += 1


class Account:
    def __init__(self, owner, balance):
        self._lock = threading.Lock()
        self.owner = owner
        self.balance = balance


# Two Account locks are always taken in id order (see `transfer`); this declaration tells
# Concurrency Lens that nesting one Account._lock inside another is intentional.
# conclens: lock-order Account._lock by id
def transfer(src, dst, amount):
    first, second = sorted((src, dst), key=id)
    with first._lock:
        time.sleep(0.05)
        with second._lock:
            src.balance -= amount
            dst.balance += amount


def run_all(label, threads, timeout=5.0):
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    stuck = [t.name for t in threads if t.is_alive()]
    print(f"{label}: {'DEADLOCK in ' + ', '.join(stuck) if stuck else 'finished'}")
    return not stuck


def main():
    ok = run_all(
        "restock vs cancel_order",
        [
            threading.Thread(target=restock, args=("widget", 3), name="restock", daemon=True),
            threading.Thread(target=cancel_order, args=("o-1",), name="cancel", daemon=True),
        ],
    )
    alice = Account("alice", 100)
    bob = Account("bob", 100)
    ok = run_all(
        "transfer alice->bob vs bob->alice",
        [
            threading.Thread(target=transfer, args=(alice, bob, 10), name="a->b", daemon=True),
            threading.Thread(target=transfer, args=(bob, alice, 20), name="b->a", daemon=True),
        ],
    ) and ok
    print(f"stock: {stock}, balances: alice={alice.balance} bob={bob.balance}")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
