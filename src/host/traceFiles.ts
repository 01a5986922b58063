/** Reading trace files the user picks, and the history of saved traces behind the CodeLens verdicts. */
import * as vscode from 'vscode';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { TraceStore, type StoredTraceInfo } from '../profiler/index';
import { verdictLine } from '../shared/verdict-words';
import type { ProfileTrace } from '../shared/trace';
import { checkTrace } from '../shared/trace-schema';

export { TRACE_FILE_SUFFIX } from '../shared/trace';

/** Parses a trace document, with a message that says what is wrong with a file that is not one. */
export function parseTrace(text: string, origin: string): ProfileTrace {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${origin} is not JSON (${error instanceof Error ? error.message : String(error)}).`, { cause: error });
  }
  return checkTrace(value, origin);
}

export async function readTraceFile(file: string): Promise<ProfileTrace> {
  return parseTrace(await readFile(file, 'utf8'), path.basename(file));
}

const key = (file: string, functionName: string) => `${file}\0${functionName}`;

/** The saved traces in the extension's storage, and the newest verdict per function. */
export class TraceHistory {
  private store: TraceStore;
  private latest: Map<string, { id: string; headline: string }> | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(
    readonly dir: string,
    limit: number,
  ) {
    this.store = new TraceStore(dir, limit);
  }

  setLimit(limit: number): void {
    this.store = new TraceStore(this.dir, limit);
  }

  async save(trace: ProfileTrace): Promise<string> {
    const id = await this.store.save(trace);
    this.latest = undefined;
    this.changed.fire();
    return id;
  }

  list(): Promise<StoredTraceInfo[]> {
    return this.store.list();
  }

  /** A stored trace, checked like a file (the storage folder is the user's to edit). */
  async load(id: string): Promise<ProfileTrace> {
    return checkTrace(await this.store.load(id), `stored trace ${id}`);
  }

  /** The newest trace of `functionName` in `file` (workspace-relative, as traces record it). */
  async latestFor(file: string, functionName: string): Promise<{ id: string; headline: string } | undefined> {
    if (!this.latest) {
      const latest = new Map<string, { id: string; headline: string }>();
      for (const info of await this.store.list()) {
        const k = key(info.file, info.function);
        if (latest.has(k)) continue;
        const trace = await this.load(info.id).catch(() => undefined);
        if (trace?.verdict) latest.set(k, { id: info.id, headline: verdictLine(trace.verdict, trace.target.runtime) });
      }
      this.latest = latest;
    }
    return this.latest.get(key(file, functionName));
  }

  dispose(): void {
    this.changed.dispose();
  }
}
