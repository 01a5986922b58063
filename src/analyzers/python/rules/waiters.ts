import type { Finding } from '../../../shared/findings';
import { strengthOf } from '../evidence';
import type { FunctionInfo, Program } from '../program';
import { contextPhrase, contextRelated, fnName, keyName, line, makeFinding, toRange } from '../report';
import type { FutureStore, SlotTest } from '../summary';

/**
 * PY-ASYNC-005: waiter futures, the rendezvous asyncio code builds by hand (a task parks on a
 * future it stored in a field; another task or callback resolves it). Three ways concurrent
 * tasks break one:
 * - a single waiter slot replaced by a second caller without a check: the first waiter is
 *   orphaned and never woken;
 * - a fast path that does not look at the queue of waiters and, under an `if` rather than a
 *   `while`, a woken waiter that does not re-check: a new caller takes what the waiter was given;
 * - a slot whose future is resolved but not yet cleared (the waiter clears it when it resumes)
 *   taken for a pending waiter by code that tests only that the slot is set.
 */
export function waiterFindings(program: Program): Finding[] {
  const findings: Finding[] = [];
  for (const fn of program.functions.values()) {
    if (fn.isAsync) {
      for (const store of fn.futureStores) {
        if (!store.awaited || store.check?.mentionsKey) continue;
        // A lock held from the store to the wait (or by every caller) queues a second caller before the slot.
        const serialized = store.locked === true || program.locksAt(fn, [], store.span.line).length > 0;
        // A slot a second caller is refused while it is taken serves one caller at a time by
        // design (a single reader): no second caller to orphan the waiter or to take its item.
        const guarded = store.single && reentryGuarded(program, fn, store);
        if (store.single && !guarded && !serialized) findings.push(...overwrittenSlot(program, fn, store));
        else if (store.check && !store.check.isLoop && !guarded) findings.push(...bypassedQueue(program, fn, store));
      }
    }
    for (const test of fn.slotTests) {
      if (!test.asksDone && test.actsElsewhere) findings.push(...staleSlot(program, fn, test));
    }
  }
  return findings;
}

/**
 * `if self._started: raise …` before the store, and the method sets `_started` itself, or
 * through a helper it calls on the same object (`starttls()` → `_initiate_tls()` moves `_state`
 * on): a second call while it runs is rejected as a misuse, so the slot is not shared by
 * concurrent callers. A precondition on state nothing there changes (`if self._lost: raise`)
 * guards nothing.
 */
function reentryGuarded(program: Program, fn: FunctionInfo, store: FutureStore): boolean {
  const keys = store.guardKeys ?? [];
  if (keys.length === 0) return false;
  const own = [fn];
  for (let i = 0; i < own.length; i++) {
    for (const call of own[i]!.calls) {
      if (!call.sameInstance) continue;
      for (const callee of program.callTargets(call, own[i]!)) if (!own.includes(callee)) own.push(callee);
    }
  }
  return own.some((f) => f.accesses.some((a) => keys.includes(a.key) && a.kind !== 'read' && a.kind !== 'iterate'));
}

/** A task context under which `fn` runs concurrently with itself, strongest first. */
function selfOverlap(program: Program, fn: FunctionInfo, lineNo: number): { id: string; gated: boolean } | undefined {
  const ids = program.contextsAt(fn, lineNo, program.isTaskContext).filter((id) => !program.isParentContext(id) && program.concurrent(id, id, true));
  const strong = ids.find((id) => strengthOf(program.context(id)!) !== 'weak');
  const id = strong ?? ids[0];
  return id ? { id, gated: strong !== undefined } : undefined;
}

function overwrittenSlot(program: Program, fn: FunctionInfo, store: FutureStore): Finding[] {
  // A slot only this function resolves is not a rendezvous with another task.
  const resolver = [...program.functions.values()].find((f) => f !== fn && f.futureResolves.some((r) => r.key === store.key));
  const overlap = selfOverlap(program, fn, store.span.line);
  if (!resolver || !overlap) return [];
  const message =
    `\`${keyName(store.key)}\` gets a new waiter future in \`${fnName(fn)}\` (line ${line(store.span)}, ${contextPhrase(program, overlap.id, fn)}) ` +
    'without a check for a pending one, so a second caller orphans the first; reuse the pending future, or refuse a second waiter.';
  const resolved = resolver.futureResolves.find((r) => r.key === store.key)!;
  return [
    makeFinding('PY-ASYNC-005', overlap.gated, fn.file, store.span, message, [
      { file: resolver.file, range: toRange(resolved.span), message: `\`${fnName(resolver)}\` wakes only the waiter in the slot at that moment` },
      ...contextRelated(program, [overlap.id], fn),
    ]),
  ];
}

function bypassedQueue(program: Program, fn: FunctionInfo, store: FutureStore): Finding[] {
  const overlap = selfOverlap(program, fn, store.span.line);
  if (!overlap || !store.check) return [];
  const message =
    `\`${keyName(store.key)}\` is not consulted by the check at line ${line(store.check.span)} in \`${fnName(fn)}\` (${contextPhrase(program, overlap.id, fn)}), ` +
    'so a new caller takes what a woken waiter was given; also wait while waiters are queued, or re-check in a `while` loop.';
  return [
    makeFinding('PY-ASYNC-005', overlap.gated, fn.file, store.check.span, message, [
      { file: fn.file, range: toRange(store.span), message: 'the waiter is queued here and, once woken, does not check again' },
      ...contextRelated(program, [overlap.id], fn),
    ]),
  ];
}

function staleSlot(program: Program, fn: FunctionInfo, test: SlotTest): Finding[] {
  const waiting = [...program.functions.values()].find((f) => f.futureStores.some((s) => s.key === test.key && s.single && s.awaited));
  // Resolved and left in the slot: only the waiter, once it resumes, clears it.
  const resolver = [...program.functions.values()].find((f) => f !== fn && f.futureResolves.some((r) => r.key === test.key) &&
    !f.accesses.some((a) => a.key === test.key && a.kind === 'write'));
  const contexts = program.contextsAt(fn, test.span.line, program.isTaskContext).filter((id) => !program.isParentContext(id));
  if (!waiting || !resolver || contexts.length === 0) return [];
  const gated = contexts.some((id) => strengthOf(program.context(id)!) !== 'weak');
  const message =
    `\`${keyName(test.key)}\` is taken as a pending waiter in \`${fnName(fn)}\` (line ${line(test.span)}, ${contextPhrase(program, contexts[0]!, fn)}), ` +
    `but \`${fnName(resolver)}\` resolves it before \`${fnName(waiting)}\` clears it; also test that it is not \`done()\`.`;
  const resolved = resolver.futureResolves.find((r) => r.key === test.key)!;
  return [
    makeFinding('PY-ASYNC-005', gated, fn.file, test.span, message, [
      { file: resolver.file, range: toRange(resolved.span), message: 'the waiter is resolved here and stays in its slot' },
      ...contextRelated(program, contexts.slice(0, 1), fn),
    ]),
  ];
}
