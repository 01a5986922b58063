"""CPU-bound pure Python: threads share one GIL, processes scale with the cores."""


# conclens: tasks=[(1, 60000)] * 8
def count_primes(low, high):
    count = 0
    for n in range(max(low, 2), high):
        if all(n % d for d in range(2, int(n ** 0.5) + 1)):
            count += 1
    return count


if __name__ == "__main__":
    print(count_primes(1, 60000))
