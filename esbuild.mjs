// One esbuild entry per target (see ../shared/docs/architecture.md): the extension and the
// analyzer worker run in the extension host (node, cjs, `vscode` external), the CLI runs in
// plain node, and the in-host test suites are built next to them so VS Code can load them.
import * as esbuild from 'esbuild';
import { cp, mkdir, readdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { nodeHarnessEntries, webTreeSitterCjs } from './scripts/esbuild-plugins.mjs';
import { buildIconFont } from './scripts/icon-font.mjs';

const require = createRequire(import.meta.url);
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

/** Assets loaded at run time from next to the bundle: the tree-sitter runtime and grammar. */
const assets = [
  require.resolve('web-tree-sitter/tree-sitter.wasm'),
  require.resolve('tree-sitter-python/tree-sitter-python.wasm'),
];

async function copyAssets() {
  await mkdir('dist', { recursive: true });
  for (const file of assets) await cp(file, path.join('dist', path.basename(file)));
  // The bundled TypeScript compiler looks for its default libraries (lib.es2022.d.ts, ...) next
  // to the running bundle; without them the type-aware mode knows no SharedArrayBuffer.
  const tsLib = path.dirname(require.resolve('typescript/lib/lib.d.ts'));
  for (const name of await readdir(tsLib)) {
    if (/^lib(\..*)?\.d\.ts$/.test(name)) await cp(path.join(tsLib, name), path.join('dist', name));
  }
  await writeFile(path.join('dist', 'conclens-icons.ttf'), buildIconFont());
  if (existsSync('src/profiler/python')) {
    for (const name of await readdir('src/profiler/python')) {
      if (name.endsWith('.py')) await cp(path.join('src/profiler/python', name), path.join('dist', name));
    }
  }
}

/** Prints the lines the `$esbuild-watch` problem matcher waits for. */
const watchReporter = {
  name: 'watch-reporter',
  setup(build) {
    build.onStart(() => console.log('[watch] build started'));
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
      console.log('[watch] build finished');
    });
  },
};

const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  // esbuild itself is a native binary: the Node profiler loads it at run time to transpile TypeScript.
  external: ['vscode', 'mocha', 'esbuild'],
  logLevel: 'warning',
  plugins: watch ? [webTreeSitterCjs, watchReporter] : [webTreeSitterCjs],
};

const targets = [
  { ...node, entryPoints: { extension: 'src/extension.ts' }, outdir: 'dist' },
  { ...node, entryPoints: { cli: 'src/cli.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } },
  { ...node, entryPoints: { 'analyzer-worker': 'src/analyzers/worker.ts' }, outdir: 'dist' },
  { ...node, entryPoints: nodeHarnessEntries, outdir: 'dist' },
  { ...node, entryPoints: ['test/integration/*.ts'], outdir: 'out/test/integration' },
  // The timeline webview (browser): main.ts imports its stylesheet, so esbuild also writes
  // dist/webview.css next to dist/webview.js. Always minified and without a source map: the
  // standalone report inlines both files and must stay one small self-contained file.
  {
    entryPoints: { webview: 'src/webview/main.ts' },
    outdir: 'dist',
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    minify: true,
    logLevel: 'warning',
    plugins: watch ? [watchReporter] : [],
  },
].filter((target) => Object.values(target.entryPoints).every((entry) => entry.includes('*') || existsSync(entry)));

await copyAssets();
if (watch) {
  for (const target of targets) await (await esbuild.context(target)).watch();
} else {
  await Promise.all(targets.map((target) => esbuild.build(target)));
}
