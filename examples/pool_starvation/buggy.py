"""Pool starvation: a task waits on a future of the pool it runs in.

Each `render_row` task submits its cells to the same two-worker pool and waits for them.
With two rows running, both workers are busy waiting, and the cell tasks queued behind
them never get a worker: the pool deadlocks on itself.

The driver waits with a timeout, then cancels the queued tasks so the waiting workers
wake up with CancelledError and the program exits.

Run: python3 examples/pool_starvation/buggy.py
"""
from concurrent.futures import ThreadPoolExecutor, wait

pool = ThreadPoolExecutor(max_workers=2)


def format_cell(value):
    return f"{value:>6}"


def render_row(row):
    cells = []
    for value in row:
        cells.append(pool.submit(format_cell, value).result())  # expect: PY-FUT-001
    return " ".join(cells)


def main():
    rows = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    futures = [pool.submit(render_row, row) for row in rows]
    done, not_done = wait(futures, timeout=0.5)
    if not_done:
        print(f"STARVED: {len(not_done)} of {len(futures)} rows still waiting for a worker after 0.5s")
    pool.shutdown(wait=True, cancel_futures=True)
    for future in done:
        print(future.result())


if __name__ == "__main__":
    main()
