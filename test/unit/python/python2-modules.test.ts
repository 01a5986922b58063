import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { collectFileNotes } from '../../../src/analyzers/analyzer-signals';
import { pythonAnalyzer } from '../../../src/analyzers/python';
import { analyzePython, ids, py } from './helpers';

// A debugging middleware left over from Python 2: it imports cStringIO at the top, so Python 3
// cannot import it and none of its code runs.
const middleware = (imports: string) => py`
  import threading
  ${imports}

  class PrintDebug:
      def __init__(self):
          self._lock = threading.Lock()
          self.seen = {}

      def __call__(self, environ, start_response):
          path = environ.get('PATH_INFO')
          if path not in self.seen:
              self.seen[path] = len(self.seen)
          return []

      def reset(self):
          with self._lock:
              self.seen.clear()
`;

void describe('files that import a module only Python 2 has', () => {
  void it('are not checked, and say why', async () => {
    assert.deepEqual(ids(await analyzePython({ 'prints.py': middleware('from cStringIO import StringIO') })), []);
    const { notes } = await collectFileNotes(() => pythonAnalyzer.summarize({ path: '/project/prints.py', text: middleware('import urllib2, sys') }));
    assert.deepEqual(notes, ['imports `urllib2`, a module of Python 2 that Python 3 does not have: the file cannot run on Python 3, so its code is not checked']);
  });

  void it('are checked when the import is guarded or the module is Python 3\'s', async () => {
    assert.ok(ids(await analyzePython({ 'prints.py': middleware('from io import StringIO') })).includes('PY-RACE-002'));
    const guarded = 'try:\n      from cStringIO import StringIO\n  except ImportError:\n      from io import StringIO';
    assert.ok(ids(await analyzePython({ 'prints.py': middleware(guarded) })).includes('PY-RACE-002'));
  });
});
