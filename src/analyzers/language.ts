import type { Finding } from '../shared/findings';

export interface SourceFile {
  /** Absolute path. */
  path: string;
  text: string;
}

/**
 * A language analyzer works in two phases so that per-file work can run on worker threads
 * while cross-file reasoning (entry points reaching another module's state, one lock-order
 * graph for the whole run) sees every file of the run:
 *
 * 1. `summarize` parses one file and extracts what the rules need. It runs on a worker
 *    thread, so its result must survive structured cloning (plain data only). It throws
 *    only for a file it cannot analyze at all; the engine turns that into one notice.
 * 2. `check` receives the summaries of every file of its language in the run and returns
 *    findings. Severity is the rule's level under the evidence gate; configuration and
 *    suppression comments are applied afterwards by the engine.
 */
export interface LanguageAnalyzer<Summary = unknown> {
  readonly language: 'python' | 'javascript';
  readonly extensions: readonly string[];
  summarize(file: SourceFile): Promise<Summary>;
  check(summaries: Summary[]): Finding[];
}
