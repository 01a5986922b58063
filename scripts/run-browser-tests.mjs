// Browser tests of the standalone report in headless Chromium (playwright-core drives the
// system /usr/bin/chromium, installed first when missing). Builds first so the report inlines
// the current bundle.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { ensureChromium } from './ensure-test-deps.mjs';

try {
  ensureChromium();
} catch (error) {
  console.error(error.message);
  process.exit(1);
}

const build = spawnSync(process.execPath, ['esbuild.mjs'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const filters = process.argv.slice(2);
const files = readdirSync('test/browser')
  .filter((name) => name.endsWith('.test.ts'))
  .map((name) => path.join('test/browser', name))
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)));
if (files.length === 0) {
  console.error(`No browser test file in test/browser matches ${filters.join(', ')}.`);
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
