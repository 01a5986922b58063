import type { Finding, RelatedLocation } from '../../../shared/findings';
import { isGuardedSomewhere, strengthOf, visibleTo } from '../evidence';
import { repeatsHarmlessly } from '../idempotent';
import { isThreadingLockKind } from '../kinds';
import type { FunctionInfo, Program } from '../program';
import { contextPhrase, contextRelated, fnName, keyName, line, makeFinding, toRange } from '../report';
import type { Span } from '../summary';

/**
 * PY-ASYNC-001..004 and 006. Code between two awaits is atomic under asyncio, so only state read
 * before an await and written after it can be lost, and only when the coroutine can overlap
 * with itself or another writer: it is started as a task several times, fanned out with
 * `gather`, registered as a request/event handler, called by the tasks of a class designed
 * for them (public coroutines next to asyncio locks, events, queues or waiter futures), or
 * another task writes the same state. A server started in the same `gather` as other
 * coroutines serves requests while they still run (PY-ASYNC-006: start before initialisation).
 */
export function asyncFindings(program: Program): Finding[] {
  const findings: Finding[] = [];
  for (const fn of program.functions.values()) {
    if (fn.isAsync) {
      for (const update of fn.awaitUpdates) {
        if (update.locks.length > 0) continue;
        const overlap = overlapOf(program, fn, update.write.line, update.key);
        if (!overlap) continue;
        // A write-back lost to another run needs two runs of this coroutine at once. A class
        // whose design implies concurrent callers does not show that this coroutine is one of
        // them (a handshake or setup coroutine runs once per object): a note unless code
        // starts the overlapping runs, a framework serves requests with them, or the class
        // guards this state with a lock somewhere.
        const message =
          `\`${keyName(update.key)}\` is read at line ${line(update.read)} and written back after an await in ${side(program, fn, update.write, overlap.ours)}, ` +
          `and ${overlap.other} can interleave; re-read it after the await, or hold an asyncio.Lock across both.`;
        findings.push(
          makeFinding('PY-ASYNC-001', overlap.gated && (!overlap.byDesign || isGuardedSomewhere(program, update.key)), fn.file, update.write, message, [
            { file: fn.file, range: toRange(update.read), message: `read before the await: \`${update.text}\`` },
            ...overlap.related,
          ]),
        );
      }
      for (const act of fn.checkActs) {
        if (!act.awaitBetween) continue;
        const overlap = overlapOf(program, fn, act.write.line, act.key);
        if (!overlap) continue;
        const message =
          `\`${keyName(act.key)}\` is checked at line ${line(act.check)} and changed after an await in ${side(program, fn, act.write, overlap.ours)}, ` +
          `and ${overlap.other} can pass the same check meanwhile; store the pending future before awaiting, or hold an asyncio.Lock.`;
        // Setting a flag or state constant twice, or a value computed alike, is idempotent; duplicate work after the check is at most a note.
        findings.push(
          makeFinding('PY-ASYNC-002', overlap.gated && !act.constantWrite && !repeatsHarmlessly(fn, act), fn.file, act.write, message, [
            { file: fn.file, range: toRange(act.check), message: `the check: \`${act.checkText}\`` },
            ...overlap.related,
          ]),
        );
      }
      for (const held of fn.lockAcrossAwait) {
        if (!isThreadingLockKind(program.kindOf(held.lock))) continue;
        const gated = blocksTheLoop(program, fn, held.lock, held.withSpan.line);
        const message =
          `\`${held.expr}\` is a threading lock held across the await at line ${line(held.awaitSpan)} in coroutine \`${fnName(fn)}\` (line ${line(held.withSpan)}), ` +
          'so a task that takes it blocks the event loop and the holder with it; use an `asyncio.Lock` with `async with`.';
        findings.push(
          makeFinding('PY-ASYNC-003', gated, fn.file, held.withSpan, message, [
            { file: fn.file, range: toRange(held.awaitSpan), message: 'the await that suspends while the lock is held' },
          ]),
        );
      }
    }
    if (fn.asyncioUses.length > 0) findings.push(...crossThreadUses(program, fn));
    for (const start of fn.startsBeforeInit) {
      const message =
        `\`${start.text}\` runs in the same gather as \`${start.server}\` in \`${fnName(fn)}\` (line ${line(start.span)}), so requests can reach ` +
        'the handlers before it finishes; await it first, then start the server.';
      findings.push(makeFinding('PY-ASYNC-006', true, fn.file, start.span, message));
    }
  }
  return findings;
}

/**
 * Another task of the loop can want the lock while this coroutine is suspended holding it:
 * a task context that reaches a `with` of the same lock overlaps one that reaches this one.
 * A lock only other threads take (a profiler's) blocks them, not the loop.
 */
