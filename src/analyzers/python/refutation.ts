import type { FunctionInfo, Program } from './program';
import type { Access } from './summary';

/**
 * Orderings and confinement that refute a racing pair (rules.md principle 7), beyond the ones
 * the contexts already model (a join before the read, locks held in common, locks every caller
 * holds, code after `fork()` in the child, state only the owner of a lock touches).
 */

/** Objects whose `set`/`put` in one thread and `wait`/`get` in another order the two. */
const HAND_OFF_KINDS = new Set(['Event', 'Queue']);

/**
 * One of the two accesses happens before the other through a hand-off: its function sets an
 * event or puts into a queue after its access, and the other's waits on the event or takes
 * from the queue before its own.
 */
export function orderedBetween(program: Program, a: FunctionInfo, aLine: number, b: FunctionInfo, bLine: number): boolean {
  return handsOff(program, a, aLine, b, bLine) || handsOff(program, b, bLine, a, aLine);
}

function handsOff(program: Program, first: FunctionInfo, firstLine: number, second: FunctionInfo, secondLine: number): boolean {
  if (first.eventSets.length === 0 || second.eventWaits.length === 0) return false;
  return first.eventSets.some(
    (set) =>
      set.span.line > firstLine &&
      HAND_OFF_KINDS.has(program.kindOf(set.key) ?? '') &&
      second.eventWaits.some((wait) => wait.key === set.key && wait.span.line < secondLine),
  );
}

/**
 * Each started thread touches only its own element: the access indexes a shared container by
 * a parameter of the thread's entry point, and every start passes a different value for it
 * (`Thread(target=work, args=(i,))` in `for i in …`), so two runs never touch the same element.
 */
export function confinedToItsThread(program: Program, fn: FunctionInfo, access: Access, a: string, b: string): boolean {
  if (access.indexParam === undefined || a !== b || program.isParentContext(a)) return false;
  const context = program.context(a);
  if (!context || context.root || context.target !== fn) return false;
  // A bound method's first parameter is `self`, not one of the arguments.
  const offset = fn.className ? 1 : 0;
  return context.spawn.distinctArgs?.includes(access.indexParam - offset) === true;
}
