import assert from 'node:assert/strict';
import { symlinkSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { discoverFiles, PathNotFoundError } from '../../../src/analyzers/discover';
import { tempWorkspace } from './helpers';

const layout = {
  'app/main.py': '',
  'app/util.py': '',
  'app/README.md': '',
  'app/__pycache__/main.cpython-311.py': '',
  '.git/hooks/pre-commit.py': '',
  'node_modules/pkg/x.py': '',
  '.venv/lib/site.py': '',
  'venv/lib/site.py': '',
  'myenv/pyvenv.cfg': 'home = /usr/bin',
  'myenv/lib/site.py': '',
  'env/bin/activate': '',
  'env/lib/site.py': '',
  'environment/keep.py': '',
  'build/gen.py': '',
  'proto/api_pb2.py': '',
  'proto/api.py': '',
};

function relative(root: string, files: string[]): string[] {
  return files.map((f) => path.relative(root, f).split(path.sep).join('/'));
}

void test('walks directories, skipping tool, dependency and virtualenv directories', async () => {
  const root = tempWorkspace(layout);
  const files = await discoverFiles(['.'], { root, exclude: [] });
  assert.deepEqual(relative(root, files), [
    'app/main.py',
    'app/util.py',
    'build/gen.py',
    'environment/keep.py',
    'proto/api.py',
    'proto/api_pb2.py',
  ]);
});

void test('exclude globs: a directory glob and a basename glob', async () => {
  const root = tempWorkspace(layout);
  const files = await discoverFiles([root], { root, exclude: ['build/**', '*_pb2.py'] });
  assert.deepEqual(relative(root, files), ['app/main.py', 'app/util.py', 'environment/keep.py', 'proto/api.py']);
});

void test('a bare directory name as exclude skips that directory', async () => {
  const root = tempWorkspace(layout);
  const files = await discoverFiles(['.'], { root, exclude: ['app'] });
  assert.ok(!relative(root, files).some((f) => f.startsWith('app/')));
  assert.ok(relative(root, files).includes('proto/api.py'));
});

void test('explicit files are taken as given, duplicates collapse, unsupported types are ignored', async () => {
  const root = tempWorkspace(layout);
  const files = await discoverFiles(['app/main.py', 'app', 'app/README.md'], { root, exclude: [] });
  assert.deepEqual(relative(root, files), ['app/main.py', 'app/util.py']);
});

void test('a missing path is a PathNotFoundError naming it', async () => {
  const root = tempWorkspace(layout);
  await assert.rejects(discoverFiles(['nope'], { root, exclude: [] }), (error: unknown) => {
    assert.ok(error instanceof PathNotFoundError);
    assert.equal(error.message, 'path not found: nope');
    return true;
  });
});

void test('a symbolic link cycle does not trap the walk', async () => {
  const root = tempWorkspace({ 'pkg/a.py': '' });
  symlinkSync(root, path.join(root, 'pkg', 'loop'));
  symlinkSync(path.join(root, 'pkg', 'a.py'), path.join(root, 'link.py'));
  const files = await discoverFiles(['.'], { root, exclude: [] });
  assert.deepEqual(relative(root, files), ['link.py', 'pkg/a.py']);
});