function blocksTheLoop(program: Program, fn: FunctionInfo, lock: string, lineNo: number): boolean {
  const task = (id: string) => !program.isParentContext(id);
  const ours = program.contextsAt(fn, lineNo, program.isTaskContext).filter(task);
  if (ours.length === 0) return false;
  for (const other of program.functions.values()) {
    const use = other.acquires.find((a) => a.key === lock && !a.async);
    if (!use) continue;
    const theirs = program.contextsAt(other, use.span.line, program.isTaskContext).filter(task);
    if (ours.some((a) => theirs.some((b) => program.concurrent(a, b, false)))) return true;
  }
  return false;
}

function side(program: Program, fn: FunctionInfo, span: Span, context: string): string {
  return `\`${fnName(fn)}\` (line ${line(span)}, ${contextPhrase(program, context, fn)})`;
}

interface Overlap {
  ours: string;
  /** The other side, as a noun phrase: "another run of it", "`other` (line 12, …)". */
  other: string;
  gated: boolean;
  /** Every context of the pair is the callers a class or module implies by design. */
  byDesign: boolean;
  related: RelatedLocation[];
}

function overlapOf(program: Program, fn: FunctionInfo, lineNo: number, key: string): Overlap | undefined {
  const visible = visibleTo(program, key);
  const ids = program.contextsAt(fn, lineNo, program.isTaskContext).filter((id) => !program.isParentContext(id) && visible(id));
  const strong = (id: string) => strengthOf(program.context(id)!) !== 'weak';
  const byDesign = (...pair: string[]) => pair.every((id) => {
    const root = program.context(id)!.root;
    return root !== undefined && root.kind !== 'request-handler';
  });
  const byStrength = [...ids].sort((a, b) => Number(strong(b)) - Number(strong(a)));
  for (const id of byStrength) {
    if (program.concurrent(id, id, false)) {
      return { ours: id, other: 'another run', gated: strong(id), byDesign: byDesign(id), related: contextRelated(program, [id], fn) };
    }
  }
  if (ids.length >= 2) {
    const [a, b] = byStrength as [string, string];
    return { ours: a, other: `a run in ${contextPhrase(program, b, fn)}`, gated: strong(a) && strong(b), byDesign: byDesign(a, b), related: contextRelated(program, [a, b], fn) };
  }
  if (ids.length === 0) return undefined;
  for (const { fn: other, access } of program.accessesByKey.get(key) ?? []) {
    if (other === fn || !other.isAsync || access.kind === 'read' || access.kind === 'iterate') continue;
    const theirs = program.contextsAt(other, access.span.line, program.isTaskContext).filter((id) => !program.isParentContext(id) && !ids.includes(id) && visible(id));
    if (theirs.length > 0) {
      const [ours, their] = [ids[0]!, theirs[0]!];
      return {
        ours,
        other: side(program, other, access.span, their),
        gated: strong(ours) && strong(their),
        byDesign: byDesign(ours, their),
        related: [{ file: other.file, range: toRange(access.span), message: `the concurrent write: \`${access.text}\`` }, ...contextRelated(program, [ours], fn), ...contextRelated(program, [their], other)],
      };
    }
  }
  return undefined;
}

/** `asyncio.new_event_loop()`/`set_event_loop()`: the function makes its thread a loop's own. */
const OWNS_A_LOOP = /^asyncio(@[^:]*)?:(new_event_loop|set_event_loop)$/;

function crossThreadUses(program: Program, fn: FunctionInfo): Finding[] {
  // A thread that creates its own loop uses asyncio objects on that loop's thread.
  if (fn.calls.some((call) => OWNS_A_LOOP.test(call.callee))) return [];
  // A thread started in code, or a `Thread` subclass's `run`; public methods may well be called on the loop's thread.
  const ids = program.contextsAt(fn, fn.span.line, program.isThreadContext).filter((id) => {
    const context = program.context(id);
    if (program.isParentContext(id) || context === undefined || context.kind === 'api' || context.kind === 'finalizer') return false;
    // `signal.signal` works only on the main thread, and its handlers run there: installed by
    // a coroutine, or by code that then runs the loop itself, they run on the loop's thread.
    return !(context.kind === 'signal' && (context.spawner.isAsync || context.spawner.runsLoop === true));
  });
  if (ids.length === 0) return [];
  const findings: Finding[] = [];
  for (const use of fn.asyncioUses) {
    const kind = program.kindOf(use.key) ?? use.kind;
    if (!kind.startsWith('aio.')) continue;
    const via = kind === 'aio.Loop' ? `\`loop.call_soon_threadsafe(${keyName(use.key)}.${use.method}, …)\`` : '`loop.call_soon_threadsafe`';
    const message =
      `\`${keyName(use.key)}\` (an asyncio ${kind.slice(4)}) gets \`${use.method}()\` in ${side(program, fn, use.span, ids[0]!)}, off its event loop's thread; ` +
      `call it through ${via} or \`asyncio.run_coroutine_threadsafe\`.`;
    findings.push(makeFinding('PY-ASYNC-004', true, fn.file, use.span, message, contextRelated(program, ids, fn)));
  }
  return findings;
}
