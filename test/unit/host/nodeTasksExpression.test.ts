import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nodeTasksExpressionProblem, nodeTasksPrompt } from '../../../src/host/nodeTasksExpression';
import { exportedFunctions } from '../../../src/profiler/node/exported-functions';

void test('one JavaScript expression passes; a syntax error, an unfinished one or several statements are named while typing', () => {
  for (const ok of ['[200_000, 200_000]', 'Array.from({ length: 8 }, (_, i) => i)', 'make(4)', '(async function* () { yield 1; })()', '[\n  1,\n  2,\n]']) {
    assert.equal(nodeTasksExpressionProblem(ok), undefined, ok);
  }
  assert.match(nodeTasksExpressionProblem('[1, 2] +')!, /^The expression is incomplete/);
  assert.match(nodeTasksExpressionProblem('make(4')!, /^The expression is incomplete/);
  assert.equal(nodeTasksExpressionProblem('let x = [1]'), "Syntax error at column 5: ')' expected.");
  assert.match(nodeTasksExpressionProblem('[\n1,\n)2]')!, /^Syntax error at line 3, column 1: Expression or comma expected\.$/);
  assert.equal(nodeTasksExpressionProblem('[1]); globalThis.x = ([2]'), 'Enter one expression, not several statements.');
  assert.match(nodeTasksExpressionProblem('  ')!, /^Enter a JavaScript expression/);
});

const source = `import { readFile } from 'node:fs/promises';

// conclens: tasks=[1, 2]
export async function fetchOne(id: number, retries = 3) {
  return id + retries;
}

export function pair(seed: number, label: string, verbose?: boolean) {
  return seed;
}

export const sum = (values: number[]) => values.length;

export function nothing() {
  return 1;
}

export function spread(...parts: string[]) {
  return parts.length;
}
`;

void test('the prompt comes from the parameters: one value, an array of arguments, or none per task; an array argument is wrapped', () => {
  const prompt = (name: string) => nodeTasksPrompt(name, exportedFunctions(source, 'job.ts').find((f) => f.name === name)!.parameters);
  assert.equal(prompt('fetchOne').text, 'fetchOne(id, retries): one value of id per task (an array is spread as the arguments), e.g. Array.from({ length: 8 }, () => 100_000)');
  assert.equal(prompt('pair').text, "pair(seed, label, verbose): one array [seed, label] of arguments per task, e.g. Array.from({ length: 8 }, () => [100_000, 'text'])");
  assert.equal(prompt('sum').example, 'Array.from({ length: 8 }, () => [[1, 2, 3]])', 'an array argument is not spread');
  assert.equal(prompt('nothing').text, 'nothing(): no arguments: one empty array per task, e.g. Array.from({ length: 8 }, () => [])');
  assert.equal(prompt('spread').text, 'spread(...parts): no arguments: one empty array per task, e.g. Array.from({ length: 8 }, () => [])');
  for (const name of ['fetchOne', 'pair', 'sum', 'nothing', 'spread']) assert.equal(nodeTasksExpressionProblem(prompt(name).example), undefined, `the example for ${name} is itself valid`);
});

void test('the tasks comment of an exported function is found with its line, to be replaced in place', () => {
  const found = exportedFunctions(source, 'job.ts');
  assert.deepEqual(
    found.map((f) => [f.name, f.line, f.tasksLine]),
    [
      ['fetchOne', 3, 2],
      ['pair', 7, null],
      ['sum', 11, null],
      ['nothing', 13, null],
      ['spread', 17, null],
    ],
  );
});
