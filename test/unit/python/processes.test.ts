import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzePython, ids, only, py } from './helpers';

void describe('PY-MP-001 multiprocessing.Value without get_lock()', () => {
  void it('flags counter.value += 1 in a Process target given the Value as an argument', async () => {
    const findings = await analyzePython({
      'mpvalue.py': py`
        import multiprocessing

        def work(counter, arr):
            for _ in range(100):
                counter.value += 1
                arr[0] += 1

        if __name__ == '__main__':
            counter = multiprocessing.Value('i', 0)
            arr = multiprocessing.Array('i', 4)
            procs = [multiprocessing.Process(target=work, args=(counter, arr)) for _ in range(4)]
            for p in procs:
                p.start()
      `,
    });
    const found = only(findings, 'PY-MP-001');
    assert.deepEqual(found.map((f) => f.range.start.line), [4, 5]);
    assert.match(found[0]!.message, /^`counter` \(a shared multiprocessing.Value\) is updated with `\+=` in `work` \(line 5\) by processes started at line 11 without its lock; /);
  });

  void it('does not flag updates under get_lock() or of plain integers', async () => {
    const findings = await analyzePython({
      'mplocked.py': py`
        import multiprocessing

        def work(counter, n):
            with counter.get_lock():
                counter.value += 1
            n += 1

        if __name__ == '__main__':
            counter = multiprocessing.Value('i', 0)
            multiprocessing.Process(target=work, args=(counter, 1)).start()
      `,
    });
    assert.deepEqual(findings, []);
  });
});

void describe('PY-MP-002 process isolation misconception', () => {
  void it('flags a pool worker appending to a global the parent reads after the pool', async () => {
    const findings = await analyzePython({
      'isolation.py': py`
        from multiprocessing import Pool

        results = []

        def work(x):
            results.append(x * x)

        def main():
            with Pool(4) as pool:
                pool.map(work, range(10))
            print(len(results))
      `,
    });
    const [finding] = only(findings, 'PY-MP-002');
    assert.ok(finding, JSON.stringify(findings));
    assert.equal(finding.range.start.line, 5);
    assert.equal(finding.related[0]?.range.start.line, 10);
  });

  void it('does not flag a worker that returns its result, or a thread pool', async () => {
    const findings = await analyzePython({
      'returns.py': py`
        from multiprocessing import Pool
        from concurrent.futures import ThreadPoolExecutor

        results = []

        def square(x):
            return x * x

        def collect(x):
            results.append(x)

        def main():
            with Pool(4) as pool:
                out = pool.map(square, range(10))
            with ThreadPoolExecutor() as ex:
                list(ex.map(collect, out))
            print(results)
      `,
    });
    assert.deepEqual(findings, []);
  });
});

void describe('PY-FUT-001 pool starvation', () => {
  void it('flags a task that waits on a future of its own pool, directly and through a helper', async () => {
    const findings = await analyzePython({
      'starve.py': py`
        from concurrent.futures import ThreadPoolExecutor

        ex = ThreadPoolExecutor(max_workers=2)

        def fmt(x):
            return str(x)

        def row(x):
            return ex.submit(fmt, x).result()

        def helper(x):
            f = ex.submit(fmt, x)
            return f.result()

        def cell(x):
            return helper(x)

        def main():
            futures = [ex.submit(row, i) for i in range(10)]
            more = [ex.submit(cell, i) for i in range(10)]
            return futures, more
      `,
    });
    const found = only(findings, 'PY-FUT-001');
    assert.deepEqual(found.map((f) => f.range.start.line), [8, 12]);
    assert.equal(found[0]!.severity, 'error');
    assert.match(found[1]!.message, /waits on work of the same pool in `helper` \(line 13\)/);
  });

  void it('does not flag waiting on a different executor', async () => {
    const findings = await analyzePython({
      'two_pools.py': py`
        from concurrent.futures import ThreadPoolExecutor

        outer = ThreadPoolExecutor(max_workers=2)
        inner = ThreadPoolExecutor(max_workers=2)

        def fmt(x):
            return str(x)

        def row(x):
            return inner.submit(fmt, x).result()

        def main():
            return [outer.submit(row, i) for i in range(10)]
      `,
    });
    assert.deepEqual(ids(findings), []);
  });
});

