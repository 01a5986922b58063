import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dedupeEdges, findCycles } from '../../../src/profiler/lock-order';
import type { LockOrderEdge } from '../../../src/shared/trace';

const edge = (from: number, to: number, line = 1): LockOrderEdge => ({
  from: { file: 'm.py', line: from },
  to: { file: 'm.py', line: to },
  pid: 1,
  tid: 2,
  stack: [{ file: 'm.py', line, function: 'f' }],
});

void test('ABBA: one cycle with both acquisition stacks', () => {
  const cycles = findCycles([edge(3, 4, 10), edge(4, 3, 20)]);
  assert.equal(cycles.length, 1);
  assert.deepEqual(cycles[0].edges.map((e) => e.stack[0].line), [10, 20]);
});

void test('a three-lock cycle is found once; a consistent order has none', () => {
  assert.equal(findCycles([edge(1, 2), edge(2, 3), edge(3, 1)]).length, 1);
  assert.deepEqual(findCycles([edge(1, 2), edge(2, 3), edge(1, 3)]), []);
});

void test('the first observation of an ordered pair is kept as evidence', () => {
  const edges = dedupeEdges([edge(1, 2, 5), edge(1, 2, 6), edge(2, 1, 7)]);
  assert.deepEqual(edges.map((e) => e.stack[0].line), [5, 7]);
});
