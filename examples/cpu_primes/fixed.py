"""CPU-bound prime counting under processes, done right.

Workers return their results and the parent collects what `pool.map` returns; the shared
`multiprocessing.Value` is only incremented while holding its `get_lock()`.

Run: python3 examples/cpu_primes/fixed.py
"""
import multiprocessing


def is_prime(n):
    if n < 2:
        return False
    divisor = 2
    while divisor * divisor <= n:
        if n % divisor == 0:
            return False
        divisor += 1
    return True


def count_primes(numbers, counter):
    for n in numbers:
        if is_prime(n):
            with counter.get_lock():
                counter.value += 1


def main():
    numbers = range(2, 50_000)
    with multiprocessing.Pool(2) as pool:
        flags = pool.map(is_prime, numbers)
    primes_found = [n for n, prime in zip(numbers, flags) if prime]
    print(f"primes the parent sees after pool.map: {len(primes_found)}")

    counter = multiprocessing.Value("i", 0)
    workers = [
        multiprocessing.Process(target=count_primes, args=(numbers, counter)),
        multiprocessing.Process(target=count_primes, args=(numbers, counter)),
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(f"shared counter: expected {2 * len(primes_found)}, got {counter.value}")


if __name__ == "__main__":
    main()
