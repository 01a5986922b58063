import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { findPythonInterpreter } from '../../../src/profiler/interpreter';
import { scratchDir } from '../scratch';

/** An executable that answers the version handshake the way an interpreter of `version` would. */
function fakePython(dir: string, name: string, version: string): void {
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\necho conclens-python ${version}\n`);
  chmodSync(file, 0o755);
}

void test('finds python3 on PATH and reads its version', async () => {
  const result = await findPythonInterpreter();
  assert.ok(result.ok, result.ok ? '' : result.message);
  assert.match(result.interpreter.version, /^3\.\d+\.\d+$/);
});

void test('refuses an interpreter older than 3.9 and says why', async () => {
  const dir = scratchDir('conclens-py-');
  fakePython(dir, 'python3', '3.8.10');
  const result = await findPythonInterpreter({ envPath: dir });
  assert.equal(result.ok, false);
  assert.match(result.ok ? '' : result.message, /python3 is Python 3\.8\.10.*needs Python 3\.9 or newer/);
});

void test('falls back to python when python3 is missing; nothing on PATH is a clear message', async () => {
  const dir = scratchDir('conclens-py-');
  fakePython(dir, 'python', '3.12.1');
  const found = await findPythonInterpreter({ envPath: dir });
  assert.deepEqual(found, { ok: true, interpreter: { path: path.join(dir, 'python'), version: '3.12.1' } });
  const none = await findPythonInterpreter({ envPath: scratchDir('conclens-empty-') });
  assert.match(none.ok ? '' : none.message, /neither python3 nor python is on PATH/);
});

void test('a program that is not Python is refused by the handshake, not taken for "Python "', async () => {
  const echo = await findPythonInterpreter({ configured: '/bin/echo' });
  assert.equal(echo.ok, false);
  assert.match(echo.ok ? '' : echo.message, /^\/bin\/echo is not a Python interpreter: it did not answer the version handshake; profiling needs Python 3\.9 or newer\.$/);
  const failing = await findPythonInterpreter({ configured: '/bin/false' });
  assert.match(failing.ok ? '' : failing.message, /\/bin\/false is not a Python interpreter/);
});
