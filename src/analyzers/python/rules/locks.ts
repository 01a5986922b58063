import type { Finding, RelatedLocation } from '../../../shared/findings';
import type { FunctionInfo, Program } from '../program';
import { pairIsEvidence } from '../evidence';
import { at, contextPhrase, contextRelated, fnName, keyName, line, makeFinding, toRange } from '../report';
import { CONDITION_ON_GIVEN_LOCK, isThreadingLockKind, lockUnderCondition } from '../kinds';
import { joins, type LockUse, type Span } from '../summary';

/**
 * PY-DL-001..005: deadlocks and lock misuse.
 *
 * Lock identity is the lock's class (lockdep): `Account._lock` for `self._lock` in class
 * `Account`, `module.LOCK` for a module-level lock. Every nesting seen anywhere in the run,
 * directly or through calls made while holding a lock, adds an edge to ONE lock-order graph;
 * a cycle between code paths that can run concurrently is PY-DL-001.
 *
 * Two instances of one class locked in nested order (`with a._lock: with b._lock:`) is the
 * classic transfer deadlock. An intentional order is declared either in code, by ordering the
 * two objects by identity in the function (`first, second = sorted((a, b), key=id)`, or a
 * comparison `id(a) < id(b)`), or by a comment anywhere in the run:
 *
 *     # conclens: lock-order Account._lock by id
 */

interface EdgeEvidence {
  fn: FunctionInfo;
  outer: LockUse;
  inner: LockUse;
  /** Set when the inner lock is taken by a callee. */
  via?: FunctionInfo;
  callSpan?: Span;
}

export function lockFindings(program: Program): Finding[] {
  const acquiredCache = new Map<string, Map<string, { fn: FunctionInfo; use: LockUse }>>();
  const acquiredBy = (fn: FunctionInfo) => {
    let cached = acquiredCache.get(fn.key);
    if (!cached) {
      cached = new Map();
      for (const reached of program.reachable(fn)) {
        for (const use of reached.acquires) if (!use.tries && !cached.has(use.key)) cached.set(use.key, { fn: reached, use });
      }
      acquiredCache.set(fn.key, cached);
    }
    return cached;
  };
  return [
    ...orderFindings(program, acquiredBy),
    ...reacquireFindings(program),
    ...bareAcquireFindings(program),
    ...joinUnderLockFindings(program, acquiredBy),
    ...conditionFindings(program),
  ];
}

type AcquiredBy = (fn: FunctionInfo) => Map<string, { fn: FunctionInfo; use: LockUse }>;

function orderFindings(program: Program, acquiredBy: AcquiredBy): Finding[] {
  const graph = new Map<string, Map<string, EdgeEvidence>>();
  const addEdge = (evidence: EdgeEvidence) => {
    const from = evidence.outer.key;
    const to = evidence.inner.key;
    if (from === to) return;
    const targets = graph.get(from) ?? new Map<string, EdgeEvidence>();
    if (!targets.has(to)) targets.set(to, evidence);
    graph.set(from, targets);
  };
  const findings: Finding[] = [];
  for (const fn of program.functions.values()) {
    for (const edge of fn.edges) {
      if (edge.outer.key === edge.inner.key) {
        if (edge.distinctReceivers) findings.push(...transferFinding(program, fn, edge.outer, edge.inner, edge.ordered));
        continue;
      }
      addEdge({ fn, outer: edge.outer, inner: edge.inner });
    }
    for (const call of fn.calls) {
      if (call.locks.length === 0) continue;
      for (const callee of program.callTargets(call, fn)) {
        if (callee === fn) continue;
        for (const [key, { fn: taker, use }] of acquiredBy(callee)) {
          // A lock the caller already holds is re-entered, not waited for in a new order (and a
          // non-re-entrant one is PY-DL-002's to report).
          if (call.locks.includes(key)) continue;
          for (const heldKey of call.locks) {
            if (heldKey === key || call.handsOver?.includes(heldKey)) continue;
            const outer = fn.acquires.find((a) => a.key === heldKey);
            if (outer) addEdge({ fn, outer, inner: use, via: taker, callSpan: call.span });
          }
        }
      }
    }
  }
  for (const cycle of findCycles(graph)) findings.push(cycleFinding(program, cycle));
  return findings;
}

