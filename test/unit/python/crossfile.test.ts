import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzePython, only, py } from './helpers';

void describe('cross-module linking', () => {
  void it('flags an entry point in one module mutating module state of another (m.counter += 1)', async () => {
    const findings = await analyzePython({
      'stats.py': py`
        counter = 0
      `,
      'worker.py': py`
        import threading
        import stats

        def work():
            for _ in range(100):
                stats.counter += 1

        for _ in range(2):
            threading.Thread(target=work).start()
      `,
    });
    const [finding] = only(findings, 'PY-RACE-001');
    assert.ok(finding, JSON.stringify(findings));
    assert.equal(finding.file, '/project/worker.py');
    assert.equal(finding.range.start.line, 5);
  });

  void it('follows `from m import f` into a helper that updates its own module global', async () => {
    const findings = await analyzePython({
      'metrics.py': py`
        hits = 0

        def record():
            global hits
            hits += 1
      `,
      'app.py': py`
        from concurrent.futures import ThreadPoolExecutor
        from metrics import record

        def handle(req):
            record()

        with ThreadPoolExecutor() as ex:
            ex.map(handle, range(10))
      `,
    });
    const [finding] = only(findings, 'PY-RACE-001');
    assert.ok(finding, JSON.stringify(findings));
    assert.equal(finding.file, '/project/metrics.py');
    assert.match(finding.message, /pool tasks submitted at line 8 of app.py/);
  });

  void it('builds one lock-order graph across files (ABBA split over two modules)', async () => {
    const findings = await analyzePython({
      'locks.py': py`
        import threading
        A = threading.Lock()
        B = threading.Lock()
      `,
      'one.py': py`
        import threading
        from locks import A, B

        def first():
            with A:
                with B:
                    pass

        threading.Thread(target=first).start()
      `,
      'two.py': py`
        import threading
        import locks

        def second():
            with locks.B:
                with locks.A:
                    pass

        threading.Thread(target=second).start()
      `,
    });
    const [finding, ...rest] = only(findings, 'PY-DL-001');
    assert.equal(rest.length, 0);
    assert.ok(finding, JSON.stringify(findings));
    assert.equal(finding.severity, 'error');
    const files = new Set([finding.file, ...finding.related.map((r) => r.file)]);
    assert.ok(files.has('/project/one.py') && files.has('/project/two.py'), [...files].join());
  });

  void it('keeps two modules with the same name apart', async () => {
    const findings = await analyzePython({
      'a/util.py': py`
        import threading
        n = 0

        def bump():
            global n
            n += 1

        threading.Thread(target=bump).start()
      `,
      'b/util.py': py`
        import threading
        n = 0

        def bump():
            global n
            n += 1

        threading.Thread(target=bump).start()
      `,
    });
    assert.deepEqual(findings, []);
  });
});

void describe('module names', () => {
  void it('does not take `import threading` for a package module that happens to be named threading', async () => {
    const findings = await analyzePython({
      'green/__init__.py': '',
      'green/threading.py': py`
        _count = 0

        def new_name():
            global _count
            _count += 1
            return _count
      `,
      'app.py': py`
        import threading

        def work():
            threading.new_name()

        for _ in range(2):
            threading.Thread(target=work).start()
      `,
    });
    assert.deepEqual(findings, []);
  });

  void it('links two same-named modules to the one in the importing file’s own package', async () => {
    const findings = await analyzePython({
      'a/utils.py': py`
        import threading

        class Worker(threading.Thread):
            def run(self):
                self.hits += 1

            def reset(self):
                self.hits += 1
      `,
      'a/app.py': py`
        from utils import Worker
        w = Worker()
      `,
      'b/utils.py': py`
        def helper():
            pass
      `,
    });
    assert.deepEqual(findings.map((f) => [f.file, f.ruleId, f.severity]), [
      ['/project/a/utils.py', 'PY-RACE-001', 'warning'],
      ['/project/a/utils.py', 'PY-RACE-001', 'warning'],
    ]);
  });
});

void describe('modules named like the analyzer’s own markers', () => {
  void it('analyzes two `main.py` files that start processes (their functions once read as the code after a start)', async () => {
    // Two command-line tools of one repository, each with a `main.py` whose worker process
    // appends to a module list the parent then reads: the classic process-isolation mistake.
    const tool = py`
      import multiprocessing

      results = []

      def work(x):
          results.append(x * x)

      def run():
          p = multiprocessing.Process(target=work, args=(3,))
          p.start()
          p.join()
          return len(results)
    `;
    const findings = await analyzePython({ 'one/main.py': tool, 'two/main.py': tool });
    assert.deepEqual(findings.map((f) => [f.file, f.ruleId]), [
      ['/project/one/main.py', 'PY-MP-002'],
      ['/project/two/main.py', 'PY-MP-002'],
    ]);
  });
});
