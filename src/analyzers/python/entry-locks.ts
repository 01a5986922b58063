import { guardsKey } from './param-guards';
import type { FunctionInfo, Program } from './program';
import type { CallSite } from './summary';
import type { Roots } from './roots';

/**
 * The call-site lock context (RacerD's "locks held at every call site"): the locks every caller
 * holds when it calls a function, carried into the function's own lock sets, so a private
 * helper only ever called under the lock is protected by it. Entry points (spawned targets,
 * the public methods of a design root, handlers) and functions without callers in the run
 * start with none; calls made where nothing runs concurrently yet are not counted.
 *
 * Also per context, as RacerD keeps the lock set of the path that reached an access: a helper
 * a scheduler's public methods call under its lock, and other classes call bare, holds that
 * lock whenever it runs for the scheduler's callers.
 */
/** A call of a function: where, and the locks held there. */
interface Site {
  caller: FunctionInfo;
  call: CallSite;
  locks: string[];
}

export class EntryLocks {
  private readonly entryLocks = new Map<string, string[]>();
  /** Context id → function key → locks held on entry in that context, where more than in all. */
  private readonly inContext = new Map<string, Map<string, string[]>>();
  private readonly callers = new Map<string, Site[]>();
  private readonly entries: Set<string>;
  private readonly underGuards = new Map<string, string[]>();

  constructor(private readonly program: Program, roots: Roots) {
    const callers = this.callers;
    const entries = new Set([...roots.contexts.values()].flatMap((c) => c.entries.map((e) => e.key)));
    this.entries = entries;
    for (const fn of program.functions.values()) {
      // A call made where no concurrency has started yet (`start()` before its thread runs,
      // code no context reaches) cannot race: its lock set does not weaken the callee's.
      if (!entries.has(fn.key) && roots.reaching(fn).length === 0 && !roots.hasWindows(fn)) continue;
      for (const call of fn.calls) {
        for (const callee of program.callTargets(call, fn)) {
          if (callee === fn) continue;
          const list = callers.get(callee.key) ?? [];
          list.push({ caller: fn, call, locks: call.locks });
          callers.set(callee.key, list);
        }
      }
    }
    // Only functions called while a lock is held, and what they call, can be entered locked.
    const candidates = new Set<string>();
    const queue: string[] = [];
    for (const [key, sites] of callers) {
      if (sites.some((site) => site.locks.length > 0)) {
        candidates.add(key);
        queue.push(key);
      }
    }
    for (let i = 0; i < queue.length; i++) {
      const fn = program.functions.get(queue[i]!);
      for (const callee of fn ? program.calleesOf(fn) : []) {
        if (!candidates.has(callee.key)) {
          candidates.add(callee.key);
          queue.push(callee.key);
        }
      }
    }
    // A function documented as called with a lock held ("must be called within the connection
    // lock", lock-contract.ts) takes its entry locks from its callers even when its name is
    // public, and the contract names the lock those callers hold that hold any: a caller seen
    // holding none is trusted to hold it as documented, as an annotation would be.
    const contract = (key: string) => program.functions.get(key)?.callerHoldsLock === true;
    // An object under construction is not shared yet: a lock its maker holds guards none of it,
    // so a constructor starts with none.
    const bare = (key: string) => (entries.has(key) || program.functions.get(key)?.constructor === true) && !contract(key);
    const state = this.solve(candidates, bare, (key) => (bare(key) || program.functions.get(key)?.handler ? [] : null), () => true, contract);
    for (const [key, locks] of state) if (locks && locks.length > 0) this.entryLocks.set(key, locks);
    this.perContext(program, roots, candidates, bare, contract);
  }

  /**
   * The locks held on entry to each of `keys`: over the call sites `counts` admits, what the
   * site holds plus what its caller holds on entry (a caller outside `keys` holds nothing),
   * intersected. `fixed` keys keep their `start`; the others start unknown (null) and settle.
   * A contract function ignores callers seen holding nothing.
   */
  private solve(keys: Iterable<string>, fixed: (key: string) => boolean, start: (key: string) => string[] | null, counts: (site: Site) => boolean, contract: (key: string) => boolean): Map<string, string[] | null> {
    const state = new Map<string, string[] | null>();
    for (const key of keys) state.set(key, start(key));
    for (let pass = 0; pass < 8; pass++) {
      let changed = false;
      for (const [key, previous] of state) {
        if (fixed(key)) continue;
        let result: string[] | null = null;
        for (const site of this.callers.get(key) ?? []) {
          if (!counts(site)) continue;
          const outer = state.has(site.caller.key) ? state.get(site.caller.key) : [];
          if (outer === null || outer === undefined) continue;
          const held = [...new Set([...site.locks, ...outer])];
          if (held.length === 0 && contract(key)) continue;
          result = result === null ? held : result.filter((l) => held.includes(l));
        }
        if (result !== null && (previous === null || previous.length !== result.length)) {
          state.set(key, result);
          changed = true;
        }
      }
      if (!changed) break;
    }
    return state;
  }

