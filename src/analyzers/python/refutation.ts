import type { FunctionInfo, Program } from './program';
import type { Access, Gate } from './summary';

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

/**
 * Shut out by a closed-flag: before its access (iterating a container, resetting a field), the
 * closing function set a flag holding a lock (`with self._lock: self._shutdown = True`), and the
 * other access happens under that lock right after a test of the flag that raises
 * (`with self._lock: if self._shutdown: raise …`), in the function itself or at every call of the
 * private helper that makes it. None starts after the flag is set, and the earlier ones finished
 * under the lock.
 */
export function closedBefore(program: Program, closing: FunctionInfo, line: number, changing: FunctionInfo, change: Access | undefined): boolean {
  const flagsSet = closing.accesses.filter((a) => a.kind === 'write' && a.span.line < line && a.locks.length > 0);
  if (flagsSet.length === 0) return false;
  const closes = (gates: Gate[] | undefined) => gates?.some((g) => flagsSet.some((w) => w.key === g.flag && w.locks.includes(g.lock))) === true;
  if (closes(change?.gates)) return true;
  if (!/^_[^_]/.test(changing.name.slice(changing.name.lastIndexOf('.') + 1))) return false;
  const sites = program.callSitesOf(changing);
  return sites.length > 0 && sites.every((site) => closes(site.gates));
}

/**
 * A list iterated while another thread only appends to it: the iterator walks by index and sees
 * each new item or stops before it, with no error and nothing skipped (unlike a dict, a set or
 * a deque, which raise when changed during iteration, or a removal, which shifts what follows).
 */
export function appendsDuringListIteration(program: Program, key: string, change: Access): boolean {
  return change.appends === true && program.kindOf(key) === 'list';
}

/**
 * A lazily created value made before the thread starts: the function that starts it (or, for a
 * `start_background_task(target)` wrapper, each of its callers) creates the value first, itself
 * or through a call made earlier, and no code resets it to a constant afterwards, so every run
 * of the thread finds it set and never takes the branch. The callers of a class by design call
 * its methods on an object already built: a value its constructor creates is there for them.
 */
export function initializedBeforeStart(program: Program, id: string, key: string): boolean {
  const context = program.context(id);
  if (!context || program.isParentContext(id)) return false;
  const accesses = program.accessesByKey.get(key) ?? [];
  if (accesses.some(({ fn, access }) => access.kind === 'write' && access.constant && !fn.constructor && fn.name !== '<module>')) return false;
  const creates = (fn: FunctionInfo, before = Infinity) => fn.accesses.some((a) => a.key === key && a.kind === 'write' && !a.constant && a.span.line < before);
  const createdBefore = (fn: FunctionInfo, line: number) =>
    creates(fn, line) ||
    fn.calls.some((call) => call.direct && call.span.line < line && program.callTargets(call, fn).some((callee) => program.reachable(callee).some((reached) => creates(reached))));
  if (context.root) {
    const owner = context.selfClass;
    const init = owner && program.ancestors(owner).map((c) => c.methods.get('__init__')).find((m) => m !== undefined);
    return init !== undefined && createdBefore(init, Infinity);
  }
  const spawner = context.spawner;
  if (createdBefore(spawner, context.spawn.span.line)) return true;
  const callers = program.callersOf(spawner).filter(({ call }) => call.direct);
  return callers.length > 0 && callers.every(({ caller, call }) => createdBefore(caller, call.span.line));
}

/**
 * Published by a readiness flag: the writing function is a once-only initializer (it leaves
 * early when a flag it sets is already set), it sets a flag after this change and changes the
 * state no more after that, and the other access happens only where that flag is known set: past
 * an `if not self._ready: raise`/`return`, inside `if self._ready:`, or after calling a checker
 * of the same object that raises until then (`self.check_apps_ready()`). So the access comes
 * after every change the initializer makes.
 */
export function publishedBefore(program: Program, writer: FunctionInfo, writeLine: number, key: string, reader: FunctionInfo, readLine: number): boolean {
  const guards = writer.onceGuards ?? [];
  if (guards.length === 0) return false;
  const sets = (flag: string) => writer.accesses.filter((a) => a.key === flag && a.kind === 'write' && a.constant && a.span.line > writeLine);
  if (!guards.some((g) => sets(g).length > 0)) return false;
  const flags = [...new Set(writer.accesses.filter((a) => a.kind === 'write' && a.constant && a.span.line > writeLine).map((a) => a.key))];
  return flags.some((flag) => {
    const setAt = Math.min(...sets(flag).map((a) => a.span.line));
    const changedAfter = writer.accesses.some((a) => a.key === key && a.kind !== 'read' && a.kind !== 'iterate' && a.span.line > setAt);
    return !changedAfter && readsWhenSet(program, reader, readLine, flag, 0);
  });
}

function readsWhenSet(program: Program, fn: FunctionInfo, line: number, flag: string, depth: number): boolean {
  if (fn.readyRegions?.some((r) => r.key === flag && r.line <= line && line <= r.endLine)) return true;
  return checkedBefore(program, fn, line, flag, depth);
}

/** A checker of the same object called before `line` raises unless `flag` is set. */
function checkedBefore(program: Program, fn: FunctionInfo, line: number, flag: string, depth: number): boolean {
  if (depth >= 2) return false;
  return fn.calls.some((call) => call.sameInstance && call.direct && call.span.line < line && program.callTargets(call, fn).some((checker) => raisesUnlessSet(program, checker, flag, depth + 1)));
}

/** The function raises unless `flag` is set: a `raise` exit whose region runs to its end, itself or in a checker it calls. */
function raisesUnlessSet(program: Program, fn: FunctionInfo, flag: string, depth: number): boolean {
  if (fn.readyRegions?.some((r) => r.key === flag && r.exit === 'raise' && r.endLine >= fn.span.endLine)) return true;
  return checkedBefore(program, fn, fn.span.endLine + 1, flag, depth);
}
