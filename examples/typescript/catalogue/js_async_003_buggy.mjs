// A stale snapshot decides a write: `start` reads the job status, awaits a save, then acts on
// the status it read before the await. Three concurrent starts all saw 'idle' and all start it.
import { sleep } from '../sleep.mjs';

const job = { status: 'idle', starts: 0 };

export async function start() {
  const seen = job.status;
  await sleep(10);
  if (seen === 'idle') job.status = 'running'; // expect: JS-ASYNC-003
  if (seen === 'idle') job.starts += 1;
}

await Promise.all([start(), start(), start()]);
console.log(`job started ${job.starts} times (once was intended)`);
