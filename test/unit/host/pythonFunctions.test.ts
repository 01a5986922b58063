import assert from 'node:assert/strict';
import { test } from 'node:test';
import { enclosingFunction, topLevelFunctions } from '../../../src/host/pythonFunctions';

const SOURCE = [
  'import os',            // 0
  '',                     // 1
  '# conclens: tasks=[1]', // 2
  'def work(n):',         // 3
  '    total = 0',        // 4
  '',                     // 5
  '    def helper(x):',   // 6
  '        return x',     // 7
  '    return total',     // 8
  '',                     // 9
  'class Pool:',          // 10
  '    def run(self):',   // 11
  '        return 1',     // 12
  '',                     // 13
  'async def fetch():',   // 14
  '    pass',             // 15
  'x = 1',                // 16
].join('\n');

void test('topLevelFunctions lists module-level defs only, async included', () => {
  assert.deepEqual(topLevelFunctions(SOURCE), [
    { name: 'work', line: 3 },
    { name: 'fetch', line: 14 },
  ]);
});

void test('the cursor on the def line, in the body, or on a blank line inside the body finds the top-level function', () => {
  for (const line of [3, 4, 5, 8]) assert.deepEqual(enclosingFunction(SOURCE, line), { kind: 'topLevel', name: 'work', line: 3 }, `line ${line}`);
});

void test('a sibling nested def above the cursor does not capture it', () => {
  assert.deepEqual(enclosingFunction(SOURCE, 8), { kind: 'topLevel', name: 'work', line: 3 });
});

void test('methods and nested functions are told apart, with what encloses them', () => {
  assert.deepEqual(enclosingFunction(SOURCE, 12), { kind: 'method', name: 'run', line: 11, className: 'Pool' });
  assert.deepEqual(enclosingFunction(SOURCE, 7), { kind: 'nested', name: 'helper', line: 6, outer: 'work' });
});

void test('module-level statements and out-of-range lines have no enclosing function', () => {
  assert.equal(enclosingFunction(SOURCE, 0), undefined);
  assert.equal(enclosingFunction(SOURCE, 10), undefined);
  assert.equal(enclosingFunction(SOURCE, 16), undefined);
  assert.equal(enclosingFunction(SOURCE, 99), undefined);
});
