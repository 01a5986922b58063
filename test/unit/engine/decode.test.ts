import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { countLines, decodeSource, readSource } from '../../../src/analyzers/decode';
import { tempWorkspace } from './helpers';

void test('invalid UTF-8 decodes with replacement characters', () => {
  const decoded = decodeSource(Uint8Array.from([0x78, 0x20, 0x3d, 0x20, 0xff, 0xfe, 0x31, 0x0a]));
  assert.deepEqual(decoded, { ok: true, text: 'x = \ufffd\ufffd1\n' });
});

void test('NUL bytes mean binary', () => {
  const decoded = decodeSource(Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 0x00, 0x01]));
  assert.equal(decoded.ok, false);
  assert.match(decoded.ok ? '' : decoded.message, /binary/);
});

void test('UTF-16 with a byte-order mark is text, the BOM of UTF-8 is dropped', () => {
  assert.deepEqual(decodeSource(Buffer.from('\ufeffx = 1\n', 'utf16le')), { ok: true, text: 'x = 1\n' });
  assert.deepEqual(decodeSource(Buffer.from('\ufeffx = 1\n', 'utf8')), { ok: true, text: 'x = 1\n' });
});

void test('readSource refuses files over the limit and unreadable paths', async () => {
  const dir = tempWorkspace({ 'big.py': 'x = 1\n'.repeat(1000) });
  const big = await readSource(path.join(dir, 'big.py'), 100);
  assert.ok(!big.ok && /skipped: 5\.9 KB is over the 100 bytes size limit \(maxFileBytes\)/.test(big.message), JSON.stringify(big));
  const missing = await readSource(path.join(dir, 'missing.py'), 100);
  assert.ok(!missing.ok && /ENOENT/.test(missing.message));
  assert.deepEqual(await readSource(path.join(dir, 'big.py'), 1e6), { ok: true, text: 'x = 1\n'.repeat(1000) });
});

void test('countLines: LF, CRLF, CR, final break, empty', () => {
  assert.equal(countLines(''), 0);
  assert.equal(countLines('a'), 1);
  assert.equal(countLines('a\n'), 1);
  assert.equal(countLines('a\nb'), 2);
  assert.equal(countLines('a\r\nb\r\n'), 2);
  assert.equal(countLines('a\rb\rc'), 3);
  assert.equal(countLines('\n\n'), 2);
});
