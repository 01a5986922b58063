// esbuild plugins shared by esbuild.mjs and the scripts/tests that bundle parts of the tree.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * web-tree-sitter's ESM build calls createRequire(import.meta.url), which is undefined in a
 * CommonJS bundle; its CommonJS build is the one that works in our cjs targets.
 */
export const webTreeSitterCjs = {
  name: 'web-tree-sitter-cjs',
  setup(build) {
    build.onResolve({ filter: /^web-tree-sitter$/ }, () => ({ path: require.resolve('web-tree-sitter') }));
  },
};

/**
 * The Node profiler's harness and the two scripts it starts threads and processes from: each
 * its own bundle in dist/, found next to the CLI and extension bundles at run time.
 */
export const nodeHarnessEntries = {
  'conclens-node-harness': 'src/profiler/node/harness.ts',
  'conclens-node-worker': 'src/profiler/node/worker.ts',
  'conclens-node-watchdog': 'src/profiler/node/watchdog.ts',
};
