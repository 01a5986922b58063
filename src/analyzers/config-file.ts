import { existsSync } from 'node:fs';
import path from 'node:path';
import type { AnalysisConfig, RuleSetting } from '../shared/config';
import { SEVERITIES, type Notice } from '../shared/findings';
import { readRegularFile } from './decode';
import { excludeMatcher, InvalidGlobError } from './discover';
import { unknownRuleIds } from './rule-config';

export const CONFIG_FILE_NAMES = ['conclens.json', '.conclensrc.json'] as const;

/** A config file that cannot be used; the CLI prints the message and exits with 2. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'ConfigError';
  }
}

export interface LoadedConfig {
  config: AnalysisConfig;
  /** The config file's path; its directory is the root for `exclude` globs. */
  file: string;
  /** Warnings that do not stop a run: unknown rule ids, unknown keys. */
  notices: Notice[];
}

/** The nearest config file in `startDir` or any directory above it. */
export function findConfigFile(startDir: string): string | undefined {
  for (let dir = path.resolve(startDir); ; dir = path.dirname(dir)) {
    for (const name of CONFIG_FILE_NAMES) {
      const candidate = path.join(dir, name);
      if (existsSync(candidate)) return candidate;
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

const KNOWN_KEYS = new Set(['$schema', 'rules', 'exclude', 'maxFileBytes']);
/**
 * Beyond what any analysis can take: the text of a larger file would pass V8's longest string
 * (about 512 M characters) and the Python parser's 2 GB long before its tree was built.
 */
const MAX_FILE_BYTES_CEILING = 256 * 1024 * 1024;
const SETTING_HINT = `"off", ${SEVERITIES.map((s) => `"${s}"`).join(', ')}, or { "enabled": boolean, "severity": … }`;

/** A key or value quoted in a message: JSON, cut short so one absurd entry cannot flood the terminal. */
function quoted(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 80 ? `${json.slice(0, 77)}…` : json;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSeverity(value: unknown): boolean {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}

function parseRuleSetting(file: string, ruleId: string, value: unknown): RuleSetting {
  if (value === 'off' || isSeverity(value)) return value as RuleSetting;
  if (isPlainObject(value)) {
    const extra = Object.keys(value).filter((key) => key !== 'enabled' && key !== 'severity');
    const enabledOk = value.enabled === undefined || typeof value.enabled === 'boolean';
    const severityOk = value.severity === undefined || isSeverity(value.severity);
    if (extra.length === 0 && enabledOk && severityOk) return value as RuleSetting;
  }
  const shownId = ruleId.length > 60 ? `${ruleId.slice(0, 57)}…` : ruleId;
  throw new ConfigError(file, `rules.${shownId} must be ${SETTING_HINT}; got ${quoted(value)}`);
}

/** Validates parsed JSON as an analysis configuration; `file` names it in messages. */
export function parseConfig(json: unknown, file: string): { config: AnalysisConfig; notices: Notice[] } {
  if (!isPlainObject(json)) throw new ConfigError(file, 'the configuration must be a JSON object');
  const notices: Notice[] = [];
  for (const key of Object.keys(json)) {
    if (!KNOWN_KEYS.has(key)) notices.push({ file, message: `unknown configuration key ${quoted(key)} ignored` });
  }

  let rules: Record<string, RuleSetting> = {};
  if (json.rules !== undefined) {
    if (!isPlainObject(json.rules)) throw new ConfigError(file, '"rules" must be an object mapping rule ids to settings');
    // fromEntries defines own properties: a "__proto__" key stays a (unknown) rule id.
    rules = Object.fromEntries(Object.entries(json.rules).map(([ruleId, value]) => [ruleId, parseRuleSetting(file, ruleId, value)]));
  }
  for (const ruleId of unknownRuleIds(rules)) {
    notices.push({ file, message: `unknown rule id ${quoted(ruleId)} in "rules" ignored` });
  }

  const exclude = json.exclude ?? [];
  if (!Array.isArray(exclude) || !exclude.every((glob) => typeof glob === 'string')) {
    throw new ConfigError(file, '"exclude" must be an array of glob strings');
  }
  try {
    excludeMatcher(exclude as string[], path.dirname(file));
  } catch (error) {
    if (error instanceof InvalidGlobError) throw new ConfigError(file, error.message);
    throw error;
  }

  const config: AnalysisConfig = { rules, exclude: exclude as string[] };
  if (json.maxFileBytes !== undefined) {
    const bytes = json.maxFileBytes;
    if (typeof bytes !== 'number' || !Number.isInteger(bytes) || bytes < 1 || bytes > MAX_FILE_BYTES_CEILING) {
      throw new ConfigError(file, `"maxFileBytes" must be a positive integer of at most ${MAX_FILE_BYTES_CEILING} (256 MB); got ${quoted(bytes)}`);
    }
    config.maxFileBytes = bytes;
  }
  return { config, notices };
}

/** Far more than any configuration needs; the file is read no further. */
const MAX_CONFIG_BYTES = 1024 * 1024;

export async function loadConfigFile(file: string): Promise<LoadedConfig> {
  const read = await readRegularFile(file, MAX_CONFIG_BYTES, 'of a configuration file');
  if (!read.ok) throw new ConfigError(file, `cannot use the configuration file: ${read.reason}`);
  // Editors on Windows save JSON with a byte-order mark, which JSON.parse does not accept.
  const text = new TextDecoder('utf-8').decode(read.bytes);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(file, `not valid JSON (${(error as Error).message.split('\n')[0]})`);
  }
  return { file, ...parseConfig(json, file) };
}
