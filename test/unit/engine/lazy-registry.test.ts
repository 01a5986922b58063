import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzePaths } from '../../../src/analyzers/engine';
import { analyzerForPath } from '../../../src/analyzers/index';
import { copyFixture, RACE_FIXTURE, tempWorkspace } from './helpers';

const typescriptLoaded = () => Object.keys(require.cache).some((file) => /[\\/]typescript[\\/]lib[\\/]typescript\.js$/.test(file));

void test('a Python-only run never loads the TypeScript compiler; a .ts file does', async () => {
  const root = tempWorkspace();
  copyFixture(RACE_FIXTURE, root, 'race.py');
  const result = await analyzePaths(['.'], { config: { rules: {}, exclude: [] }, root, workers: 0 });
  assert.ok(result.findings.length > 0);
  assert.equal(typescriptLoaded(), false);
  assert.equal(analyzerForPath('/p/a.TSX')?.language, 'javascript', 'extension lookup needs no loading');
  assert.equal(typescriptLoaded(), false);
  await analyzerForPath('/p/a.ts')!.summarize({ path: '/p/a.ts', text: 'export const x = 1;\n' });
  assert.equal(typescriptLoaded(), true);
});