/**
 * Declared by class (`Account._lock`) in the module that defines the class or in the file
 * that nests the locks, so a same-named class of another module keeps its findings; a receiver
 * of unknown class (`*._lock`) matches a declaration with that attribute in its own file.
 */
function isDeclaredOrder(program: Program, key: string, file: string): boolean {
  const name = keyName(key);
  const declared = program.declaredOrders.get(name);
  if (declared) return declared.files.has(file) || declared.modules.has(key.slice(0, key.indexOf(':')).replace(/@.*$/, ''));
  if (!name.startsWith('*.')) return false;
  return [...program.declaredOrders].some(([order, { files }]) => order.endsWith(name.slice(1)) && files.has(file));
}

function transferFinding(program: Program, fn: FunctionInfo, outer: LockUse, inner: LockUse, ordered: boolean): Finding[] {
  if (ordered || isDeclaredOrder(program, outer.key, fn.file)) return [];
  const ids = program.contextsAt(fn, inner.span.line, program.isThreadContext);
  const gated = ids.some((a) => ids.some((b) => program.concurrent(a, b, false) && pairIsEvidence(program, a, b, undefined)));
  const message =
    `\`${outer.expr}\` and \`${inner.expr}\` are two \`${keyName(outer.key)}\` locks taken in argument order in ${at(fn, inner.span)}, so a concurrent ` +
    `call with the arguments swapped deadlocks; take them sorted by \`id\` and declare \`# conclens: lock-order ${keyName(outer.key)} by id\`.`;
  return [
    makeFinding('PY-DL-001', gated, fn.file, inner.span, message, [
      { file: fn.file, range: toRange(outer.span), message: `the first of the two: \`${outer.expr}\`` },
      ...contextRelated(program, ids, fn),
    ]),
  ];
}

