import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_FILE_NAMES, ConfigError, loadConfigFile, parseConfig } from '../analyzers/config-file';
import type { AnalysisConfig, RuleSetting } from '../shared/config';

export const SECTION = 'concurrencyLens';
export { CONFIG_FILE_NAMES };

/** The `concurrencyLens.*` settings, mirrored one to one from package.json `contributes.configuration`. */
export interface ExtensionSettings {
  enable: boolean;
  analyzeOnType: boolean;
  rules: Record<string, RuleSetting>;
  exclude: string[];
  /** 0 lets the engine choose. */
  maxWorkers: number;
}

export function readSettings(): ExtensionSettings {
  const config = vscode.workspace.getConfiguration(SECTION);
  return {
    enable: config.get<boolean>('enable', true),
    analyzeOnType: config.get<boolean>('analyzeOnType', true),
    rules: config.get<Record<string, RuleSetting>>('rules', {}),
    exclude: config.get<string[]>('exclude', []),
    maxWorkers: config.get<number>('maxWorkers', 0),
  };
}

/** True when the user (not the default) set `concurrencyLens.exclude`, so it replaces the file's list. */
function excludeSetExplicitly(): boolean {
  const inspected = vscode.workspace.getConfiguration(SECTION).inspect<string[]>('exclude');
  return [inspected?.globalValue, inspected?.workspaceValue, inspected?.workspaceFolderValue].some((v) => v !== undefined);
}

export interface ResolvedConfig {
  config: AnalysisConfig;
  /** The CLI config file that contributed, if any. */
  file?: string;
  /** What the user should fix (invalid file or settings, unknown rule ids); the rest still applies. */
  problems: string[];
}

async function readWorkspaceConfigFile(root: string, problems: string[]): Promise<{ file: string; config: AnalysisConfig } | undefined> {
  const file = CONFIG_FILE_NAMES.map((name) => path.join(root, name)).find((candidate) => existsSync(candidate));
  if (!file) return undefined;
  try {
    const loaded = await loadConfigFile(file);
    problems.push(...loaded.notices.map((notice) => `${notice.file}: ${notice.message}`));
    return { file, config: loaded.config };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(`${error.message}; the file is ignored.`);
    return undefined;
  }
}

function validatedSettings(settings: ExtensionSettings, problems: string[]): AnalysisConfig | undefined {
  const origin = `settings "${SECTION}.rules" / "${SECTION}.exclude"`;
  try {
    const parsed = parseConfig({ rules: settings.rules, exclude: settings.exclude }, origin);
    problems.push(...parsed.notices.map((notice) => `${notice.file}: ${notice.message}`));
    return parsed.config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(`${error.message}; these settings are ignored until fixed.`);
    return undefined;
  }
}

/**
 * The analysis configuration of the workspace: the CLI's conclens.json (or .conclensrc.json)
 * in `root`, overridden by settings rule by rule, and for `exclude` as a whole when set.
 */
export async function resolveConfig(settings: ExtensionSettings, root: string | undefined): Promise<ResolvedConfig> {
  const problems: string[] = [];
  const fromFile = root ? await readWorkspaceConfigFile(root, problems) : undefined;
  const fromSettings = validatedSettings(settings, problems);
  const config: AnalysisConfig = {
    ...fromFile?.config,
    rules: { ...fromFile?.config.rules, ...fromSettings?.rules },
    exclude: (excludeSetExplicitly() || !fromFile ? fromSettings?.exclude : fromFile.config.exclude) ?? [],
  };
  return { config, file: fromFile?.file, problems };
}

/** True for changes that need the analysis configuration rebuilt. */
export function affectsAnalysis(event: vscode.ConfigurationChangeEvent): boolean {
  return event.affectsConfiguration(SECTION);
}
