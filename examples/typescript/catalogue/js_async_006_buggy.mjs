// External-resource check-then-act: "does the file exist?" and "then create it" are two async
// calls; two concurrent calls both see no file and both write it, the second overwriting the first.
import { mkdtemp, readFile, rm, writeFile, access } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const exists = (file) => access(file).then(() => true, () => false);

export async function claim(file, owner) {
  if (!(await exists(file))) {
    await writeFile(file, owner); // expect: JS-ASYNC-006
    return true;
  }
  return false;
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'conclens-claim-'));
const lockFile = path.join(dir, 'owner');
const claimed = await Promise.all([claim(lockFile, 'first'), claim(lockFile, 'second')]);
console.log(`both think they own it: ${claimed.every(Boolean)}; the file says ${await readFile(lockFile, 'utf8')}`);
await rm(dir, { recursive: true });