  private perContext(program: Program, roots: Roots, candidates: Set<string>, bare: (key: string) => boolean, contract: (key: string) => boolean): void {
    const nodes = new Map<string, string[]>();
    for (const key of candidates) {
      const fn = program.functions.get(key);
      for (const id of fn ? roots.reaching(fn) : []) {
        const list = nodes.get(id) ?? [];
        list.push(key);
        nodes.set(id, list);
      }
    }
    for (const [id, keys] of nodes) {
      const context = roots.context(id);
      if (!context) continue;
      const entries = new Set(context.entries.map((e) => e.key).filter(bare));
      const inside = (site: Site) => entries.has(site.caller.key) || roots.reaches(id, site.caller);
      // Constructors start bare here too: a lock the maker holds guards nothing of the new object.
      const fixed = (key: string) => entries.has(key) || program.functions.get(key)?.constructor === true;
      const state = this.solve(keys, fixed, (key) => (fixed(key) ? [] : null), inside, contract);
      for (const [key, locks] of state) {
        if (!locks || locks.length <= (this.entryLocks.get(key)?.length ?? 0)) continue;
        const map = this.inContext.get(id) ?? new Map<string, string[]>();
        map.set(key, locks);
        this.inContext.set(id, map);
      }
    }
  }

  /** The locks held at a point of `fn` (at `line`) that holds `own`, when it runs in context `id`. */
  locksIn(fn: FunctionInfo, own: string[], id: string, line?: number): string[] {
    const entry = this.inContext.get(id)?.get(fn.key);
    if (!entry) return this.locksAt(fn, own, line);
    const guarded = line === undefined ? [] : this.heldUnderGuards(fn, line);
    return [...new Set([...own, ...entry, ...guarded, ...(fn.heldThroughout === undefined ? [] : [fn.heldThroughout])])];
  }

  /**
   * Code under a branch on a parameter (`elif key in self._in_use:` after `if close_conn:`)
   * runs only for the calls whose arguments can take it: the locks all of those hold.
   */
  private heldUnderGuards(fn: FunctionInfo, line: number): string[] {
    const guards = this.program.guardsAt(fn, line);
    if (guards.length === 0 || this.entries.has(fn.key)) return [];
    const key = guardsKey(fn.key, guards);
    let held = this.underGuards.get(key);
    if (held) return held;
    let result: string[] | null = null;
    for (const site of this.callers.get(fn.key) ?? []) {
      if (!this.program.callTakes(site.call, fn, guards)) continue;
      const all = [...new Set([...site.locks, ...this.locksAt(site.caller, [])])];
      result = result === null ? all : result.filter((l) => all.includes(l));
    }
    held = result ?? [];
    this.underGuards.set(key, held);
    return held;
  }

  locksAt(fn: FunctionInfo, own: string[], line?: number): string[] {
    const entry = this.entryLocksOf(fn);
    const guarded = line === undefined || !fn.paramGuards ? [] : this.heldUnderGuards(fn, line);
    if (guarded.length > 0) return [...new Set([...own, ...entry, ...guarded])];
    return entry.length === 0 ? own : [...new Set([...own, ...entry])];
  }

  /** What every caller holds, and a lock the function's decorator holds around it. */
  private entryLocksOf(fn: FunctionInfo): string[] {
    const entry = this.entryLocks.get(fn.key) ?? [];
    return fn.heldThroughout === undefined || entry.includes(fn.heldThroughout) ? entry : [...entry, fn.heldThroughout];
  }

  /** Locks every caller of `fn` holds when it calls it. */
  heldOnEntry(fn: FunctionInfo): string[] {
    return this.entryLocks.get(fn.key) ?? [];
  }
}
