import type { Finding, FixSuggestion, RelatedLocation } from '../../../shared/findings';
import type { FunctionInfo, Program } from '../program';
import { contextLabel, fnName, keyName, line, makeFinding, spawnRelated, toRange, wrapInWith } from '../report';
import type { Access, AccessKind, Span, StatementSite } from '../summary';

/**
 * PY-RACE-001..007: data races between thread contexts.
 *
 * Only sequences that CPython does not execute atomically count (read-modify-write, compound
 * container updates, check-then-act, iteration against mutation); single built-in operations
 * (`append`, `d[k] = v`, `setdefault`, one attribute store) are never reported. A pair is
 * reported only when two thread contexts that can overlap reach it (the evidence gate) and no
 * lock is held in common, counting the locks every caller holds when a helper is entered.
 */

const WRITES: ReadonlySet<AccessKind> = new Set(['write', 'rmw', 'compound']);
const STRUCTURAL: ReadonlySet<AccessKind> = new Set(['mutate', 'compound']);
const ANY_WRITE: ReadonlySet<AccessKind> = new Set(['write', 'rmw', 'compound', 'mutate']);

interface Side {
  fn: FunctionInfo;
  span: Span;
  locks: string[];
  viaSelf: boolean;
  text: string;
}

interface Race {
  partner: { fn: FunctionInfo; access: Access } | 'self';
  ours: string;
  theirs: string;
}

export function raceFindings(program: Program): Finding[] {
  const findings: Finding[] = [];
  const reported = new Set<string>();
  const mark = (fn: FunctionInfo, span: Span) => reported.add(`${fn.file}:${span.line}`);
  const isMarked = (fn: FunctionInfo, span: Span) => reported.has(`${fn.file}:${span.line}`);

  for (const fn of program.functions.values()) {
    if (fn.constructor || fn.isAsync) continue;
    for (const access of fn.accesses) {
      if (access.kind !== 'rmw' && access.kind !== 'compound' && access.kind !== 'iterate') continue;
      const side: Side = { fn, span: access.span, locks: program.locksAt(fn, access.locks), viaSelf: access.viaSelf, text: access.text };
      // A guarded update racing with a bare write elsewhere is the bare write's fault (PY-RACE-004).
      if (access.kind !== 'iterate' && side.locks.length > 0) continue;
      const partners = access.kind === 'rmw' ? WRITES : access.kind === 'compound' ? STRUCTURAL : new Set<AccessKind>(['mutate']);
      const race = findRace(program, side, access.key, partners, access.kind !== 'iterate');
      if (!race) continue;
      mark(fn, access.span);
      const ruleId = access.kind === 'rmw' ? 'PY-RACE-001' : access.kind === 'compound' ? 'PY-RACE-006' : 'PY-RACE-005';
      findings.push(raceFinding(program, ruleId, side, access, race));
    }
    for (const act of fn.checkActs) {
      if (act.constantWrite || (!act.unguarded && act.awaitBetween)) continue;
      const side: Side = { fn, span: act.write, locks: program.locksAt(fn, []), viaSelf: act.key.includes('.'), text: act.writeText };
      const race = findRace(program, side, act.key, ANY_WRITE, true);
      if (!race) continue;
      mark(fn, act.write);
      const ruleId = act.lazyInit ? 'PY-RACE-003' : 'PY-RACE-002';
      const other = race.partner === 'self' ? (race.ours === race.theirs ? 'itself' : `itself in ${race.theirs}`) : `\`${race.partner.access.text}\` in \`${fnName(race.partner.fn)}\` (line ${line(race.partner.access.span)}, ${race.theirs})`;
      const what = act.lazyInit
        ? 'two threads can both see it unset and initialise it twice'
        : 'another thread can change it between the check and the update';
      const guard = guardFor(program, fn, act.key);
      const message =
        `\`${act.checkText}\` (line ${line(act.check)}) then \`${act.writeText}\` in \`${fnName(fn)}\` (${race.ours}) races with ${other}: ` +
        `${what}. ${guard ? `Hold \`${guard.expr}\` across the check and the update.` : 'Hold one lock across the check and the update.'}`;
      findings.push(
        makeFinding(ruleId, true, fn.file, act.write, message, [
          { file: fn.file, range: toRange(act.check), message: 'the check' },
          ...partnerRelated(race),
          ...spawnRelated(program, program.contextsAt(fn, act.write.line, program.isThreadContext)),
        ]),
      );
    }
  }
  findings.push(...inconsistentLocking(program, isMarked));
  findings.push(...splitDecisions(program));
  return findings;
}

/**
 * A local captured by a closure lives in one call's frame: only contexts started by that
 * function (or functions nested in it) can share it; another call gets a fresh variable.
 */
function ownerFilter(program: Program, key: string): (id: string) => boolean {
  const hash = key.indexOf('#');
  if (hash === -1) return () => true;
  const owner = key.slice(0, hash);
  return (id) => {
    const spawner = program.context(id)?.spawner.key;
    return spawner !== undefined && (spawner === owner || spawner.startsWith(`${owner}.`));
  };
}

function findRace(program: Program, side: Side, key: string, partnerKinds: ReadonlySet<AccessKind>, allowSelf: boolean): Race | undefined {
  const owned = ownerFilter(program, key);
  const ours = program.contextsAt(side.fn, side.span.line, program.isThreadContext).filter(owned)
    .filter((id) => !side.viaSelf || program.sharesSelf(id, side.fn));
  if (ours.length === 0) return undefined;
  if (allowSelf && side.locks.length === 0) {
    for (const a of ours) {
      for (const b of ours) {
        if (program.concurrent(a, b, side.viaSelf)) {
          const label = contextLabel(program, a, side.fn);
          return { partner: 'self', ours: label, theirs: a === b ? label : contextLabel(program, b, side.fn) };
        }
      }
    }
  }
  for (const { fn, access } of program.accessesByKey.get(key) ?? []) {
    if (!partnerKinds.has(access.kind) || fn.constructor || fn.isAsync) continue;
    if (fn === side.fn && access.span.line === side.span.line) continue;
    const theirLocks = program.locksAt(fn, access.locks);
    if (theirLocks.some((l) => side.locks.includes(l))) continue;
    if (orderedByEvent(program, side.fn, side.span.line, fn, access.span.line) || orderedByEvent(program, fn, access.span.line, side.fn, side.span.line)) continue;
    const theirs = program.contextsAt(fn, access.span.line, program.isThreadContext).filter(owned)
      .filter((id) => !access.viaSelf || program.sharesSelf(id, fn));
    for (const a of ours) {
      for (const b of theirs) {
        if (program.concurrent(a, b, side.viaSelf && access.viaSelf)) {
          return { partner: { fn, access }, ours: contextLabel(program, a, side.fn), theirs: contextLabel(program, b, fn) };
        }
      }
    }
  }
  return undefined;
}

/**
 * `first` happens before `second` through a `threading.Event`: the first function sets the
 * event after its access, and the second waits for it before its own.
 */
function orderedByEvent(program: Program, first: FunctionInfo, firstLine: number, second: FunctionInfo, secondLine: number): boolean {
  if (first.eventSets.length === 0 || second.eventWaits.length === 0) return false;
  return first.eventSets.some(
    (set) =>
      set.span.line > firstLine &&
      program.kindOf(set.key) === 'Event' &&
      second.eventWaits.some((wait) => wait.key === set.key && wait.span.line < secondLine),
  );
}

function partnerRelated(race: Race): RelatedLocation[] {
  if (race.partner === 'self') return [];
  return [{ file: race.partner.fn.file, range: toRange(race.partner.access.span), message: `the other access: \`${race.partner.access.text}\`` }];
}

