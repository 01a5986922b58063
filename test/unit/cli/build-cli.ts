import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { webTreeSitterCjs } from '../../../scripts/esbuild-plugins.mjs';

/**
 * Bundles the CLI and the analyzer worker the way esbuild.mjs does for dist/, into a folder of
 * this test file's own (`name`): the tests then run `node cli.js` as a user would, from current
 * sources, without touching dist/ (other targets may be mid-edit) and without racing the other
 * test files that build it at the same time.
 */
export async function buildCli(name = 'unit-cli'): Promise<string> {
  const outdir = path.resolve('out', name);
  mkdirSync(outdir, { recursive: true });
  const common: esbuild.BuildOptions = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', outdir, logLevel: 'error', plugins: [webTreeSitterCjs] };
  await Promise.all([
    esbuild.build({ ...common, entryPoints: { cli: 'src/cli.ts' }, banner: { js: '#!/usr/bin/env node' } }),
    esbuild.build({ ...common, entryPoints: { 'analyzer-worker': 'src/analyzers/worker.ts' } }),
  ]);
  for (const asset of ['web-tree-sitter/tree-sitter.wasm', 'tree-sitter-python/tree-sitter-python.wasm']) {
    const file = require.resolve(asset);
    cpSync(file, path.join(outdir, path.basename(file)));
  }
  // The bundled TypeScript compiler reads its default libraries from next to the bundle (as in dist/).
  const tsLib = path.dirname(require.resolve('typescript/lib/lib.d.ts'));
  for (const name of readdirSync(tsLib)) if (/^lib(\..*)?\.d\.ts$/.test(name)) cpSync(path.join(tsLib, name), path.join(outdir, name));
  return path.join(outdir, 'cli.js');
}
