import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { typescriptAnalyzer } from '../../../src/analyzers/typescript/index';

/**
 * Node event-race scenarios (after the NodeRacer micro-benchmarks: servers, emitters, timers,
 * file callbacks, promise fan-out, worker threads, mutexes). Each flagged line carries an
 * `// expect: RULE-ID` marker; every other line must stay silent.
 */
const folder = path.resolve('test/fixtures/typescript/node-events');
const files = readdirSync(folder)
  .sort()
  .map((name) => ({ path: path.join(folder, name), text: readFileSync(path.join(folder, name), 'utf8') }));

function expected(): string[] {
  return files.flatMap((file) =>
    file.text.split('\n').flatMap((line, index) => {
      const marker = /\/\/ expect: ([A-Z]+-[A-Z]+-\d{3})/.exec(line);
      return marker ? [`${path.basename(file.path)}:${index + 1}:${marker[1]}`] : [];
    }),
  );
}

void describe('Node event-race fixtures', () => {
  void it('flags exactly the marked lines, across all files of the run', async () => {
    const summaries = await Promise.all(files.map((file) => typescriptAnalyzer.summarize(file)));
    const findings = typescriptAnalyzer.check(summaries);
    const actual = findings.map((f) => `${path.basename(f.file)}:${f.range.start.line + 1}:${f.ruleId}`).sort();
    assert.deepEqual(actual, expected().sort());
    assert.equal(expected().length, 9, 'every marked scenario is counted');
  });
});