/** A lock that guards writes of `key` elsewhere, spelled so that it works inside `fn`. */
function guardFor(program: Program, fn: FunctionInfo, key: string): { expr: string; usable: boolean; span: Span; file: string } | undefined {
  for (const { fn: other, access } of program.accessesByKey.get(key) ?? []) {
    if (!ANY_WRITE.has(access.kind) || access.locks.length === 0) continue;
    const lockKey = access.locks[access.locks.length - 1]!;
    const use = other.acquires.find((a) => a.key === lockKey);
    if (!use) continue;
    const path = lockKey.slice(lockKey.indexOf(':') + 1);
    const sameClass = use.expr.startsWith('self.') && other.className !== undefined && other.className === fn.className && path.startsWith(`${fn.className}.`);
    const sameModuleGlobal = !path.includes('.') && !path.includes('#') && other.file === fn.file && /^\w+$/.test(use.expr);
    return { expr: use.expr, usable: sameClass || sameModuleGlobal, span: use.span, file: other.file };
  }
  return undefined;
}

function fixesFor(program: Program, fn: FunctionInfo, key: string, site: StatementSite | undefined): { fixes: FixSuggestion[]; guardText: string; related: RelatedLocation[] } {
  const guard = guardFor(program, fn, key);
  if (!guard) return { fixes: [], guardText: 'Guard every write with one lock or hand the updates to a single thread through a queue.', related: [] };
  return {
    fixes: guard.usable && site ? [wrapInWith(fn.file, site, guard.expr)] : [],
    guardText: `Guard it with \`${guard.expr}\` (used at line ${line(guard.span)}) or use a queue.`,
    related: [{ file: guard.file, range: toRange(guard.span), message: `\`${keyName(key)}\` is guarded by \`${guard.expr}\` here` }],
  };
}

