import type { Severity } from './findings';

/** Per-rule override: `"off"`, a severity, or both spelled out. */
export type RuleSetting = 'off' | Severity | { enabled?: boolean; severity?: Severity };

/**
 * Analysis configuration, the same shape in VS Code settings (`concurrencyLens.rules`,
 * `concurrencyLens.exclude`) and in `conclens.json` / `.conclensrc.json` for the CLI.
 */
export interface AnalysisConfig {
  rules: Record<string, RuleSetting>;
  /** Globs, relative to the workspace (or config file) root, of files never analyzed. */
  exclude: string[];
  /** Files larger than this many bytes are skipped with a notice (default 10 MiB). */
  maxFileBytes?: number;
}

export const DEFAULT_CONFIG: AnalysisConfig = { rules: {}, exclude: [] };