/** Simple cycles of the lock graph, one per strongly connected component, deterministic. */
function findCycles(graph: Map<string, Map<string, EdgeEvidence>>): EdgeEvidence[][] {
  const nodes = [...graph.keys()].sort();
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  for (const start of nodes) {
    if (index.has(start)) continue;
    const work: { node: string; next: string[]; i: number }[] = [];
    const open = (node: string) => {
      index.set(node, counter);
      low.set(node, counter++);
      stack.push(node);
      onStack.add(node);
      work.push({ node, next: [...(graph.get(node)?.keys() ?? [])].sort(), i: 0 });
    };
    open(start);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      if (frame.i < frame.next.length) {
        const next = frame.next[frame.i++]!;
        if (!index.has(next)) open(next);
        else if (onStack.has(next)) low.set(frame.node, Math.min(low.get(frame.node)!, index.get(next)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        if (component.length > 1) components.push(component.sort());
      }
    }
  }
  const cycles: EdgeEvidence[][] = [];
  for (const component of components) {
    const members = new Set(component);
    const start = component[0]!;
    const previous = new Map<string, string>();
    const queue = [start];
    let closing: string | undefined;
    for (let i = 0; i < queue.length && !closing; i++) {
      const node = queue[i]!;
      for (const next of [...(graph.get(node)?.keys() ?? [])].sort()) {
        if (!members.has(next)) continue;
        if (next === start) {
          closing = node;
          break;
        }
        if (!previous.has(next)) {
          previous.set(next, node);
          queue.push(next);
        }
      }
    }
    if (!closing) continue;
    const path = [closing];
    while (path[0] !== start) path.unshift(previous.get(path[0]!)!);
    const cycle: EdgeEvidence[] = [];
    for (let i = 0; i < path.length; i++) cycle.push(graph.get(path[i]!)!.get(path[(i + 1) % path.length]!)!);
    cycles.push(cycle);
  }
  return cycles;
}

function cycleFinding(program: Program, cycle: EdgeEvidence[]): Finding {
  const [first, second] = cycle as [EdgeEvidence, EdgeEvidence];
  const ids1 = program.contextsAt(first.fn, first.inner.span.line, program.isThreadContext);
  const ids2 = program.contextsAt(second.fn, second.inner.span.line, program.isThreadContext);
  const gated = ids1.some((a) => ids2.some((b) => program.concurrent(a, b, false) && pairIsEvidence(program, a, b, undefined)));
  const locks = cycle.map((e) => `\`${keyName(e.outer.key)}\``);
  const message = cycle.length === 2
    ? `${locks[0]} and ${locks[1]} are taken in opposite orders, first then second in ${at(first.fn, first.inner.span)} and the reverse in ` +
      `${at(second.fn, second.inner.span)}; take them in one global order everywhere.`
    : `${locks.slice(0, -1).join(', ')} and ${locks[locks.length - 1]} are taken in a cyclic order by ${cycle.map((e) => `\`${fnName(e.fn)}\``).join(', ')} ` +
      `(lines ${cycle.map((e) => line(e.inner.span)).join(', ')}); take them in one global order everywhere.`;
  const related: RelatedLocation[] = [];
  for (const edge of cycle) {
    const via = edge.via && edge.via !== edge.fn ? `, through \`${fnName(edge.via)}\` called at line ${line(edge.callSpan!)}` : '';
    related.push({ file: edge.fn.file, range: toRange(edge.outer.span), message: `\`${fnName(edge.fn)}\` holds \`${keyName(edge.outer.key)}\` from here` });
    related.push({ file: edge.via?.file ?? edge.fn.file, range: toRange(edge.inner.span), message: `and takes \`${keyName(edge.inner.key)}\` here${via}` });
  }
  related.push(...contextRelated(program, [...ids1, ...ids2]));
  return makeFinding('PY-DL-001', gated, first.via?.file ?? first.fn.file, first.inner.span, message, related.slice(1));
}

function reacquireFindings(program: Program): Finding[] {
  const findings: Finding[] = [];
  const selfAcquired = new Map<string, Map<string, { fn: FunctionInfo; use: LockUse }>>();
  const sameInstanceAcquires = (start: FunctionInfo) => {
    let cached = selfAcquired.get(start.key);
    if (cached) return cached;
    cached = new Map();
    // Each path carries the locks a try-acquire on it showed free: they are not held below it.
    const seen = new Set([`${start.key}|`]);
    const queue: { fn: FunctionInfo; free: string[] }[] = [{ fn: start, free: [] }];
    for (let i = 0; i < queue.length; i++) {
      const { fn, free } = queue[i]!;
      for (const use of fn.acquires) {
        // A helper that gives the lock back before it takes it again is called holding it.
        if (use.tries || free.includes(use.key) || fn.entersHolding?.includes(use.key)) continue;
        if ((use.expr.startsWith('self.') || /^\w+$/.test(use.expr)) && !cached.has(use.key)) cached.set(use.key, { fn, use });
      }
      for (const call of fn.calls) {
        if (!call.sameInstance) continue;
        const below = call.free ? [...new Set([...free, ...call.free])].sort() : free;
        for (const callee of program.callTargets(call, fn)) {
          const id = `${callee.key}|${below.join(',')}`;
          if (!seen.has(id)) {
            seen.add(id);
            queue.push({ fn: callee, free: below });
          }
        }
      }
    }
    selfAcquired.set(start.key, cached);
    return cached;
  };
  const isPlainLock = (key: string) => program.kindOf(key) === 'Lock';
  for (const fn of program.functions.values()) {
    for (const edge of fn.edges) {
      if (edge.outer.key !== edge.inner.key || edge.distinctReceivers || !isPlainLock(edge.outer.key)) continue;
      const message =
        `\`${edge.inner.expr}\` is taken again in ${at(fn, edge.inner.span)} while held since line ${line(edge.outer.span)}, and a threading.Lock ` +
        'is not re-entrant; use an RLock, or call an unlocked helper.';
      findings.push(makeFinding('PY-DL-002', true, fn.file, edge.inner.span, message, [
        { file: fn.file, range: toRange(edge.outer.span), message: 'the first acquisition, still held' },
      ]));
    }
    for (const call of fn.calls) {
      if (!call.sameInstance || call.locks.length === 0) continue;
      for (const callee of program.callTargets(call, fn)) {
        if (callee === fn) continue;
        const taken = sameInstanceAcquires(callee);
        for (const held of call.locks) {
          const inner = taken.get(held);
          const outer = fn.acquires.find((a) => a.key === held);
          if (!inner || !outer || outer.manual || !isPlainLock(held)) continue;
          const message =
            `\`${outer.expr}\` is held by ${at(fn, call.span)} when it calls \`${fnName(callee)}\`, which takes it again at line ${line(inner.use.span)}, ` +
            'and a threading.Lock is not re-entrant; use an RLock, or call an unlocked helper.';
          findings.push(makeFinding('PY-DL-002', true, fn.file, call.span, message, [
            { file: fn.file, range: toRange(outer.span), message: 'the lock is taken here' },
            { file: inner.fn.file, range: toRange(inner.use.span), message: inner.fn === callee ? 'and taken again here' : `and taken again here, in \`${fnName(inner.fn)}\`` },
          ]));
        }
      }
    }
  }
  return findings;
}

