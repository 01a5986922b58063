"""CPU-bound prime counting under processes, with two process-isolation mistakes.

1. `collect_if_prime` appends to the module global `primes_found` inside pool workers.
   Each worker process has its own copy of the module, so the parent's list stays empty.
2. `count_primes` does `counter.value += 1` on a shared `multiprocessing.Value` without
   `get_lock()`: the read and the write are two steps, and concurrent processes lose
   increments.

Run: python3 examples/cpu_primes/buggy.py
"""
import multiprocessing

primes_found = []


def is_prime(n):
    if n < 2:
        return False
    divisor = 2
    while divisor * divisor <= n:
        if n % divisor == 0:
            return False
        divisor += 1
    return True


def collect_if_prime(n):
    if is_prime(n):
        primes_found.append(n)  # expect: PY-MP-002


def count_primes(numbers, counter):
    for n in numbers:
        if is_prime(n):
            counter.value += 1  # expect: PY-MP-001


def main():
    numbers = range(2, 50_000)
    with multiprocessing.Pool(2) as pool:
        pool.map(collect_if_prime, numbers)
    print(f"primes the parent sees after pool.map: {len(primes_found)} (the workers found 5133)")

    counter = multiprocessing.Value("i", 0)
    workers = [
        multiprocessing.Process(target=count_primes, args=(numbers, counter)),
        multiprocessing.Process(target=count_primes, args=(numbers, counter)),
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(f"shared counter: expected {2 * 5133}, got {counter.value}")


if __name__ == "__main__":
    main()
