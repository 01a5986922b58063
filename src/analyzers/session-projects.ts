import { statSync } from 'node:fs';
import type { Notice } from '../shared/findings';
import type { FileOutcome } from './file-outcome';
import { loadProjectService, loadTypeScriptModule } from './index';
import type { TypeAwareProject } from './project-service';
import { groupByProjectConfig, typeAwareUnavailable } from './type-aware-run';

interface ProjectEntry {
  /** The configuration file's modification time when the project was built: an edit rebuilds it. */
  mtimeMs: number;
  project?: TypeAwareProject;
  notice?: Notice;
}

const modifiedAt = (file: string): number => statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? -1;

/**
 * The session's type-aware mode: one long-lived TypeAwareProject (a LanguageService) per
 * tsconfig.json / jsconfig.json that covers a file of the session.
 *
 * Measured on this repository's own tsconfig (about 170 files plus the default libraries), on a
 * loaded 2-CPU machine, for edits of a 600-line file: a fresh Program per edit costs 0.9-2.7 s;
 * the kept LanguageService 1.7 s for the first update, then 25-56 ms median per edit, against
 * 4-6 ms syntax-only (`npm run bench:analyze` prints the last two). An edit stays well inside
 * the typing debounce, so every update, on-type ones included, is type-aware and only the first
 * file of a project pays for building it. A file's type-aware summary is computed when that file is updated; an edit
 * that changes the types another file sees reaches that file on its next update.
 */
export class SessionProjects {
  private readonly projects = new Map<string, ProjectEntry>();

  constructor(private readonly root: string) {}

  /**
   * `outcomes` with the syntax-only summaries of covered files replaced by type-aware ones;
   * only files whose text is in `texts` are candidates.
   */
  apply(outcomes: FileOutcome[], texts: ReadonlyMap<string, string>): FileOutcome[] {
    const scripts = outcomes.filter((o) => o.kind === 'summary' && o.language === 'javascript' && texts.has(o.path)).map((o) => o.path);
    if (scripts.length === 0) return outcomes;
    const { findProjectConfig } = loadTypeScriptModule();
    const typed = new Map<string, unknown>();
    for (const [configPath, paths] of groupByProjectConfig(scripts, this.root, (file, stopAt) => findProjectConfig(file, stopAt))) {
      const entry = this.entry(configPath);
      if (!entry.project) continue;
      const project = entry.project;
      const covered = paths.filter((file) => project.covers(file));
      for (const file of covered) project.setText({ path: file, text: texts.get(file)! });
      try {
        for (const summary of project.summarize(covered)) typed.set(summary.path, summary);
        entry.notice = undefined;
      } catch (error) {
        entry.notice = typeAwareUnavailable(configPath, error);
      }
    }
    if (typed.size === 0) return outcomes;
    return outcomes.map((o) => (o.kind === 'summary' && typed.has(o.path) ? { ...o, summary: typed.get(o.path) } : o));
  }

  /** The file left the session: its project reads it from the disk again. */
  forget(filePath: string): void {
    for (const entry of this.projects.values()) entry.project?.forget(filePath);
  }

  /** One notice per configuration that could not be used. */
  notices(): Notice[] {
    return [...this.projects.values()].flatMap((entry) => (entry.notice ? [entry.notice] : []));
  }

  dispose(): void {
    for (const entry of this.projects.values()) entry.project?.dispose();
    this.projects.clear();
  }

  private entry(configPath: string): ProjectEntry {
    const mtimeMs = modifiedAt(configPath);
    const known = this.projects.get(configPath);
    if (known && known.mtimeMs === mtimeMs) return known;
    known?.project?.dispose();
    let entry: ProjectEntry;
    try {
      entry = { mtimeMs, project: new (loadProjectService().TypeAwareProject)(configPath) };
    } catch (error) {
      entry = { mtimeMs, notice: typeAwareUnavailable(configPath, error) };
    }
    this.projects.set(configPath, entry);
    return entry;
  }
}
