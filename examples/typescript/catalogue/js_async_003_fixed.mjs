// The fix: decide and act before the await, in one synchronous step, so no other call can see
// the old status in between.
import { sleep } from '../sleep.mjs';

const job = { status: 'idle', starts: 0 };

export async function start() {
  if (job.status !== 'idle') return;
  job.status = 'running';
  job.starts += 1;
  await sleep(10);
}

await Promise.all([start(), start(), start()]);
console.log(`job started ${job.starts} time(s)`);
