import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What an analyzer can tell the engine beyond a summary or an exception: notes on a file it
 * analyzed only in part, a file it refuses with a reason meant for the user, and a thread whose
 * analyzer state is broken for good. The engine turns them into notices and moves the rest of
 * the work to a fresh thread; the analyzers never need to know where they run.
 */

const notesOfCurrentFile = new AsyncLocalStorage<string[]>();

/** Runs `work` (one file's summarize) and returns the notes reported while it ran. */
export async function collectFileNotes<T>(work: () => Promise<T>): Promise<{ value: T; notes: string[] }> {
  const notes: string[] = [];
  const value = await notesOfCurrentFile.run(notes, work);
  return { value, notes };
}

/**
 * Reports that the file being summarized was analyzed only in part, and why. Interleaved
 * summaries on one thread each get their own notes (AsyncLocalStorage follows the awaits).
 */
export function noteAboutCurrentFile(message: string): void {
  notesOfCurrentFile.getStore()?.push(message);
}

/** A file an analyzer will not analyze; the message is shown as it is, after "not analyzed: ". */
export class UnanalyzableFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnanalyzableFileError';
  }
}

let unusableReason: string | undefined;

/**
 * Marks this thread's analyzers as unusable (a WebAssembly module that aborted cannot be
 * reinitialized in the same thread). The engine then sends the thread's remaining files to a
 * fresh worker thread, and a worker in this state is replaced.
 */
export function markThreadUnusable(reason: string): void {
  unusableReason ??= reason;
}

/** Why this thread's analyzers can no longer be used, or undefined while they can. */
export function threadUnusable(): string | undefined {
  return unusableReason;
}
