import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkTrace } from '../../../src/shared/trace-schema';
import { run, task, trace } from '../webview/trace-fixture';

const valid = () => trace([run('thread', 2, [task(0, 1, 0, 5)])]);

void test('a trace that matches schema/trace.schema.json is returned as is', () => {
  const document = JSON.parse(JSON.stringify(valid()));
  assert.equal(checkTrace(document, 'ok.json'), document);
});

void test('documents that break the schema are refused in one line naming the file and the first fault', () => {
  const cases: [unknown, RegExp][] = [
    [{ ...valid(), runs: [null] }, /^bad\.json is not a valid Concurrency Lens trace \(schema\/trace\.schema\.json\): runs\/0: must be object\.$/],
    [{ ...valid(), faults: [null] }, /: faults\/0: must be object\.$/],
    [{ target: {}, runs: [] }, /: the document: must have required property 'version'\.$/],
    [{ ...valid(), target: {} }, /: target: must have required property 'file'\.$/],
    [{ ...valid(), verdict: { ...valid().verdict, recommendation: 'fibers' } }, /: verdict: must be null\.$|: verdict: must be object\.$/],
    [{ ...valid(), runs: [{ ...valid().runs[0], kind: 'fiber' }] }, /: runs\/0\/kind: must be equal to one of the allowed values \(one of "serial", "thread", "process", "async", "dask"\)\.$/],
    [{ ...valid(), ['x'.repeat(5000)]: 1 }, /: the document: must NOT have additional properties "x{79}…"\.$/],
    [[], /: the document: must be object\.$/],
    [null, /: the document: must be object\.$/],
  ];
  for (const [document, message] of cases) {
    assert.throws(() => checkTrace(document, 'bad.json'), (error: Error) => {
      assert.match(error.message, message);
      assert.doesNotMatch(error.message, /\n/);
      return true;
    });
  }
});

void test('another trace version is named as such, not as a schema fault', () => {
  assert.throws(() => checkTrace({ ...valid(), version: 2 }, 'new.json'), { message: /^new\.json is a trace of version 2; this version of Concurrency Lens reads version 1\.$/ });
});
