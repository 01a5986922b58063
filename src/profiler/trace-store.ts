/**
 * Saved traces with a bounded history: the newest `limit` traces are kept in `dir`
 * (for the editor: the workspace storage folder), older ones are deleted on save.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ProfileTrace } from '../shared/trace';
import { TRACE_FILE_SUFFIX, TRACE_VERSION } from '../shared/trace';

export interface StoredTraceInfo {
  id: string;
  file: string;
  function: string;
  createdAt: string;
  recommendation: string | null;
  summary: string | null;
}

// Saved with the suffix the timeline's custom editor claims, so a stored trace opens as a timeline.
const SUFFIX = TRACE_FILE_SUFFIX;

export class TraceStore {
  constructor(
    private readonly dir: string,
    private readonly limit = 20,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`trace history limit must be a positive integer, got ${limit}`);
  }

  async save(trace: ProfileTrace): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const stamp = trace.createdAt.replace(/[:.]/g, '-');
    const name = `${trace.target.function}`.replace(/[^A-Za-z0-9_-]/g, '_');
    const id = `${stamp}-${name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    await writeFile(path.join(this.dir, id + SUFFIX), JSON.stringify(trace));
    const ids = await this.ids();
    for (const old of ids.slice(0, Math.max(0, ids.length - this.limit))) {
      await rm(path.join(this.dir, old + SUFFIX), { force: true });
    }
    return id;
  }

  /** Newest first. */
  async list(): Promise<StoredTraceInfo[]> {
    const infos: StoredTraceInfo[] = [];
    for (const id of (await this.ids()).reverse()) {
      try {
        const trace = await this.load(id);
        infos.push({
          id,
          file: trace.target.file,
          function: trace.target.function,
          createdAt: trace.createdAt,
          recommendation: trace.verdict?.recommendation ?? null,
          summary: trace.verdict?.summary ?? null,
        });
      } catch {
        continue;
      }
    }
    return infos;
  }

  async load(id: string): Promise<ProfileTrace> {
    if (!/^[A-Za-z0-9_-]+$/.test(id)) throw new Error(`not a trace id: ${id}`);
    const trace = JSON.parse(await readFile(path.join(this.dir, id + SUFFIX), 'utf8')) as ProfileTrace;
    if (trace.version !== TRACE_VERSION) {
      throw new Error(`trace ${id} has version ${String(trace.version)}; this version reads version ${TRACE_VERSION}`);
    }
    return trace;
  }

  /** Oldest first (ids start with the ISO creation time). */
  private async ids(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    return names.filter((n) => n.endsWith(SUFFIX)).map((n) => n.slice(0, -SUFFIX.length)).sort();
  }
}