const WHY: Record<string, string> = {
  'PY-RACE-001': 'read-modify-write is not atomic',
  'PY-RACE-006': 'reading and storing the element are two steps, so concurrent updates are lost',
  'PY-RACE-005': 'iterating while another thread adds or removes items raises "changed size during iteration" or skips items',
};

function raceFinding(program: Program, ruleId: string, side: Side, access: Access, race: Race): Finding {
  const other = race.partner === 'self'
    ? race.ours === race.theirs ? 'itself' : `itself in ${race.theirs}`
    : `\`${race.partner.access.text}\` in \`${fnName(race.partner.fn)}\` (line ${line(race.partner.access.span)}, ${race.theirs})`;
  const { fixes, guardText, related } = ruleId === 'PY-RACE-005'
    ? { fixes: [], guardText: 'Iterate over a copy taken under a lock, or hold the same lock while mutating and iterating.', related: [] }
    : fixesFor(program, side.fn, access.key, access.stmt);
  const message = `\`${access.text}\` in \`${fnName(side.fn)}\` (${race.ours}) races with ${other}: ${WHY[ruleId]}. ${guardText}`;
  return makeFinding(ruleId, true, side.fn.file, access.span, message, [
    ...partnerRelated(race),
    ...spawnRelated(program, program.contextsAt(side.fn, side.span.line, program.isThreadContext)),
    ...related,
  ], fixes);
}

/** Methods that run while no other thread can touch the object: after fork, finalisation, pickling. */
const SINGLE_THREADED = /(^|\.)(_?after_?fork\w*|_at_fork\w*|__del__|__setstate__|__getstate__|__reduce\w*|__copy__|__deepcopy__|_reset_internal_locks)$/;

/** PY-RACE-004: written under a lock in one place and bare in another. */
function inconsistentLocking(program: Program, isMarked: (fn: FunctionInfo, span: Span) => boolean): Finding[] {
  const findings: Finding[] = [];
  for (const [key, list] of program.accessesByKey) {
    const guarded = list.find(({ fn, access }) => WRITES.has(access.kind) && access.locks.length > 0 && !SINGLE_THREADED.test(fn.name));
    if (!guarded) continue;
    for (const { fn, access } of list) {
      if (!WRITES.has(access.kind)) continue;
      if (fn.constructor || fn.isAsync || fn.name === '<module>' || SINGLE_THREADED.test(fn.name) || isMarked(fn, access.span)) continue;
      if (program.locksAt(fn, access.locks).length > 0) continue;
      // The function that owns a captured local initialises it before any closure runs.
      if (key.includes('#') && key.slice(0, key.indexOf('#')) === fn.key) continue;
      // Set up before the threads that use it are started: ordered by `start()`.
      if (fn.spawns.some((s) => s.span.line > access.span.line)) continue;
      const side: Side = { fn, span: access.span, locks: [], viaSelf: access.viaSelf, text: access.text };
      const race = findRace(program, side, key, WRITES, access.kind !== 'write');
      const lockKey = guarded.access.locks[guarded.access.locks.length - 1]!;
      const use = guarded.fn.acquires.find((a) => a.key === lockKey);
      const { fixes, related } = fixesFor(program, fn, key, access.stmt);
      const concurrency = race
        ? `; this runs in ${race.ours}, concurrently with ${race.partner === 'self' ? 'itself' : `\`${fnName(race.partner.fn)}\` (${race.theirs})`}`
        : '';
      const message =
        `\`${access.text}\` in \`${fnName(fn)}\` writes \`${keyName(key)}\` without a lock, but \`${guarded.access.text}\` in ` +
        `\`${fnName(guarded.fn)}\` (line ${line(guarded.access.span)}) writes it holding \`${use?.expr ?? keyName(lockKey)}\`${concurrency}: ` +
        'a concurrent update can be lost or seen half-done. Take the same lock here.';
      findings.push(
        makeFinding('PY-RACE-004', race !== undefined, fn.file, access.span, message, [
          { file: guarded.fn.file, range: toRange(guarded.access.span), message: 'the guarded write' },
          ...(race ? partnerRelated(race) : []),
          ...related,
        ], fixes),
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
      const message =
        `\`${split.variable}\` is computed under \`${keyName(split.lock)}\` (line ${line(split.first)}) and acted on in a later, ` +
        `separate critical section (line ${line(split.second)}) in \`${fnName(fn)}\` (${contextLabel(program, contexts[0]!, fn)}): ` +
        'another thread can change the state between the two. Decide and act in one critical section.';
      findings.push(
        makeFinding('PY-RACE-007', true, fn.file, split.second, message, [
          { file: fn.file, range: toRange(split.first), message: 'decision taken here' },
          ...spawnRelated(program, contexts),
        ]),
      );
    }
  }
  return findings;
}
