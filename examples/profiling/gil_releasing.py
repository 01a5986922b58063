"""CPU-heavy, but in C code that releases the GIL (zlib): threads scale, no processes needed."""
import random
import zlib

# Compressible but not trivial: random blocks repeated with variations.
_BLOCK = random.Random(7).randbytes(64 * 1024)
DATA = b"".join(_BLOCK[i:] + _BLOCK[:i] for i in range(0, 16 * 4096, 4096))


# conclens: tasks=[4] * 8
def compress_block(rounds):
    size = 0
    for level in range(rounds):
        size += len(zlib.compress(DATA, 6 + level % 3))
    return size


if __name__ == "__main__":
    print(compress_block(4))
