import assert from 'node:assert/strict';
import { test } from 'node:test';
import { functionParameters, tasksCommentPlace, tasksExpressionProblem, tasksPrompt } from '../../../src/host/tasksExpression';

void test('one Python expression passes; a syntax error or a statement is named while typing', async () => {
  for (const ok of ['[200_000] * 8', 'range(8)', '[(1, 60_000)] * 8', '[{"n": 3}] * 2', '1, 2', 'lambda: 1', '[\n  1,\n  2,\n]', '(x := 3)']) {
    assert.equal(await tasksExpressionProblem(ok), undefined, ok);
  }
  assert.match((await tasksExpressionProblem('[200_000] * 8 +'))!, /^The expression is incomplete/);
  assert.match((await tasksExpressionProblem('range(8'))!, /^The expression is incomplete/);
  assert.match((await tasksExpressionProblem('f(x) for x in y'))!, /^Syntax error at column 1: /);
  assert.match((await tasksExpressionProblem('x = [1] * 8'))!, /^That is a statement \(assignment\), not an expression\.$/);
  assert.match((await tasksExpressionProblem('import os'))!, /^That is a statement \(import statement\)/);
  assert.match((await tasksExpressionProblem('a; b'))!, /^Enter one expression, not several statements\.$/);
  assert.match((await tasksExpressionProblem('   '))!, /^Enter a Python expression/);
});

const source = `import zlib


# conclens: tasks=[1] * 2
@functools.cache
def cached(n):
    return n


def checksum(n):
    return zlib.crc32(bytes(n))


def pair(seed: int, size: int, label: str = "x"):
    return seed


async def keyword(*, rounds: float, name: str):
    return rounds


def nothing():
    return 1


def optional(limit=5_000, *rest, **options):
    return limit


def untyped(blob: Blob):
    return blob
`;

void test('the prompt comes from the signature: one value, a tuple, keywords, or nothing per task', async () => {
  const prompt = async (name: string) => tasksPrompt(name, (await functionParameters(source, name))!).text;
  assert.equal(await prompt('checksum'), 'checksum(n): one value of n per task, e.g. [100_000] * 8');
  assert.equal(await prompt('pair'), 'pair(seed, size, label): one tuple (seed, size) per task, e.g. [(100_000, 100_000)] * 8');
  assert.equal(await prompt('keyword'), "keyword(rounds, name): one dict of keyword arguments per task, e.g. [{'rounds': 1.0, 'name': 'text'}] * 8");
  assert.equal(await prompt('nothing'), 'nothing(): no arguments: one empty tuple per task, e.g. [()] * 8');
  assert.equal(await prompt('optional'), 'optional(limit, *rest, **options): one value of limit per task, e.g. [5_000] * 8');
  assert.equal(await prompt('untyped'), 'untyped(blob): one value of blob per task, e.g. [...] * 8');
  assert.equal(await prompt('cached'), 'cached(n): one value of n per task, e.g. [100_000] * 8');
  assert.equal(await functionParameters(source, 'missing'), undefined);
  for (const name of ['checksum', 'pair', 'keyword', 'nothing', 'optional']) {
    const { example } = tasksPrompt(name, (await functionParameters(source, name))!);
    assert.equal(await tasksExpressionProblem(example), undefined, `the example for ${name} is itself valid: ${example}`);
  }
});

void test('the tasks comment goes above the decorators, or replaces the one that is there', () => {
  assert.deepEqual(tasksCommentPlace(source, 'checksum'), { line: 9, replace: false });
  assert.deepEqual(tasksCommentPlace(source, 'cached'), { line: 3, replace: true });
  assert.deepEqual(tasksCommentPlace(source.replace('# conclens: tasks=[1] * 2\n', ''), 'cached'), { line: 3, replace: false });
  assert.equal(tasksCommentPlace(source, 'missing'), undefined);
});