void describe('PY-FUT-001 and a pool made in the function', () => {
  const closer = (task: string) => py`
    import concurrent.futures

    class Muxer:
        def __init__(self, streams):
            self.streams = streams

        def close(self):
            executor = concurrent.futures.ThreadPoolExecutor()
            futures = [executor.submit(${task}) for stream in self.streams]
            concurrent.futures.wait(futures)
  `;

  void it('does not flag a task that runs the function again: that call makes its own pool', async () => {
    assert.deepEqual(only(await analyzePython({ 'mux.py': closer('stream.close') }), 'PY-FUT-001'), []);
  });

  void it('flags a closure that waits on the pool of the call that made it', async () => {
    const findings = await analyzePython({
      'nested.py': py`
        from concurrent.futures import ThreadPoolExecutor

        def fmt(x):
            return str(x)

        def report(rows):
            pool = ThreadPoolExecutor(max_workers=2)

            def row(x):
                return pool.submit(fmt, x).result()

            return [pool.submit(row, r) for r in rows]
      `,
    });
    assert.deepEqual(only(findings, 'PY-FUT-001').map((f) => f.range.start.line), [9]);
  });
});

void describe('PY-FUT-001 in the OpenSSF CWE-833 style', () => {
  void it('flags a row task that submits to and waits on its own executor (field, f-string result)', async () => {
    const findings = await analyzePython({
      'report.py': py`
        from concurrent.futures import ThreadPoolExecutor

        class ReportTable:
            def __init__(self):
                self.executor = ThreadPoolExecutor()

            def generate(self, inputs):
                futures = []
                for i in inputs:
                    futures.append(self.executor.submit(self._row, i))
                return ''.join(f.result() for f in futures)

            def _row(self, row):
                future = self.executor.submit(self._reformat, row)
                return f"|{future.result()}|{len(row)}|"

            def _reformat(self, row):
                return row.capitalize()
      `,
    });
    assert.deepEqual(only(findings, 'PY-FUT-001').map((f) => f.range.start.line), [14]);
  });

  void it('flags nested fan-out through a helper that submits the method it is given and waits', async () => {
    const findings = await analyzePython({
      'banking.py': py`
        from concurrent.futures import ThreadPoolExecutor, wait

        class Banking:
            def __init__(self, n):
                self.executor = ThreadPoolExecutor()
                self.n = n

            def for_each_client(self):
                self.invoke(self.for_each_account)

            def for_each_account(self):
                self.invoke(self.check_card)

            def check_card(self):
                pass

            def invoke(self, method):
                futures = []
                for _ in range(self.n):
                    futures.append(self.executor.submit(method))
                wait(futures)
      `,
    });
    const [finding] = only(findings, 'PY-FUT-001');
    assert.ok(finding, JSON.stringify(findings));
    assert.equal(finding.range.start.line, 20);
    assert.match(finding.message, /^`Banking.executor` runs `Banking.for_each_account` \(submitted at line \d+\), which waits on work of the same pool/);
  });
});

void it('does not take the standard library\'s os.environ for the project\'s state when a package has its own os.py', async () => {
  // A package keeps an `os` shim in `compat/`; another module of the run uses the real `os`.
  const files = {
    'tool/compat/__init__.py': '',
    'tool/compat/os.py': py`
      from os import *
    `,
    'runner/env.py': py`
      import os
      import threading

      def export(name, value):
          os.environ[name] = value

      def snapshot():
          return {k: v for k, v in os.environ.items()}

      threading.Thread(target=export, args=('A', '1')).start()
      threading.Thread(target=snapshot).start()
    `,
  };
  assert.deepEqual(only(await analyzePython(files), 'PY-RACE-005'), []);
});

void it('does not treat state of modules outside the run (sys.stdout) as a process-isolation mistake', async () => {
  const findings = await analyzePython({
    'redirect.py': py`
      import sys
      import multiprocessing

      def quiet(x):
          orig = sys.stdout
          sys.stdout = None
          sys.stdout = orig
          return x

      def main():
          with multiprocessing.Pool(2) as pool:
              pool.map(quiet, range(3))
          print(sys.stdout)
    `,
  });
  assert.deepEqual(findings, []);
});
