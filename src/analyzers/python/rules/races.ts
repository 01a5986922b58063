import type { Finding, FixSuggestion, RelatedLocation } from '../../../shared/findings';
import { holdsThreadSafeObject, pairIsEvidence, strengthOf, visibleTo } from '../evidence';
import { introduceLockFix } from '../fixes';
import { repeatsHarmlessly } from '../idempotent';
import type { FunctionInfo, Program } from '../program';
import { appendsDuringListIteration, closedBefore, confinedToItsThread, initializedBeforeStart, orderedBetween, publishedBefore } from '../refutation';
import { at, contextPhrase, contextRelated, fnName, keyName, line, makeFinding, toRange, wrapInWith } from '../report';
import type { ExecutionContext } from '../roots';
import { joins, type Access, type AccessKind, type CheckAct, type LockUse, type Span } from '../summary';

/**
 * PY-RACE-001..007: data races between thread contexts.
 *
 * Only sequences that CPython does not execute atomically count (read-modify-write, compound
 * container updates, check-then-act, iteration against mutation); single built-in operations
 * (`append`, `d[k] = v`, `setdefault`, one attribute store) are never reported. A pair is
 * reported when two thread contexts that can overlap reach it (the evidence gate, see
 * `evidence.ts`), no lock is held in common (counting the locks every caller holds when a
 * helper is entered) and nothing orders or confines the two accesses (`refutation.ts`).
 */

const WRITES: ReadonlySet<AccessKind> = new Set(['write', 'rmw', 'compound']);
const STRUCTURAL: ReadonlySet<AccessKind> = new Set(['mutate', 'compound']);
const ANY_WRITE: ReadonlySet<AccessKind> = new Set(['write', 'rmw', 'compound', 'mutate']);
const REBINDS: ReadonlySet<AccessKind> = new Set(['write']);

interface Side {
  fn: FunctionInfo;
  span: Span;
  /** Held on every path here. */
  locks: string[];
  /** Taken in `fn` itself, to which a context adds the locks held on its own paths (none for a view the caller iterates later). */
  own?: string[];
  viaSelf: boolean;
  access?: Access;
}

/**
 * Two lock sets exclude each other for `key`. A lock that lives on an object serializes only
 * the runs that hold that same object's lock: a module global every object uses stays open to
 * runs holding another object's lock. (A class attribute is mostly a default each object
 * overwrites, so it is left to the lock.)
 */
