import type { Notice } from '../shared/findings';
import { readSource } from './decode';
import type { FileOutcome } from './file-outcome';
import { loadProjectService, loadTypeScriptModule } from './index';
import type { TypeAwareProject } from './project-service';

/**
 * A tsconfig excludes node_modules unless told otherwise, and building a Program only to learn
 * that it covers none of the run's files costs seconds: dependencies stay syntax-only.
 */
const DEPENDENCY = /[\\/]node_modules[\\/]/;

export interface TypeAwareRun {
  outcomes: FileOutcome[];
  /** One notice per project configuration that could not be used (its files stay syntax-only). */
  notices: Notice[];
}

export function typeAwareUnavailable(configPath: string, error: unknown): Notice {
  const reason = error instanceof Error ? error.message : String(error);
  return { file: configPath, message: `type-aware analysis unavailable, its files were analyzed syntax-only (${reason})` };
}

/** The JS/TS outcomes of a run grouped by the tsconfig.json / jsconfig.json that may cover them. */
export function groupByProjectConfig(paths: string[], root: string, findConfig: (file: string, stopAt: string) => string | undefined): Map<string, string[]> {
  const byConfig = new Map<string, string[]>();
  for (const file of paths) {
    if (DEPENDENCY.test(file)) continue;
    const config = findConfig(file, root);
    if (!config) continue;
    const group = byConfig.get(config) ?? [];
    group.push(file);
    byConfig.set(config, group);
  }
  return byConfig;
}

/**
 * The type-aware phase of a whole run. The worker threads have already summarized every JS/TS
 * file syntax-only; for files a project configuration covers (the nearest one, searched up to
 * the run root), those summaries are replaced by summaries computed with the Program's type
 * checker, through the same TypeAwareProject as the editor's session (used once here). Files
 * the configuration does not include, files without one, and every file of a configuration
 * that cannot be read keep their syntax-only summaries, so a broken tsconfig costs precision,
 * never findings. Runs on the calling thread: a Program spans many files and
 * cannot be split over workers; the editor path (AnalysisSession) keeps its Programs instead.
 */
export async function applyTypeAwareMode(outcomes: FileOutcome[], root: string, maxBytes: number): Promise<TypeAwareRun> {
  const scripts = outcomes.filter((o) => o.kind === 'summary' && o.language === 'javascript').map((o) => o.path);
  if (scripts.length === 0) return { outcomes, notices: [] };
  const typescript = loadTypeScriptModule();
  const groups = groupByProjectConfig(scripts, root, (file, stopAt) => typescript.findProjectConfig(file, stopAt));
  const typed = new Map<string, unknown>();
  const notices: Notice[] = [];
  for (const [configPath, paths] of groups) {
    let project: TypeAwareProject | undefined;
    try {
      const opened = new (loadProjectService().TypeAwareProject)(configPath);
      project = opened;
      // Reading the configuration is cheap, the Program is not: build it only for covered files.
      const covered = paths.filter((file) => opened.covers(file));
      for (const file of covered) {
        // The workers decoded these files already; reading them again is far cheaper than the Program.
        const decoded = await readSource(file, maxBytes);
        if (decoded.ok) opened.setText({ path: file, text: decoded.text });
      }
      if (covered.length > 0) for (const summary of opened.summarize(covered)) typed.set(summary.path, summary);
    } catch (error) {
      notices.push(typeAwareUnavailable(configPath, error));
    } finally {
      project?.dispose();
    }
  }
  if (typed.size === 0) return { outcomes, notices };
  return {
    outcomes: outcomes.map((o) => (o.kind === 'summary' && typed.has(o.path) ? { ...o, summary: typed.get(o.path) } : o)),
    notices,
  };
}
