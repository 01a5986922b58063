// Node 20's test runner does not expand globs, so list the unit test files here and hand
// them to `node --test` with tsx loading the TypeScript sources directly.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(full);
    return entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

const filters = process.argv.slice(2);
const files = testFiles('test/unit').filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error(`no unit test file matches ${filters.join(', ')}`);
  process.exit(2);
}
// The profiler's real runs measure the machine (GIL hand-offs, speedups, lock waits): they run
// after the others, one file at a time, so that no other test file's load distorts them.
const measuring = (file) => file.startsWith(path.join('test', 'unit', 'profiler') + path.sep);
const batches = [
  { files: files.filter((f) => !measuring(f)), concurrency: 2 },
  { files: files.filter(measuring), concurrency: 1 },
].filter((batch) => batch.files.length > 0);
let status = 0;
for (const batch of batches) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${batch.concurrency}`, ...batch.files], {
    stdio: 'inherit',
  });
  status ||= result.status ?? 1;
}
process.exit(status);
