import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzePython, only, py } from './helpers';

const RACY = py`
  import threading
  hits = 0

  def work():
      global hits
      hits += 1

  for _ in range(2):
      threading.Thread(target=work).start()
`;

void describe('hostile input', () => {
  void it('handles an empty file and a file of only comments', async () => {
    assert.deepEqual(await analyzePython({ 'empty.py': '', 'comments.py': '# nothing\n# here\n' }), []);
  });

  void it('analyzes what parses around syntax errors and never throws', async () => {
    const broken = `${RACY}\ndef oops(:\n    return ]]\nclass\n`;
    const findings = await analyzePython({ 'broken.py': broken, 'garbage.py': ')))((( def class with :::\n\x00\x01' });
    assert.equal(only(findings, 'PY-RACE-001').length, 1);
  });

  void it('survives 5,000-deep parentheses and 400-deep nested blocks', async () => {
    const parens = `x = ${'('.repeat(5000)}1${')'.repeat(5000)}\n`;
    let nested = '';
    for (let i = 0; i < 400; i++) nested += `${' '.repeat(i)}if x:\n`;
    nested += `${' '.repeat(400)}pass\n`;
    const findings = await analyzePython({ 'parens.py': parens, 'nested.py': `x = 1\n${nested}`, 'racy.py': RACY });
    assert.equal(only(findings, 'PY-RACE-001').length, 1);
  });

  // A function of 60,000 statements finishes in linear time (the timing is in `npm run
  // bench:analyze`); started on two threads, it is one race: one finding on the first line,
  // twenty more sites as related locations and a count of the rest.
  void it('analyzes a 60,000-line function, alone and run by two threads', async () => {
    const body = '    counter += 1\n'.repeat(60_000);
    const plain = await analyzePython({ 'long.py': `counter = 0\n\ndef bump():\n    global counter\n${body}` });
    assert.deepEqual(plain, []);
    const started = await analyzePython({
      'long.py': `import threading\n\ncounter = 0\n\ndef bump():\n    global counter\n${body}\nfor _ in range(2):\n    threading.Thread(target=bump).start()\n`,
    });
    const races = only(started, 'PY-RACE-001');
    assert.equal(races.length, 1);
    assert.equal(races[0].range.start.line, 6);
    const sites = races[0].related.filter((r) => r.message.startsWith('the same update'));
    assert.equal(sites.length, 20);
    assert.match(sites[19].message, /\(and 59979 more in this function\)$/);
  });

  void it('reports the same positions with CRLF line endings', async () => {
    const crlf = RACY.replace(/\n/g, '\r\n');
    const [lf] = await analyzePython({ 'lf.py': RACY });
    const [withCr] = await analyzePython({ 'crlf.py': crlf });
    assert.ok(lf && withCr);
    assert.deepEqual(withCr.range, lf.range);
  });

  void it('counts columns in UTF-16 code units on lines with non-ASCII text', async () => {
    const src = py`
      import threading
      größe = 0

      def work():
          global größe
          x = "😀é"; größe += 1

      for _ in range(2):
          threading.Thread(target=work).start()
    `;
    const [finding] = only(await analyzePython({ 'utf.py': src }), 'PY-RACE-001');
    assert.ok(finding);
    const line = src.split('\n')[5]!;
    assert.equal(finding.range.start.character, line.indexOf('größe +='));
    assert.equal(finding.range.end.character, line.indexOf('größe +=') + 'größe += 1'.length);
  });

  void it('analyzes tab-indented code', async () => {
    const tabs = RACY.replace(/^ {4}/gm, '\t');
    assert.equal(only(await analyzePython({ 'tabs.py': tabs }), 'PY-RACE-001').length, 1);
  });

  void it('does not let state keys collide with Object.prototype names', async () => {
    const src = py`
      import threading
      constructor = 0
      toString = {}

      def work():
          global constructor
          constructor += 1
          toString['a'] = 1

      for _ in range(2):
          threading.Thread(target=work).start()
    `;
    assert.equal(only(await analyzePython({ 'proto.py': src }), 'PY-RACE-001').length, 1);
  });

  void it('is stable under unrelated edits elsewhere in the file', async () => {
    const before = await analyzePython({ 'stable.py': RACY });
    const edited = `${RACY}\n\ndef unrelated():\n    y = [i for i in range(3)]\n    return y\n`;
    const after = await analyzePython({ 'stable.py': edited });
    assert.deepEqual(after, before);
  });
});

void it('treats calls named like Object.prototype members as ordinary calls', async () => {
  const src = py`
    import threading

    def work():
        x = constructor()
        y = obj.toString()
        z = hasOwnProperty(x, y)
        return x, y, z

    threading.Thread(target=work).start()
  `;
  assert.deepEqual(await analyzePython({ 'names.py': src }), []);
});
