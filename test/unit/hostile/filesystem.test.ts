import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, symlinkSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { analyzePaths } from '../../../src/analyzers/engine';
import { RACE_FIXTURE } from '../engine/helpers';
import { hostileCases } from './tally';
import { hostileWorkspace } from './workspace';

const hostile = hostileCases('file system');
const race = readFileSync(RACE_FIXTURE, 'utf8');
const config = { rules: {}, exclude: [] };

function withSpecialFiles(): string {
  const root = hostileWorkspace({ 'racy.py': race });
  execFileSync('mkfifo', [path.join(root, 'pipe.py')]);
  symlinkSync('/dev/zero', path.join(root, 'zero.py'));
  symlinkSync('/dev/urandom', path.join(root, 'random.py'));
  return root;
}

const summary = (result: Awaited<ReturnType<typeof analyzePaths>>) => ({
  notices: result.notices.map((n) => [path.basename(n.file), n.message]),
  racy: result.findings.filter((f) => f.ruleId === 'PY-RACE-001').map((f) => path.basename(f.file)),
  notAnalyzed: result.notAnalyzed,
});

for (const workers of [0, 1]) {
  hostile(`a FIFO and links to /dev/zero and /dev/urandom given by name: a notice each, never a read (workers: ${workers})`, async () => {
    const root = withSpecialFiles();
    const result = await analyzePaths(['pipe.py', 'zero.py', 'random.py', 'racy.py'], { config, root, workers });
    assert.deepEqual(summary(result), {
      notices: [
        ['pipe.py', 'skipped: a FIFO (named pipe), not a regular file'],
        ['random.py', 'skipped: a character device, not a regular file'],
        ['zero.py', 'skipped: a character device, not a regular file'],
      ],
      racy: ['racy.py'],
      notAnalyzed: 3,
    });
  });
}

hostile('the same inside a walked directory are not source files: skipped without a read', async () => {
  const result = await analyzePaths(['.'], { config, root: withSpecialFiles(), workers: 0 });
  assert.deepEqual(summary(result), { notices: [], racy: ['racy.py'], notAnalyzed: 0 });
});

hostile('a file that reports no size (procfs) is still held to the size limit while it is read', async () => {
  const root = hostileWorkspace({ 'racy.py': race });
  symlinkSync('/proc/self/maps', path.join(root, 'maps.py'));
  const result = await analyzePaths(['.'], { config: { ...config, maxFileBytes: 1024 }, root, workers: 0 });
  assert.deepEqual(summary(result), {
    notices: [['maps.py', 'skipped: more than 1.0 KB is over the 1.0 KB size limit (maxFileBytes)']],
    racy: ['racy.py'],
    notAnalyzed: 1,
  });
});

hostile('a directory that vanishes during the walk is a notice; every directory is listed once', async () => {
  const root = hostileWorkspace({ 'racy.py': race, 'churn/tmp/racy.py': race, 'keep/racy.py': race });
  const listed: string[] = [];
  const readDirectory = (dir: string) => {
    listed.push(path.relative(root, dir));
    // Another process removes the directory after its parent was listed, before it is read.
    if (path.basename(dir) === 'churn') rmSync(dir, { recursive: true });
    return readdir(dir, { withFileTypes: true });
  };
  const result = await analyzePaths(['.'], { config, root, workers: 0, readDirectory });
  assert.deepEqual(summary(result), {
    notices: [['churn', 'skipped directory: it vanished during the walk (ENOENT)']],
    racy: ['racy.py', 'racy.py'],
    notAnalyzed: 1,
  });
  assert.deepEqual(listed.sort(), ['', 'churn', 'keep']);
});
