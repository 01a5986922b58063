/**
 * TypeScript for the Node harness: esbuild bundles the file with the local modules it imports
 * into one temporary module (ESM or CommonJS, as the project would load the file) with an
 * inline source map, so stack traces, task errors and "reveal in editor" point at the `.ts`
 * lines. Packages stay outside the bundle, imported by absolute path from where the project's
 * own resolution finds them (the temporary folder has no node_modules); tsconfig `paths`
 * apply. esbuild is a native binary, so it is loaded at run time, never bundled.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ModuleFormat } from './protocol';

type Esbuild = typeof import('esbuild');

export type TranspileOutcome = { ok: true; moduleFile: string } | { ok: false; message: string };

/** Ours first (the one Concurrency Lens is built with), then the project's own. */
function loadEsbuild(projectRoot: string): Esbuild | null {
  for (const from of [__filename, path.join(projectRoot, 'package.json')]) {
    try {
      return createRequire(from)('esbuild') as Esbuild;
    } catch {
      continue;
    }
  }
  return null;
}

const BARE_OR_NATIVE = /^[^./]|\.node$/;
const RESOLVING = 'conclens-resolving';

export async function transpile(file: string, format: ModuleFormat, projectRoot: string, outDir: string, nodeMajor: number): Promise<TranspileOutcome> {
  const esbuild = loadEsbuild(projectRoot);
  const shown = path.relative(projectRoot, file) || file;
  if (!esbuild) {
    return { ok: false, message: `cannot profile ${shown}: TypeScript is transpiled with esbuild, which is neither next to Concurrency Lens nor in the project (npm install --save-dev esbuild)` };
  }
  const moduleFile = path.join(outDir, `${path.basename(file, path.extname(file))}${format === 'esm' ? '.mjs' : '.cjs'}`);
  const externalPackages: import('esbuild').Plugin = {
    name: 'conclens-external-packages',
    setup(build) {
      build.onResolve({ filter: BARE_OR_NATIVE }, async (args) => {
        if (args.pluginData === RESOLVING) return undefined;
        const resolved = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: RESOLVING });
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        // Node's own modules come back external under their name; a tsconfig `paths` alias
        // that names a local file is bundled like a relative import.
        if (resolved.external) return { path: resolved.path, external: true };
        const inPackage = resolved.path.split(path.sep).includes('node_modules') || resolved.path.endsWith('.node');
        return inPackage ? { path: resolved.path, external: true } : { path: resolved.path };
      });
    },
  };
  try {
    await esbuild.build({
      entryPoints: [file],
      outfile: moduleFile,
      absWorkingDir: projectRoot,
      bundle: true,
      platform: 'node',
      format: format === 'esm' ? 'esm' : 'cjs',
      target: `node${nodeMajor}`,
      sourcemap: 'inline',
      sourcesContent: false,
      logLevel: 'silent',
      plugins: [externalPackages],
    });
  } catch (error) {
    const failures = (error as { errors?: import('esbuild').Message[] }).errors ?? [];
    const first = failures[0];
    const where = first?.location ? `${path.relative(projectRoot, path.resolve(projectRoot, first.location.file)) || first.location.file}:${first.location.line}:${first.location.column + 1}: ` : '';
    return { ok: false, message: `cannot profile ${shown}: ${where}${first?.text ?? (error as Error).message}${failures.length > 1 ? ` (and ${failures.length - 1} more error${failures.length > 2 ? 's' : ''})` : ''}` };
  }
  return { ok: true, moduleFile };
}