function exclude(program: Program, a: string[], b: string[], key: string): boolean {
  const global = !/[.#]/.test(key.slice(key.indexOf(':') + 1));
  return a.some((l) => b.includes(l) && !(global && program.isInstanceField(l)));
}

/** The locks a side holds when it runs in context `id`. */
function locksIn(program: Program, side: Side, id: string): string[] {
  return side.own ? program.locksIn(side.fn, side.own, id, side.span.line) : side.locks;
}

interface Race {
  partner: { fn: FunctionInfo; access: Access } | 'self';
  ours: string;
  theirs: string;
  /** The contexts are evidence enough for a warning (`evidence.ts`). */
  gated: boolean;
  /** One side runs in a context started in code or a thread the class starts, not only its callers by design. */
  concrete: boolean;
}

export function raceFindings(program: Program): Finding[] {
  const findings: Finding[] = [];
  const reported = new Set<string>();
  const mark = (fn: FunctionInfo, span: Span) => reported.add(`${fn.file}:${span.line}`);
  const isMarked = (fn: FunctionInfo, span: Span) => reported.has(`${fn.file}:${span.line}`);

  // One finding per function, state and kind of update, as RacerD reports one race per access
  // path and procedure: the other sites are related locations (a generated function of 60,000
  // `counter += 1` lines is one race, not 60,000 rows in the Problems panel).
  const byFunctionAndState = new Map<string, { finding: Finding; more: number }>();
  for (const fn of program.functions.values()) {
    if (fn.isAsync) continue;
    for (const access of fn.accesses) {
      if (access.kind !== 'rmw' && access.kind !== 'compound' && access.kind !== 'iterate') continue;
      // State of modules outside the run (`sys.path`): its other writers are out of sight.
      if (!program.isProjectState(access.key)) continue;
      // A fresh object's own fields are not shared while its constructor runs.
      if (fn.constructor && access.viaSelf) continue;
      const side: Side = { fn, span: access.span, locks: program.locksAt(fn, access.locks, access.span.line), own: access.locks, viaSelf: access.viaSelf, access };
      // A guarded update racing with a bare write elsewhere is the bare write's fault (PY-RACE-004).
      if (access.kind !== 'iterate' && side.locks.length > 0) continue;
      const partners = access.kind === 'rmw' ? WRITES : access.kind === 'compound' ? STRUCTURAL : new Set<AccessKind>(['mutate']);
      let race = findRace(program, side, access.key, partners, access.kind !== 'iterate');
      // An update is a note when only a class's design races it (see accessRaceFinding): look
      // further for a thread the code starts or a framework's requests racing it too.
      if (race?.gated && !race.concrete && access.kind !== 'iterate') race = findRace(program, side, access.key, partners, false, { concreteOnly: true }) ?? race;
      if (!race) continue;
      mark(fn, access.span);
      const group = `${fn.key}\n${access.key}\n${access.kind}`;
      const earlier = byFunctionAndState.get(group);
      if (earlier) {
        alsoHere(earlier, fn, access);
        continue;
      }
      const finding = accessRaceFinding(program, side, access, race);
      byFunctionAndState.set(group, { finding, more: 0 });
      findings.push(finding);
    }
    if (fn.constructor) continue;
    for (const act of fn.checkActs) {
      if (act.constantWrite || (!act.unguarded && act.awaitBetween) || !program.isProjectState(act.key)) continue;
      const side: Side = { fn, span: act.write, locks: program.locksAt(fn, [], act.write.line), own: [], viaSelf: act.viaSelf };
      // A membership test and its store, both made holding a lock that every caller (or the
      // decorator) takes and that guards this state, are one step to the code that takes it too; a
      // bare write elsewhere is that write's fault (PY-RACE-004), as for a locked update. A lazy
      // creation stays reported: a reset between its steps starts a second resource.
      if (!act.lazyInit && exclude(program, side.locks, side.locks, act.key)) continue;
      // A test for None keeps its answer while others only change the object's contents.
      const partners = act.identityCheck ? REBINDS : ANY_WRITE;
      // Taking out what the check found there: others adding (`append`, `add`) leave it there.
      const partner = act.removes ? (access: Access) => !access.onlyAdds : undefined;
      let race = findRace(program, side, act.key, partners, !act.identityCheck, { partner });
      // A check-then-act is a note when only a class's design races it (see checkActFinding):
      // look further for a thread the code starts or a framework's requests racing it too.
      if (race?.gated && !race.concrete && !act.lazyInit) race = findRace(program, side, act.key, partners, false, { concreteOnly: true, partner }) ?? race;
      if (!race || (act.lazyInit && race.partner === 'self' && [race.ours, race.theirs].every((id) => initializedBeforeStart(program, id, act.key)))) continue;
      mark(fn, act.write);
      findings.push(checkActFinding(program, side, act, race));
    }
  }
  findings.push(...inconsistentLocking(program, isMarked));
  findings.push(...wrongLock(program, isMarked));
  findings.push(...escapingViews(program));
  findings.push(...splitDecisions(program));
  return findings;
}

function threadContexts(program: Program, fn: FunctionInfo, span: Span, key: string, viaSelf: boolean, withTasks = false): string[] {
  const owned = visibleTo(program, key);
  const kind = withTasks ? (c: ExecutionContext) => program.isThreadContext(c) || program.isTaskContext(c) : program.isThreadContext;
  return program.contextsAt(fn, span.line, kind).filter((id) => owned(id) && (!viaSelf || program.sharesSelf(id, fn)));
}

interface RaceSearch {
  /** Contexts of asyncio tasks count as well as threads. */
  withTasks?: boolean;
  /** Only a pair with a context started in code or a framework's requests (see `isConcrete`). */
  concreteOnly?: boolean;
  /** Which other accesses may be the partner, beside their kind (given the locks they hold). */
  partner?: (access: Access, locks: string[]) => boolean;
}

/**
 * The racing pair for an access: the same code in two overlapping contexts, or another
 * access of `partnerKinds` (that `search.partner` accepts) with no common lock. A pair that is
 * evidence enough for a warning wins over one that is not; the search stops at the first such pair.
 */
function findRace(program: Program, side: Side, key: string, partnerKinds: ReadonlySet<AccessKind>, allowSelf: boolean, search: RaceSearch = {}): Race | undefined {
  const { withTasks = false, concreteOnly = false } = search;
  const ours = threadContexts(program, side.fn, side.span, key, side.viaSelf, withTasks);
  if (ours.length === 0) return undefined;
  let fallback: Race | undefined;
  const consider = (race: Race): Race | undefined => {
    if (concreteOnly && !race.concrete) return undefined;
    if (race.gated) return race;
    fallback ??= race;
    return undefined;
  };
  // Looking only for a concrete partner: other functions' accesses (the same function's run in
  // the contexts already paired), grouped so that a long function is passed over at once.
  const partners = concreteOnly
    ? [...accessesByFunction(program, key)].flatMap(([fn, list]) => (fn === side.fn ? [] : list))
    : program.accessesByKey.get(key) ?? [];
  if (allowSelf && !concreteOnly && !exclude(program, side.locks, side.locks, key)) {
    for (const a of ours) {
      for (const b of ours) {
        if (!program.concurrent(a, b, side.viaSelf) || (side.access && confinedToItsThread(program, side.fn, side.access, a, b))) continue;
        // Both runs hold a lock on the paths that reach here in their contexts.
        if (exclude(program, locksIn(program, side, a), locksIn(program, side, b), key)) continue;
        const found = consider({ partner: 'self', ours: a, theirs: b, gated: pairIsEvidence(program, a, b, key), concrete: isConcrete(program, a, b) });
        if (found) return found;
      }
    }
  }
  // Another module's state (`os.environ`) is shared only by code that knows of each other's
  // modules: two packages that never import one another are not one program's two sides.
  const projectState = program.isProjectState(key);
  for (const { fn, access } of partners) {
    if (!partnerKinds.has(access.kind) || fn.isAsync || (fn.constructor && access.viaSelf)) continue;
    if (fn === side.fn && access.span.line === side.span.line) continue;
    if (!projectState && !program.related(side.fn, fn)) continue;
    const theirLocks = program.locksAt(fn, access.locks, access.span.line);
    if (exclude(program, theirLocks, side.locks, key) || (search.partner && !search.partner(access, theirLocks))) continue;
    if (orderedBetween(program, side.fn, side.span.line, fn, access.span.line)) continue;
    if (closedBefore(program, side.fn, side.span.line, fn, access) || closedBefore(program, fn, access.span.line, side.fn, side.access)) continue;
    if (publishedBefore(program, fn, access.span.line, key, side.fn, side.span.line) || publishedBefore(program, side.fn, side.span.line, key, fn, access.span.line)) continue;
    if (side.access?.kind === 'iterate' && appendsDuringListIteration(program, key, access)) continue;
    const theirs = threadContexts(program, fn, access.span, key, access.viaSelf, withTasks);
    for (const a of ours) {
      for (const b of theirs) {
        if (!program.concurrent(a, b, side.viaSelf && access.viaSelf) || interruptsOnly(program, a, b)) continue;
        if (exclude(program, locksIn(program, side, a), program.locksIn(fn, access.locks, b, access.span.line), key)) continue;
        if (joinedBefore(program, side.fn, side.span.line, b) || joinedBefore(program, fn, access.span.line, a)) continue;
        const found = consider({ partner: { fn, access }, ours: a, theirs: b, gated: pairIsEvidence(program, a, b, key), concrete: isConcrete(program, a, b) });
        if (found) return found;
      }
    }
  }
  return fallback;
}

/**
 * Our side runs in a signal handler, theirs in the code that installed it: the handler runs to
 * its end on the main thread before that code goes on, so theirs cannot come between our steps
 * (the other way round it can, and is checked from their side).
 */
function interruptsOnly(program: Program, ours: string, theirs: string): boolean {
  const context = program.context(ours);
  return context?.spawn.kind === 'signal' && !program.isParentContext(ours) && program.isParentContext(theirs) && program.context(theirs) === context;
}

const byFunction = new WeakMap<Program, Map<string, Map<FunctionInfo, { fn: FunctionInfo; access: Access }[]>>>();

/** The accesses of `key`, by function. */
function accessesByFunction(program: Program, key: string): Map<FunctionInfo, { fn: FunctionInfo; access: Access }[]> {
  let cache = byFunction.get(program);
  if (!cache) byFunction.set(program, (cache = new Map()));
  let grouped = cache.get(key);
  if (!grouped) {
    grouped = new Map();
    for (const entry of program.accessesByKey.get(key) ?? []) {
      const list = grouped.get(entry.fn) ?? [];
      list.push(entry);
      grouped.set(entry.fn, list);
    }
    cache.set(key, grouped);
  }
  return grouped;
}

/** `fn` joins the thread of context `id` before `line` (`self._thread.join()` in `stop()`): ordered after it. */
function joinedBefore(program: Program, fn: FunctionInfo, line: number, id: string): boolean {
  const context = program.context(id);
  if (!context || context.root || program.isParentContext(id) || fn.joins.length === 0) return false;
  return fn.joins.some((join) => join.span.line < line && joins(join, context.spawn));
}

function isConcrete(program: Program, a: string, b: string): boolean {
  return [a, b].some((id) => program.isParentContext(id) || strengthOf(program.context(id)!) === 'concrete');
}

/** "`put` (line 80, other threads calling `Cache`)": a side of a race with the context it runs in. */
function sideText(program: Program, fn: FunctionInfo, span: Span, context: string): string {
  return `\`${fnName(fn)}\` (line ${line(span)}, ${contextPhrase(program, context, fn)})`;
}

/** The second side of a race: another run of the same code, or the partner access. */
function otherSide(program: Program, race: Race): string {
  if (race.partner === 'self') {
    const theirs = contextPhrase(program, race.theirs, program.context(race.theirs)!.target);
    // Two targets of one start (a `start_background_task(target)` wrapper) read alike: say it once.
    return race.ours === race.theirs || theirs === contextPhrase(program, race.ours, program.context(race.ours)!.target) ? 'another run' : `a run in ${theirs}`;
  }
  return sideText(program, race.partner.fn, race.partner.access.span, race.theirs);
}

function raceRelated(program: Program, side: Side, race: Race): RelatedLocation[] {
  const related: RelatedLocation[] = [];
  if (race.partner !== 'self') {
    related.push({ file: race.partner.fn.file, range: toRange(race.partner.access.span), message: `the other access: \`${race.partner.access.text}\`` });
  }
  related.push(...contextRelated(program, [race.ours], side.fn));
  if (race.partner !== 'self') related.push(...contextRelated(program, [race.theirs], race.partner.fn));
  else if (race.theirs !== race.ours) related.push(...contextRelated(program, [race.theirs], side.fn));
  return related;
}

/** A lock that guards writes of `key` elsewhere, spelled so that it works inside `fn`. */
function guardFor(program: Program, fn: FunctionInfo, key: string): { expr: string; usable: boolean; span: Span; file: string } | undefined {
  const guard = guardedWrite(program, key);
  if (!guard) return undefined;
  const { other, use, lockKey } = guard;
  const path = lockKey.slice(lockKey.indexOf(':') + 1);
  const sameClass = use.expr.startsWith('self.') && other.className !== undefined && other.className === fn.className && path.startsWith(`${fn.className}.`);
  const sameModuleGlobal = !path.includes('.') && !path.includes('#') && other.file === fn.file && /^\w+$/.test(use.expr);
  return { expr: use.expr, usable: sameClass || sameModuleGlobal, span: use.span, file: other.file };
}

const guardedWrites = new WeakMap<Program, Map<string, { other: FunctionInfo; use: LockUse; lockKey: string } | null>>();

/** The first write of `key` made holding a lock, and that lock (once per key: a long function repeats one update). */
function guardedWrite(program: Program, key: string): { other: FunctionInfo; use: LockUse; lockKey: string } | undefined {
  let cache = guardedWrites.get(program);
  if (!cache) guardedWrites.set(program, (cache = new Map()));
  let found = cache.get(key);
  if (found === undefined) {
    found = null;
    for (const { fn: other, access } of program.accessesByKey.get(key) ?? []) {
      if (!ANY_WRITE.has(access.kind) || access.locks.length === 0) continue;
      const lockKey = access.locks[access.locks.length - 1]!;
      const use = other.acquires.find((a) => a.key === lockKey);
      if (use) {
        found = { other, use, lockKey };
        break;
      }
    }
    cache.set(key, found);
  }
  return found ?? undefined;
}

/** The fix and the advice for an unguarded update: the lock that guards it elsewhere, or a new one. */
function remedy(program: Program, side: Side, access: Access, race: Race): { fixes: FixSuggestion[]; advice: string; related: RelatedLocation[] } {
  const guard = guardFor(program, side.fn, access.key);
  if (guard) {
    return {
      fixes: guard.usable && access.stmt ? [wrapInWith(side.fn.file, access.stmt, guard.expr)] : [],
      advice: `hold \`${guard.expr}\` around it as the other writes do`,
      related: [{ file: guard.file, range: toRange(guard.span), message: `\`${keyName(access.key)}\` is guarded by \`${guard.expr}\` here` }],
    };
  }
  const sites = race.partner === 'self' ? [access] : [access, race.partner.access];
  const fix = race.partner === 'self' || race.partner.fn.file === side.fn.file ? introduceLockFix(program, side.fn, access.key, sites) : undefined;
  return { fixes: fix ? [fix] : [], advice: race.partner === 'self' ? 'hold a lock around the update' : 'hold one lock around both', related: [] };
}

function accessRaceFinding(program: Program, side: Side, access: Access, race: Race): Finding {
  const state = `\`${keyName(access.key)}\``;
  const ours = sideText(program, side.fn, access.span, race.ours);
  let message: string;
  let fixes: FixSuggestion[] = [];
  let extra: RelatedLocation[] = [];
  if (access.kind === 'iterate') {
    // Iterating under a lock the changing side does not take: the fix is on that side.
    const held = race.partner !== 'self' && side.locks.length > 0 ? side.fn.acquires.find((a) => side.locks.includes(a.key))?.expr ?? keyName(side.locks[0]!) : undefined;
    message = held
      ? `${state} is iterated holding \`${held}\` in ${ours} while ${otherSide(program, race)} adds or removes items without it; take \`${held}\` there too.`
      : `${state} is iterated in ${ours} while ${otherSide(program, race)} adds or removes items; iterate over a copy taken under the lock that guards the changes.`;
  } else {
    const r = remedy(program, side, access, race);
    fixes = r.fixes;
    extra = r.related;
    const what = access.kind === 'rmw' ? 'is read and written back' : 'has an element read and stored back';
    message = race.partner === 'self'
      ? `${state} ${what} without a lock in ${ours}, and ${otherSide(program, race)} can interleave; ${r.advice}.`
      : `${state} ${what} in ${ours} while ${otherSide(program, race)} writes it, with no lock in common; ${r.advice}.`;
  }
  const ruleId = access.kind === 'rmw' ? 'PY-RACE-001' : access.kind === 'compound' ? 'PY-RACE-006' : 'PY-RACE-005';
  // An update raced only by the callers a class's design implies (it owns a lock) is mostly a
  // statistics counter, bumped and reset by methods that may never run at once: a note. Raced
  // by a thread the code starts or by a framework's concurrent requests, it is a warning.
  const counterByDesign = access.kind !== 'iterate' && !race.concrete;
  return makeFinding(ruleId, race.gated && !counterByDesign, side.fn.file, access.span, message, [...raceRelated(program, side, race), ...extra], fixes);
}

/** Sites listed on a finding besides its own; past that, the last entry counts the rest. */
const MAX_OTHER_SITES = 20;

function alsoHere(earlier: { finding: Finding; more: number }, fn: FunctionInfo, access: Access): void {
  const related = earlier.finding.related;
  const sites = related.filter((r) => r.message.startsWith('the same update'));
  if (sites.length < MAX_OTHER_SITES) {
    related.push({ file: fn.file, range: toRange(access.span), message: `the same update at line ${line(access.span)}: \`${access.text}\`` });
    return;
  }
  earlier.more += 1;
  const last = sites[sites.length - 1]!;
  last.message = `${last.message.replace(/ \(and \d+ more in this function\)$/, '')} (and ${earlier.more} more in this function)`;
}

function checkActFinding(program: Program, side: Side, act: CheckAct, race: Race): Finding {
  const state = `\`${keyName(act.key)}\``;
  const ours = sideText(program, side.fn, act.write, race.ours);
  const message = act.lazyInit
    ? `${state} is set after its check at line ${line(act.check)} in ${ours}, and ${otherSide(program, race)} can pass that check; create it under a lock, or before the threads start.`
    : `${state} is checked at line ${line(act.check)} and changed in ${ours}, and ${otherSide(program, race)} can change it in between; hold one lock across both steps.`;
  // Lazily storing what a lookup returns, or a value both threads compute alike, is idempotent
  // memoisation: worth a note, not a warning. A check and act raced only by the callers a
  // class's design implies (it owns a lock, it is a thread) are mostly steps of one consumer
  // or one phase the class's protocol orders: a note, like such an update (accessRaceFinding);
  // but not on an object of a thread-safe class (a locked pool map), made to be used at once.
  const byDesignOnly = !act.lazyInit && !race.concrete && !holdsThreadSafeObject(program, act.key);
  const gated = race.gated && !byDesignOnly && (!act.lazyInit || act.createsResource) && !repeatsHarmlessly(side.fn, act);
  return makeFinding(act.lazyInit ? 'PY-RACE-003' : 'PY-RACE-002', gated, side.fn.file, act.write, message, [
    { file: side.fn.file, range: toRange(act.check), message: `the check: \`${act.checkText}\`` },
    ...raceRelated(program, side, race),
  ]);
}

/** Methods that run while no other thread can touch the object: after fork, finalisation, pickling. */
const SINGLE_THREADED = /(^|\.)(_?after_?fork\w*|_at_fork\w*|__del__|__setstate__|__getstate__|__reduce\w*|__copy__|__deepcopy__|_reset_internal_locks)$/;

/** PY-RACE-004: written under a lock in one place and bare in another (once per function and state). */
function inconsistentLocking(program: Program, isMarked: (fn: FunctionInfo, span: Span) => boolean): Finding[] {
  const findings: Finding[] = [];
  for (const [key, list] of program.accessesByKey) {
    // A constructor that happens to hold a lock while it sets its own fields shows no discipline:
    // nothing else can see the object yet.
    const locked = list.filter(({ fn, access }) => access.locks.length > 0 && !(fn.constructor && access.viaSelf));
    const guards = locked.filter(({ fn, access }) => WRITES.has(access.kind) && !SINGLE_THREADED.test(fn.name));
    if (guards.length === 0) continue;
    const projectState = program.isProjectState(key);
    // A flag stored bare conflicts only with a multi-step update made under the lock.
    const multiStep = locked.some(({ access }) => access.kind === 'rmw' || access.kind === 'compound');
    const reported = new Map<string, Finding>();
    for (const { fn, access } of list) {
      if (!WRITES.has(access.kind) || (access.constant && !multiStep)) continue;
      if ((fn.constructor && access.viaSelf) || fn.isAsync || fn.name === '<module>' || SINGLE_THREADED.test(fn.name) || isMarked(fn, access.span)) continue;
      if (program.locksAt(fn, access.locks, access.span.line).length > 0) continue;
      const guarded = guards.find((g) => projectState || program.related(fn, g.fn));
      if (!guarded) continue;
      // The function that owns a captured local initialises it before any closure runs.
      if (key.includes('#') && key.slice(0, key.indexOf('#')) === fn.key) continue;
      // Set up before the threads that use it are started: ordered by `start()`.
      if (fn.spawns.some((s) => s.span.line > access.span.line)) continue;
      const earlier = reported.get(fn.key);
      if (earlier) {
        earlier.related.push({ file: fn.file, range: toRange(access.span), message: `also written without the lock here: \`${access.text}\`` });
        continue;
      }
      const side: Side = { fn, span: access.span, locks: [], own: access.locks, viaSelf: access.viaSelf, access };
      const race = findRace(program, side, key, WRITES, access.kind !== 'write');
      const lockKey = guarded.access.locks[guarded.access.locks.length - 1]!;
      const use = guarded.fn.acquires.find((a) => a.key === lockKey);
      const lockExpr = use?.expr ?? keyName(lockKey);
      const guardFix = guardFor(program, fn, key);
      const fixes = guardFix?.usable && access.stmt ? [wrapInWith(fn.file, access.stmt, guardFix.expr)] : [];
      const where = race ? sideText(program, fn, access.span, race.ours) : at(fn, access.span);
      const message = `\`${keyName(key)}\` is written without a lock in ${where}, but ${at(guarded.fn, guarded.access.span)} writes it holding \`${lockExpr}\`; take \`${lockExpr}\` here too.`;
      const related: RelatedLocation[] = [
        { file: guarded.fn.file, range: toRange(guarded.access.span), message: `the guarded write: \`${guarded.access.text}\`` },
        ...(race ? raceRelated(program, side, race) : []),
      ];
      // A plain store racing only with a class's callers by design is mostly set-up or tear-down: a note.
      const gated = race !== undefined && race.gated && (access.kind !== 'write' || race.concrete);
      const finding = makeFinding('PY-RACE-004', gated, fn.file, access.span, message, related, fixes);
      reported.set(fn.key, finding);
      findings.push(finding);
    }
  }
  return findings;
}

const CHANGES: ReadonlySet<AccessKind> = new Set(['write', 'rmw', 'compound', 'mutate']);
const GUARDED_USES: ReadonlySet<AccessKind> = new Set(['write', 'rmw', 'compound', 'mutate', 'iterate']);

/**
 * PY-RACE-004, the wrong lock: a change made holding a lock, but not the one every other
 * locked use of the state holds (at least two of them), so it excludes none of them.
 */
function wrongLock(program: Program, isMarked: (fn: FunctionInfo, span: Span) => boolean): Finding[] {
  const findings: Finding[] = [];
  for (const [key, list] of program.accessesByKey) {
    const locked = list
      .filter(({ access }) => GUARDED_USES.has(access.kind))
      .map((entry) => ({ ...entry, held: program.locksAt(entry.fn, entry.access.locks, entry.access.span.line) }))
      .filter((entry) => entry.held.length > 0);
    if (locked.length < 3) continue;
    // A lock held by every locked use but one: that one uses the wrong lock (counted once per key).
    const holders = new Map<string, number>();
    for (const entry of locked) for (const lock of new Set(entry.held)) holders.set(lock, (holders.get(lock) ?? 0) + 1);
    const guards = [...holders].filter(([, n]) => n === locked.length - 1).map(([lock]) => lock);
    if (guards.length === 0) continue;
    for (const suspect of locked) {
      if (!CHANGES.has(suspect.access.kind) || suspect.fn.isAsync || isMarked(suspect.fn, suspect.access.span)) continue;
      const guard = guards.find((lock) => !suspect.held.includes(lock));
      if (!guard) continue;
      const side: Side = { fn: suspect.fn, span: suspect.access.span, locks: suspect.held, own: suspect.access.locks, viaSelf: suspect.access.viaSelf, access: suspect.access };
      // The other side is a use that holds the guard: a bare write is PY-RACE-004's other form.
      const race = findRace(program, side, key, GUARDED_USES, false, { partner: (_access, locks) => locks.includes(guard) });
      if (!race || race.partner === 'self') continue;
      const guardUse = race.partner.fn.acquires.find((a) => a.key === guard);
      const heldUse = suspect.fn.acquires.find((a) => suspect.held.includes(a.key));
      const guardExpr = guardUse?.expr ?? keyName(guard);
      const message =
        `\`${keyName(key)}\` is changed holding \`${heldUse?.expr ?? keyName(suspect.held[0]!)}\` in ${sideText(program, suspect.fn, suspect.access.span, race.ours)}, ` +
        `but ${at(race.partner.fn, race.partner.access.span)} guards it with \`${guardExpr}\`; take \`${guardExpr}\` here instead.`;
      findings.push(
        makeFinding('PY-RACE-004', race.gated, suspect.fn.file, suspect.access.span, message, [
          ...raceRelated(program, side, race),
          ...(heldUse ? [{ file: suspect.fn.file, range: toRange(heldUse.span), message: 'the lock this change holds, which the other uses do not take' }] : []),
        ]),
      );
    }
  }
  return findings;
}

/** Changes to the object a view walks: binding the name to another object leaves the view on the old one. */
const MUTATIONS: ReadonlySet<AccessKind> = new Set(['compound', 'mutate']);

/**
 * PY-RACE-005, the escaping view: a live view or lazy iterator of shared state returned to
 * the caller, who iterates it after any lock held here is released, while another thread or
 * task changes the state.
 */
function escapingViews(program: Program): Finding[] {
  const findings: Finding[] = [];
  for (const fn of program.functions.values()) {
    for (const escape of fn.viewEscapes) {
      if (!program.isProjectState(escape.key)) continue;
      const side: Side = { fn, span: escape.span, locks: [], viaSelf: escape.viaSelf };
      const race = findRace(program, side, escape.key, MUTATIONS, false, { withTasks: true });
      if (!race || race.partner === 'self') continue;
      const underLock = escape.locks.length > 0 ? ' after the lock is released' : '';
      const message =
        `\`${keyName(escape.key)}\` leaves ${sideText(program, fn, escape.span, race.ours)} as a live view that callers iterate${underLock} while ` +
        `${at(race.partner.fn, race.partner.access.span)} changes it; return a copy, such as \`list(...)\`.`;
      findings.push(
        makeFinding('PY-RACE-005', race.gated, fn.file, escape.span, message, [
          { file: fn.file, range: toRange(escape.span), message: `the view: \`${escape.text}\`` },
          ...raceRelated(program, side, race),
        ]),
      );
    }
  }
  return findings;
}

/** PY-RACE-007: a decision taken in one critical section and acted on in another. */
function splitDecisions(program: Program): Finding[] {
  const findings: Finding[] = [];
  for (const fn of program.functions.values()) {
    for (const split of fn.splitDecisions) {
      const contexts = program.contextsAt(fn, split.second.line, program.isThreadContext);
      if (contexts.length === 0) continue;
      const gated = contexts.some((id) => pairIsEvidence(program, id, id, undefined));
      const message =
        `\`${split.variable}\` is decided under \`${keyName(split.lock)}\` at line ${line(split.first)} and acted on at line ${line(split.second)} ` +
        `in a second critical section of \`${fnName(fn)}\`; decide and act in one critical section.`;
      findings.push(
        makeFinding('PY-RACE-007', gated, fn.file, split.second, message, [
          { file: fn.file, range: toRange(split.first), message: 'the decision is taken here, in the first critical section' },
          ...contextRelated(program, contexts, fn),
        ]),
      );
    }
  }
  return findings;
}
