// Entry point VS Code loads as `extensionTestsPath`: runs the mocha suites built next to this
// file and writes a result file, because the browser-hosted server reports exit code 0 even
// when run() throws (see ../../../shared/docs/vscode-e2e.md). The driver scripts read it.
import Mocha from 'mocha';
import { readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Env vars set by scripts/run-integration.mjs (the names are repeated there). */
export const RESULT_FILE_ENV = 'CONCLENS_TEST_RESULT';
export const GREP_ENV = 'CONCLENS_TEST_GREP';
export const INVERT_GREP_ENV = 'CONCLENS_TEST_INVERT_GREP';

export interface TestRunResult {
  passed: number;
  failed: number;
  failures: { title: string; error: string }[];
}

/** Where the result goes without the driver (the "Extension Tests" launch configuration). */
const DEFAULT_RESULT_FILE = path.join(os.tmpdir(), 'conclens-integration-result.json');

function writeResult(result: TestRunResult): void {
  const file = process.env[RESULT_FILE_ENV] ?? DEFAULT_RESULT_FILE;
  writeFileSync(file, JSON.stringify(result, null, 2));
  console.log(`Integration result: ${result.passed} passed, ${result.failed} failed (${file})`);
}

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 30_000, reporter: 'spec' });
  const grep = process.env[GREP_ENV];
  if (grep) mocha.grep(grep);
  if (grep && process.env[INVERT_GREP_ENV] === '1') mocha.invert();
  for (const name of readdirSync(__dirname).sort()) {
    if (name.endsWith('.test.js')) mocha.addFile(path.join(__dirname, name));
  }

  const result: TestRunResult = { passed: 0, failed: 0, failures: [] };
  try {
    await new Promise<void>((resolve) => {
      const runner = mocha.run(() => resolve());
      runner.on('pass', () => (result.passed += 1));
      runner.on('fail', (test, error: Error) => {
        result.failed += 1;
        result.failures.push({ title: test.fullTitle(), error: error.stack ?? error.message });
      });
    });
  } catch (error) {
    result.failed += 1;
    result.failures.push({ title: 'loading the suites', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
  writeResult(result);
  if (result.failed > 0) throw new Error(`${result.failed} integration test(s) failed`);
}
