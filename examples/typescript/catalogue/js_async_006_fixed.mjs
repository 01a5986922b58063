// The fix: no separate check. `writeFile` with flag 'wx' creates the file only if it does not
// exist, atomically in the file system, and fails with EEXIST otherwise.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export async function claim(file, owner) {
  try {
    await writeFile(file, owner, { flag: 'wx' });
    return true;
  } catch (error) {
    if (error.code === 'EEXIST') return false;
    throw error;
  }
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'conclens-claim-'));
const lockFile = path.join(dir, 'owner');
const claimed = await Promise.all([claim(lockFile, 'first'), claim(lockFile, 'second')]);
console.log(`claims: ${claimed.join(', ')}; the file says ${await readFile(lockFile, 'utf8')}`);
await rm(dir, { recursive: true });