function bareAcquireFindings(program: Program): Finding[] {
  const findings: Finding[] = [];
  for (const fn of program.functions.values()) {
    for (const bare of fn.bareAcquires) {
      const message =
        `\`${bare.expr}\` is acquired in ${at(fn, bare.span)} and released later, but not in a \`finally\`, so an exception in between leaves it ` +
        `locked; use \`with ${bare.expr}:\`, or release it in \`finally\`.`;
      findings.push(makeFinding('PY-DL-003', true, fn.file, bare.span, message));
    }
  }
  return findings;
}

function joinUnderLockFindings(program: Program, acquiredBy: AcquiredBy): Finding[] {
  const findings: Finding[] = [];
  for (const fn of program.functions.values()) {
    for (const join of fn.joins) {
      const held = program.locksAt(fn, join.locks, join.span.line);
      if (held.length === 0) continue;
      for (const context of program.contexts.values()) {
        if (!joins(join, context.spawn)) continue;
        const taken = acquiredBy(context.target);
        const lock = held.find((key) => taken.has(key));
        if (!lock) continue;
        const inner = taken.get(lock)!;
        const message =
          `\`${keyName(lock)}\` is held by ${at(fn, join.span)} while it waits for ${contextPhrase(program, context.id, fn)}, whose ` +
          `\`${fnName(inner.fn)}\` takes it at line ${line(inner.use.span)}; release the lock before waiting.`;
        findings.push(makeFinding('PY-DL-004', true, fn.file, join.span, message, [
          { file: inner.fn.file, range: toRange(inner.use.span), message: 'the worker takes the lock here' },
          ...contextRelated(program, [context.id]),
        ]));
        break;
      }
      findings.push(...callbackWaitFindings(program, acquiredBy, fn, join, held));
    }
  }
  return findings;
}

/**
 * Waiting (join, `shutdown(wait)`) for objects this class gave itself to (`executor.start(self)`),
 * while holding a lock its public methods take: their threads can call back into those methods
 * and wait for the lock while this thread waits for them. One finding per lock held.
 */
