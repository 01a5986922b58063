import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePythonSyntaxTree } from '../../../src/analyzers/python/parser';
import type { Finding, TextEdit } from '../../../src/shared/findings';
import { analyzePython, only, py } from './helpers';

/** Applies a fix's edits (all against the original text, as an editor does), last first. */
function apply(text: string, edits: TextEdit[]): string {
  const lines = text.split('\n');
  const offset = (line: number, character: number) => lines.slice(0, line).reduce((n, l) => n + l.length + 1, 0) + character;
  const ordered = [...edits].sort((a, b) => offset(b.range.start.line, b.range.start.character) - offset(a.range.start.line, a.range.start.character));
  let out = text;
  for (const edit of ordered) {
    out = out.slice(0, offset(edit.range.start.line, edit.range.start.character)) + edit.newText + out.slice(offset(edit.range.end.line, edit.range.end.character));
  }
  return out;
}

async function parses(text: string): Promise<boolean> {
  const tree = await parsePythonSyntaxTree(text);
  const ok = !tree.rootNode.hasError;
  tree.delete();
  return ok;
}

/** The new-lock fix of the one PY-RACE-001 finding, applied; the result must parse and be clean. */
async function fixed(name: string, text: string): Promise<{ fix: Finding['fixes'][number]; after: string }> {
  const [race, ...rest] = only(await analyzePython({ [name]: text }), 'PY-RACE-001');
  assert.ok(race && rest.length === 0);
  const fix = race.fixes[0];
  assert.ok(fix, 'a fix is offered');
  const after = apply(text, fix.edits);
  assert.ok(await parses(after), after);
  assert.deepEqual(only(await analyzePython({ [name]: after }), 'PY-RACE-001'), [], after);
  return { fix, after };
}

void describe('the new-lock fix for a race no lock guards (issue 13, item 3)', () => {
  void it('adds a module lock next to the global, imports threading, and takes the lock around the update', async () => {
    const { fix, after } = await fixed('hits.py', py`
      from threading import Thread

      hits = 0

      def work():
          global hits
          for _ in range(1000):
              hits += 1

      workers = [Thread(target=work) for _ in range(2)]
    `);
    assert.equal(fix.title, 'Guard it with a new lock, `_hits_lock`');
    assert.equal(after, py`
      from threading import Thread
      import threading

      hits = 0
      _hits_lock = threading.Lock()

      def work():
          global hits
          for _ in range(1000):
              with _hits_lock:
                  hits += 1

      workers = [Thread(target=work) for _ in range(2)]
    `);
  });

  void it('uses the name threading is imported under', async () => {
    const { after } = await fixed('alias.py', py`
      import threading as th

      total = 0

      def add():
          global total
          total += 1

      th.Thread(target=add).start()
      th.Thread(target=add).start()
    `);
    assert.match(after, /^total = 0\n_total_lock = th\.Lock\(\)$/m);
    assert.doesNotMatch(after, /^import threading$/m);
  });

  void it('adds an instance lock at the end of __init__ for self state', async () => {
    const { fix, after } = await fixed('meter.py', py`
      import threading

      class Meter:
          def __init__(self):
              self.count = 0

          def tick(self):
              self.count += 1

      meter = Meter()
      for _ in range(4):
          threading.Thread(target=meter.tick).start()
    `);
    assert.equal(fix.title, 'Guard it with a new lock, `self._count_lock`');
    assert.match(after, /self\.count = 0\n {8}self\._count_lock = threading\.Lock\(\)\n/);
    assert.match(after, /def tick\(self\):\n {8}with self\._count_lock:\n {12}self\.count \+= 1/);
  });

  void it('offers no new lock where it has no safe place (no __init__ to hold it)', async () => {
    const [race] = only(await analyzePython({
      'noinit.py': py`
        import threading

        class Meter:
            count = 0

            def tick(self):
                self.count += 1

        meter = Meter()
        for _ in range(4):
            threading.Thread(target=meter.tick).start()
      `,
    }), 'PY-RACE-001');
    assert.ok(race);
    assert.deepEqual(race.fixes, []);
  });
});
