"""Pool starvation fixed: the cells run on their own pool.

`render_row` tasks still wait for their cells, but the cells never need a row worker, so
every cell task finds a free worker and every row finishes.

Run: python3 examples/pool_starvation/fixed.py
"""
from concurrent.futures import ThreadPoolExecutor

row_pool = ThreadPoolExecutor(max_workers=2)
cell_pool = ThreadPoolExecutor(max_workers=2)


def format_cell(value):
    return f"{value:>6}"


def render_row(row):
    cells = [cell_pool.submit(format_cell, value) for value in row]
    return " ".join(cell.result() for cell in cells)


def main():
    rows = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    with row_pool, cell_pool:
        for line in row_pool.map(render_row, rows, timeout=5):
            print(line)


if __name__ == "__main__":
    main()
