import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzePython, ids, only, py } from './helpers';

void describe('entry points that count as evidence of concurrency', () => {
  void it('a Thread subclass started in a loop runs its run() concurrently', async () => {
    const findings = await analyzePython({
      'sub.py': py`
        import threading
        processed = 0

        class Worker(threading.Thread):
            def run(self):
                global processed
                processed += 1

        for _ in range(4):
            Worker().start()
      `,
    });
    assert.deepEqual(ids(findings), ['PY-RACE-001']);
  });

  void it('threading.Timer and asyncio.to_thread run their function on another thread', async () => {
    const findings = await analyzePython({
      'timer.py': py`
        import asyncio
        import threading
        ticks = 0

        def tick():
            global ticks
            ticks += 1

        async def main():
            threading.Timer(1.0, tick).start()
            await asyncio.to_thread(tick)
      `,
    });
    assert.deepEqual(ids(findings), ['PY-RACE-001']);
    assert.match(findings[0]!.message, /the timer started at line 10.*the worker thread started at line 11/);
  });

  void it('loop.run_in_executor with a lambda target', async () => {
    const findings = await analyzePython({
      'executor.py': py`
        import asyncio
        served = 0

        def serve():
            global served
            served += 1

        async def main():
            loop = asyncio.get_running_loop()
            await asyncio.gather(*[loop.run_in_executor(None, lambda: serve()) for _ in range(3)])
      `,
    });
    assert.deepEqual(ids(findings), ['PY-RACE-001']);
  });

  void it('an executor run awaited where it starts is over before the coroutine goes on', async () => {
    // A ranking job: the costly collection runs in the default executor and the coroutine rates
    // what it collected once it is done; runs awaited one by one in a loop do not overlap either.
    const rater = (start: string) => py`
      import asyncio

      class Rater:
          def __init__(self):
              self.stats = {}
              self.ranked = []

          def collect(self):
              for n in range(10):
                  self.stats[n] = n * n

          def rate(self):
              for value in self.stats.values():
                  self.ranked.append(value)

          async def analyze(self):
              loop = asyncio.get_running_loop()
      ${start}
    `;
    const awaited = `        await loop.run_in_executor(None, self.collect)
              self.rate()`;
    const inLoop = `        for _ in range(3):
                  await asyncio.to_thread(self.collect)
                  self.rate()`;
    const later = `        job = loop.run_in_executor(None, self.collect)
              self.rate()
              await job`;
    assert.deepEqual(only(await analyzePython({ 'rater.py': rater(awaited) }), 'PY-RACE-005'), []);
    assert.deepEqual(only(await analyzePython({ 'rater.py': rater(inLoop) }), 'PY-RACE-005'), []);
    assert.equal(only(await analyzePython({ 'rater.py': rater(later) }), 'PY-RACE-005').length, 1);
  });

  void it('a decorated async request handler overlaps with itself', async () => {
    const findings = await analyzePython({
      'web.py': py`
        class State:
            visits = 0

        state = State()

        @app.get('/visit')
        async def visit():
            n = state.visits
            await record()
            state.visits = n + 1

        async def record():
            pass
      `,
    });
    assert.deepEqual(ids(findings), ['PY-ASYNC-001']);
    assert.match(findings[0]!.message, /\(line 10, concurrent requests\)/);
  });

  void it('TaskGroup.create_task in a loop fans out a coroutine', async () => {
    const findings = await analyzePython({
      'tg.py': py`
        import asyncio
        cache = {}

        async def load(k):
            if k not in cache:
                cache[k] = await fetch(k)

        async def fetch(k):
            return k

        async def main():
            async with asyncio.TaskGroup() as tg:
                for k in (1, 1, 2):
                    tg.create_task(load(k))
      `,
    });
    assert.deepEqual(ids(findings), ['PY-ASYNC-002']);
  });

  void it('code that only defines functions and never starts anything stays silent', async () => {
    const findings = await analyzePython({
      'lib.py': py`
        import threading
        total = 0
        items = {}

        def add(n):
            global total
            total += n
            if n not in items:
                items[n] = n
            for k in items:
                print(k)
      `,
    });
    assert.deepEqual(findings, []);
  });
});

void it('_thread.start_new_thread starts its function on a new thread', async () => {
  const findings = await analyzePython({
    'lowlevel.py': py`
      import _thread
      done = 0

      def task():
          global done
          done += 1

      for _ in range(3):
          _thread.start_new_thread(task, ())
    `,
  });
  assert.deepEqual(ids(findings), ['PY-RACE-001']);
});
