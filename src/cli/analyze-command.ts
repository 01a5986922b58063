import { existsSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { findConfigFile, loadConfigFile, type LoadedConfig } from '../analyzers/config-file';
import { analyzePaths } from '../analyzers/engine';
import { DEFAULT_CONFIG } from '../shared/config';
import type { AnalysisResult } from '../shared/findings';
import { formatJson } from './format-json';
import { formatSarif } from './format-sarif';
import { formatNotices, formatText, type RunStats } from './format-text';
import { CliError, EXIT_CLEAN, EXIT_FINDINGS, EXIT_INCOMPLETE, UsageError, type CliIo } from './io';

export const ANALYZE_HELP = `Usage: conclens analyze [paths…] [options]

Finds races and deadlocks in the Python and TypeScript/JavaScript files under paths
(default: .).

Options:
  --format text|json|sarif  output format (default: text)
  --output FILE             write the report to FILE instead of stdout
  --config FILE             configuration file (default: nearest conclens.json or
                            .conclensrc.json from the first path upward)
  --workers N               worker threads (default: usable CPUs, none for under
                            1 MB of source; 0 = none)
  --quiet                   print findings only: no summary line, no notices
  -h, --help                show this help

Configuration file (JSON):
  { "rules": { "PY-RACE-004": "off", "PY-DL-003": "error",
               "JS-ASYNC-002": { "enabled": true, "severity": "hint" } },
    "exclude": ["build/**", "*_pb2.py"],      globs relative to the file's folder
    "maxFileBytes": 10485760 }                larger files are skipped with a notice

Suppress one finding in code with \`# conclens: ignore[RULE-ID]\` (Python) or
\`// conclens-ignore-next-line RULE-ID\` (TypeScript/JavaScript) on the line above.

Exit codes: 0 every file analyzed, no findings; 1 findings; 2 usage, configuration
or internal error; 3 no findings, but some files were not analyzed (see the notices).
`;

const FORMATS = ['text', 'json', 'sarif'] as const;
type Format = (typeof FORMATS)[number];

interface AnalyzeArgs {
  paths: string[];
  format: Format;
  output?: string;
  config?: string;
  workers?: number;
  quiet: boolean;
  help: boolean;
}

function parseAnalyzeArgs(argv: string[]): AnalyzeArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        format: { type: 'string', default: 'text' },
        output: { type: 'string', short: 'o' },
        config: { type: 'string' },
        workers: { type: 'string' },
        quiet: { type: 'boolean', short: 'q', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (!(FORMATS as readonly string[]).includes(values.format)) {
    throw new UsageError(`--format must be one of ${FORMATS.join(', ')}; got "${values.format}"`);
  }
  let workers: number | undefined;
  if (values.workers !== undefined) {
    workers = Number(values.workers);
    if (!/^\d+$/.test(values.workers) || workers > 256) throw new UsageError(`--workers must be an integer from 0 to 256; got "${values.workers}"`);
  }
  return {
    paths: positionals.length > 0 ? positionals : ['.'],
    format: values.format as Format,
    output: values.output,
    config: values.config,
    workers,
    quiet: values.quiet,
    help: values.help,
  };
}

/** Below this much source, starting worker threads costs more time than they save. */
const IN_PROCESS_BELOW_BYTES = 1024 * 1024;

async function resolveConfig(args: AnalyzeArgs, cwd: string): Promise<LoadedConfig | undefined> {
  if (args.config) return loadConfigFile(path.resolve(cwd, args.config));
  const first = path.resolve(cwd, args.paths[0]);
  const startDir = statSync(first, { throwIfNoEntry: false })?.isDirectory() ? first : path.dirname(first);
  const found = findConfigFile(startDir) ?? findConfigFile(cwd);
  return found ? loadConfigFile(found) : undefined;
}

function render(format: Format, result: AnalysisResult, stats: RunStats, cwd: string, quiet: boolean): string {
  switch (format) {
    case 'json':
      return formatJson(result, stats, cwd);
    case 'sarif':
      return formatSarif(result, stats, cwd);
    case 'text':
      return formatText(result, stats, cwd, { quiet });
  }
}

/**
 * `conclens analyze`: exit 0 when every file was analyzed and nothing was found, 1 with
 * findings, 3 without findings when some file was not analyzed; errors propagate to main.
 */
export async function analyzeCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseAnalyzeArgs(argv);
  if (args.help) {
    io.stdout(ANALYZE_HELP);
    return EXIT_CLEAN;
  }
  const started = performance.now();
  const loaded = await resolveConfig(args, io.cwd);
  const config = loaded?.config ?? DEFAULT_CONFIG;
  const root = loaded ? path.dirname(loaded.file) : io.cwd;
  const paths = args.paths.map((p) => path.resolve(io.cwd, p));
  paths.forEach((full, i) => {
    if (!existsSync(full)) throw new CliError(`path not found: ${args.paths[i]}`);
  });
  const analyzed = await analyzePaths(paths, { config, root, workers: args.workers, inProcessBelowBytes: IN_PROCESS_BELOW_BYTES });
  const result: AnalysisResult = { ...analyzed, notices: [...(loaded?.notices ?? []), ...analyzed.notices] };
  const stats: RunStats = { durationMs: performance.now() - started };

  const report = render(args.format, result, stats, io.cwd, args.quiet);
  if (args.output) {
    const target = path.resolve(io.cwd, args.output);
    await writeFile(target, report).catch((error: NodeJS.ErrnoException) => {
      throw new CliError(`cannot write ${args.output} (${error.code ?? error.message})`);
    });
  } else {
    io.stdout(report);
  }
  // SARIF and JSON carry notices inside the report; text shows them on stderr.
  if (!args.quiet && args.format === 'text') io.stderr(formatNotices(result, io.cwd));
  if (result.findings.length > 0) return EXIT_FINDINGS;
  return result.notAnalyzed > 0 ? EXIT_INCOMPLETE : EXIT_CLEAN;
}
