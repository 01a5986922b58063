import type { Program } from './program';
import type { ExecutionContext } from './roots';

/**
 * How much a context shows that code really runs concurrently (rules.md principle 2):
 * - `concrete`: started in code (a thread, pool task, timer, task, callback), a class that
 *   starts a thread next to its own public methods, request handlers and finalizers;
 * - `declared`: the callers of a class or module that owns a threading lock (RacerD's
 *   assumption: the author expects several threads);
 * - `weak`: a public coroutine and nothing else that shows other tasks use it.
 */
export type Strength = 'concrete' | 'declared' | 'weak';

export function strengthOf(context: ExecutionContext): Strength {
  const root = context.root;
  if (!root) return 'concrete';
  if (!root.strong) return 'weak';
  return root.kind === 'locked-class' || root.kind === 'locked-module' ? 'declared' : 'concrete';
}

/**
 * A pair of contexts (the same one for a race with itself) is evidence enough for a warning:
 * none is weak, and unless one is concrete, the state is one the code itself treats as shared
 * (some access to it holds a lock). A class that owns a lock for one field does not make every
 * other field of it shared: event loops and protocol objects lock the few fields other threads
 * touch and leave the rest to their own thread.
 */
export function pairIsEvidence(program: Program, a: string, b: string, key: string | undefined): boolean {
  const ca = program.context(a);
  const cb = program.context(b);
  if (!ca || !cb) return false;
  const sa = program.isParentContext(a) ? 'concrete' : strengthOf(ca);
  const sb = program.isParentContext(b) ? 'concrete' : strengthOf(cb);
  if (sa === 'weak' || sb === 'weak') return false;
  if (sa === 'concrete' || sb === 'concrete') return true;
  // Lock-order and critical-section findings are about the locks themselves: owning them is the evidence.
  return key === undefined || isGuardedSomewhere(program, key);
}

const guardedCache = new WeakMap<Program, Map<string, boolean>>();

/** Some access to `key` in the run holds a lock (its own, or one every caller holds). */
export function isGuardedSomewhere(program: Program, key: string): boolean {
  let cache = guardedCache.get(program);
  if (!cache) guardedCache.set(program, (cache = new Map()));
  let guarded = cache.get(key);
  if (guarded === undefined) {
    // State kept in an object of a thread-safe class is shared by the author's own choice.
    guarded = holdsThreadSafeObject(program, key) ||
      (program.accessesByKey.get(key) ?? []).some(({ fn, access }) => program.locksAt(fn, access.locks, access.span.line).length > 0);
    cache.set(key, guarded);
  }
  return guarded;
}

/** `key` holds an object of a class of the run that guards itself with a lock (a locked cache or pool). */
export function holdsThreadSafeObject(program: Program, key: string): boolean {
  const kind = program.kindOf(key);
  return kind?.startsWith('class:') === true && program.roots.threadSafeClasses.has(kind.slice(6));
}

/**
 * A local captured by a closure lives in one call's frame: only contexts started by that
 * function (or functions nested in it) can share it; another call gets a fresh variable.
 */
export function visibleTo(program: Program, key: string): (id: string) => boolean {
  const hash = key.indexOf('#');
  if (hash === -1) return () => true;
  const owner = key.slice(0, hash);
  return (id) => {
    const context = program.context(id);
    if (!context || context.root) return false;
    return context.spawner.key === owner || context.spawner.key.startsWith(`${owner}.`);
  };
}