function callbackWaitFindings(program: Program, acquiredBy: AcquiredBy, fn: FunctionInfo, join: { handle: string; span: Span }, held: string[]): Finding[] {
  // Objects that run threads: an executor, a pool, a worker (a job store given `self` runs none).
  if (!/(executor|pool|thread|worker)s?$/i.test(join.handle.slice(join.handle.search(/[^.#:]*$/)))) return [];
  const handoff = [...program.functions.values()].flatMap((f) => f.selfHandoffs.filter((h) => h.key === join.handle).map((h) => ({ f, h })))[0];
  if (!handoff || !fn.classKey) return [];
  const owner = program.classes.get(fn.classKey);
  const api = [...program.contexts.values()].filter((c) => c.root && c.kind === 'api' && c.selfClass && owner && program.ancestors(c.selfClass).includes(owner));
  const findings: Finding[] = [];
  for (const lock of held) {
    if (!isThreadingLockKind(program.kindOf(lock) ?? 'Lock')) continue;
    const entries = api.flatMap((c) => c.entries).filter((entry) => entry !== fn);
    const callback = entries.find((entry) => entry.acquires.some((a) => a.key === lock)) ?? entries.find((entry) => acquiredBy(entry).has(lock));
    if (!callback) continue;
    const taken = acquiredBy(callback).get(lock)!;
    const message =
      `\`${keyName(lock)}\` is held by ${at(fn, join.span)} while it waits for \`${keyName(join.handle)}\`, whose threads can call back into ` +
      `\`${fnName(callback)}\`, which takes it at line ${line(taken.use.span)}; release the lock before waiting.`;
    // Reported on the acquisition of each lock held, where releasing it earlier is the fix.
    const acquired = fn.acquires.find((a) => a.key === lock);
    findings.push(makeFinding('PY-DL-004', true, fn.file, acquired?.span ?? join.span, message, [
      { file: fn.file, range: toRange(join.span), message: 'the wait, with the lock held' },
      { file: handoff.f.file, range: toRange(handoff.h.span), message: `\`${keyName(join.handle)}\` is given \`self\` here, so its threads can call its methods` },
      { file: taken.fn.file, range: toRange(taken.use.span), message: 'a public method takes the lock here' },
    ]));
  }
  return findings;
}

function conditionFindings(program: Program): Finding[] {
  const findings: Finding[] = [];
  for (const fn of program.functions.values()) {
    for (const op of fn.conditionOps) {
      const kind = program.kindOf(op.key);
      if (!kind?.startsWith('Condition')) continue;
      const name = keyName(op.key);
      if (op.op === 'wait') {
        if (op.ok) continue;
        const message =
          `\`${name}\` is waited on in ${at(fn, op.span)} outside a loop that re-checks the predicate, so a spurious or stolen wake-up ` +
          `returns with it false; wait in \`while not predicate:\`, or use \`${name}.wait_for(predicate)\`.`;
        const fixes = op.ifKeyword
          ? [{ title: 'Re-check the predicate in a `while` loop', edits: [{ file: fn.file, range: toRange(op.ifKeyword), newText: 'while' }] }]
          : [];
        findings.push(makeFinding('PY-DL-005', true, fn.file, op.span, message, [], fixes));
      } else {
        // Built on a lock its creator passes in (`Condition(lock)`): callers may hold it under
        // any name, so not holding it cannot be shown (and would raise on the first run anyway).
        if (kind === CONDITION_ON_GIVEN_LOCK) continue;
        // Conditions built on one lock (`Condition(self.mutex)`) are held through any of them.
        const underlying = (key: string) => lockUnderCondition(program.kindOf(key)) ?? key;
        const held = program.locksAt(fn, op.locks, op.span.line).map(underlying);
        if (held.includes(underlying(op.key))) continue;
        const message =
          `\`${name}\` is notified in ${at(fn, op.span)} without being held, which raises RuntimeError and leaves the waiter unordered ` +
          `with the update; notify inside \`with ${name}:\`.`;
        findings.push(makeFinding('PY-DL-005', true, fn.file, op.span, message));
      }
    }
  }
  return findings;
}
