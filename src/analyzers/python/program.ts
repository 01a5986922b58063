import path from 'node:path';
import { isLockKind, PROCESS_KINDS, THREAD_KINDS } from './kinds';
import { UNVERIFIED_LOCK, type Access, type CallSite, type FunctionSummary, type PythonModuleSummary, type Spawn } from './summary';

/** A function of the run with the file it lives in. */
export interface FunctionInfo extends FunctionSummary {
  file: string;
  module: string;
}

/**
 * One place where concurrent execution starts: a thread, pool task, process or asyncio task.
 * `main@<id>` stands for the spawning code that keeps running after the start.
 */
export interface ExecutionContext {
  id: string;
  spawn: Spawn;
  spawner: FunctionInfo;
  target: FunctionInfo;
  /** Concurrent with itself: started in a loop, by a pool `map`, or twice. */
  many: boolean;
  selfShared: boolean;
}

const PARENT_PREFIX = 'main@';

/** Most per-function lists are empty: map only the non-empty ones (the check runs over whole trees). */
function each<T, U>(items: T[], f: (item: T) => U): U[] {
  return items.length === 0 ? (items as unknown as U[]) : items.map(f);
}

function eachFlat<T, U>(items: T[], f: (item: T) => U[]): U[] {
  return items.length === 0 ? (items as unknown as U[]) : items.flatMap(f);
}

/**
 * All modules of the run linked together: function table, call graph, the contexts that
 * reach each function, and the locks each function is always entered with.
 */
export class Program {
  readonly functions = new Map<string, FunctionInfo>();
  readonly kinds = new Map<string, string>();
  readonly classBases = new Map<string, string[]>();
  /** `# conclens: lock-order X by id` declarations: lock class → files that declare it. */
  /** `# conclens: lock-order NAME by id` declarations: the files and modules that declare each NAME. */
  readonly declaredOrders = new Map<string, { files: Set<string>; modules: Set<string> }>();
  /** Module names of the run: state of other modules (`sys.stdout`) is not the project's. */
  private readonly modules = new Set<string>();
  readonly contexts = new Map<string, ExecutionContext>();
  /** Function key → context ids (spawned contexts and `main@` windows) that run it. */
  private readonly reach = new Map<string, Set<string>>();
  private readonly callees = new Map<string, FunctionInfo[]>();
  private readonly entryLocks = new Map<string, string[]>();
  readonly accessesByKey = new Map<string, { fn: FunctionInfo; access: Access }[]>();
  private readonly ambiguous = new Map<string, PythonModuleSummary[]>();
  /** `file|method` → the one method of that file with that name (null when several classes define it). */
  private readonly uniqueMethods = new Map<string, FunctionInfo | null>();
  /** Keys resolved through base classes; null: resolved to nothing (most callees are library calls). */
  private readonly resolved = new Map<string, FunctionInfo | null>();
  private readonly reachCache = new Map<string, FunctionInfo[]>();
  private readonly bySpawner = new Map<string, ExecutionContext[]>();
  private readonly sharedSelfReach = new Map<string, Set<string>>();
  private passingCalls: Map<string, CallSite[]> | undefined;

  constructor(summaries: PythonModuleSummary[]) {
    const byModule = new Map<string, PythonModuleSummary[]>();
    for (const summary of summaries) {
      this.modules.add(summary.module);
      const list = byModule.get(summary.module) ?? [];
      list.push(summary);
      byModule.set(summary.module, list);
    }
    for (const [module, list] of byModule) if (list.length > 1) this.ambiguous.set(module, list);
    for (const summary of summaries) {
      for (const [key, kind] of Object.entries(summary.kinds)) this.kinds.set(this.canon(key, summary.file), this.canonKind(kind, summary.file));
    }
    for (const summary of summaries) this.index(summary);
    this.linkCalls();
    this.computeContexts();
    this.computeEntryLocks();
  }

  // ---------------------------------------------------------------- indexing

  /**
   * Keys name modules by their last component; two files with the same module name (two
   * `util.py`) get their keys qualified by file so that their state never merges.
   */
  private canon(key: string, file: string): string {
    const colon = key.indexOf(':');
    if (colon <= 0) return key;
    const module = key.slice(0, colon);
    const candidates = this.ambiguous.get(module);
    if (!candidates) return key;
    const own = candidates.find((s) => s.file === file) ?? candidates.find((s) => path.dirname(s.file) === path.dirname(file));
    return own ? `${module}@${own.file}${key.slice(colon)}` : key;
  }

  private canonKind(kind: string, file: string): string {
    if (kind.startsWith('class:')) return `class:${this.canon(kind.slice(6), file)}`;
    if (kind.startsWith('Condition@')) return `Condition@${this.canon(kind.slice(10), file)}`;
    return kind;
  }

  private index(summary: PythonModuleSummary): void {
    const file = summary.file;
    const c = (key: string) => (this.ambiguous.size === 0 ? key : this.canon(key, file));
    // `?:method` (receiver of unknown class) names the one method of that name in the same file.
    const fk = (key: string) => (key.startsWith('?:') ? `?${file}|${key.slice(2)}` : c(key));
    // Lock keys: objects of other modules used as locks stay only if they are locks there.
    const lk = (key: string): string | undefined => {
      if (!key.startsWith(UNVERIFIED_LOCK)) return c(key);
      const real = c(key.slice(UNVERIFIED_LOCK.length));
      return isLockKind(this.kinds.get(real)) ? real : undefined;
    };
    const cs = (keys: string[]) => (keys.every((k) => lk(k) === k) ? keys : keys.flatMap((k) => lk(k) ?? []));
    const lockUses = <T extends { key: string }>(uses: T[]) => eachFlat(uses, (u) => {
      const key = lk(u.key);
      return key ? [{ ...u, key }] : [];
    });
    for (const [key, bases] of Object.entries(summary.classBases)) this.classBases.set(c(key), bases);
    for (const order of summary.declaredOrders) {
      const declared = this.declaredOrders.get(order) ?? { files: new Set<string>(), modules: new Set<string>() };
      declared.files.add(file);
      declared.modules.add(summary.module);
      this.declaredOrders.set(order, declared);
    }
    for (const raw of summary.functions) {
      // Listed field by field: a generic spread of every function is measurably slower.
      const fn: FunctionInfo = {
        file,
        module: summary.module,
        key: c(raw.key),
        name: raw.name,
        params: raw.params,
        className: raw.className,
        isAsync: raw.isAsync,
        span: raw.span,
        handler: raw.handler,
        constructor: raw.constructor,
        accesses: each(raw.accesses, (a) => {
          const key = c(a.key);
          const locks = cs(a.locks);
          return key === a.key && locks === a.locks ? a : { ...a, key, locks };
        }),
        // Calls are the most numerous facts: one whose keys need no qualifying is kept as it is.
        calls: each(raw.calls, (x) => {
          const callee = fk(x.callee);
          const locks = cs(x.locks);
          const argFunctions = x.argFunctions?.map((a) => a && fk(a));
          if (callee === x.callee && locks === x.locks && (argFunctions === undefined || argFunctions.every((a, i) => a === x.argFunctions![i]))) return x;
          return { ...x, callee, locks, argFunctions };
        }),
        spawns: each(raw.spawns, (s) => ({
          ...s,
          target: s.target && fk(s.target),
          handle: s.handle && c(s.handle),
          executor: s.executor && c(s.executor),
        })),
        joins: each(raw.joins, (j) => ({ ...j, handle: c(j.handle), locks: cs(j.locks) })),
        acquires: lockUses(raw.acquires),
        edges: eachFlat(raw.edges, (e) => {
          const outer = lk(e.outer.key);
          const inner = lk(e.inner.key);
          return outer && inner ? [{ ...e, outer: { ...e.outer, key: outer }, inner: { ...e.inner, key: inner } }] : [];
        }),
        checkActs: each(raw.checkActs, (x) => ({ ...x, key: c(x.key) })),
        awaitUpdates: each(raw.awaitUpdates, (x) => ({ ...x, key: c(x.key), locks: cs(x.locks) })),
        splitDecisions: eachFlat(raw.splitDecisions, (x) => {
          const lock = lk(x.lock);
          return lock ? [{ ...x, lock }] : [];
        }),
        asyncioUses: each(raw.asyncioUses, (x) => ({ ...x, key: c(x.key) })),
        poolWaits: each(raw.poolWaits, (x) => ({ ...x, executor: c(x.executor) })),
        conditionOps: each(raw.conditionOps, (x) => ({ ...x, key: c(x.key), locks: cs(x.locks) })),
        bareAcquires: eachFlat(raw.bareAcquires, (x) => {
          const lock = lk(x.lock);
          return lock ? [{ ...x, lock }] : [];
        }),
        lockAcrossAwait: eachFlat(raw.lockAcrossAwait, (x) => {
          const lock = lk(x.lock);
          return lock ? [{ ...x, lock }] : [];
        }),
        mpUpdates: each(raw.mpUpdates, (x) => ({ ...x, key: x.key && c(x.key) })),
        eventSets: each(raw.eventSets, (x) => ({ ...x, key: c(x.key) })),
        eventWaits: each(raw.eventWaits, (x) => ({ ...x, key: c(x.key) })),
      };
      this.functions.set(fn.key, fn);
      if (fn.className && !fn.name.includes('<lambda>')) {
        const method = `${file}|${fn.name.slice(fn.name.lastIndexOf('.') + 1)}`;
        if (!method.includes('|__')) this.uniqueMethods.set(method, this.uniqueMethods.has(method) ? null : fn);
      }
      for (const access of fn.accesses) {
        const list = this.accessesByKey.get(access.key) ?? [];
        list.push({ fn, access });
        this.accessesByKey.set(access.key, list);
      }
    }
  }

  /** A function by key, looking through base classes for inherited methods. */
  resolveFunction(key: string): FunctionInfo | undefined {
    const direct = this.functions.get(key);
    if (direct) return direct;
    const cached = this.resolved.get(key);
    if (cached !== undefined) return cached ?? undefined;
    const found = this.resolveIndirect(key);
    this.resolved.set(key, found ?? null);
    return found;
  }

  private resolveIndirect(key: string): FunctionInfo | undefined {
    if (key.startsWith('?')) return this.uniqueMethods.get(key.slice(1)) ?? undefined;
    const colon = key.indexOf(':');
    const qual = key.slice(colon + 1);
    const dot = qual.lastIndexOf('.');
    if (dot <= 0) return undefined;
    const classKey = `${key.slice(0, colon)}:${qual.slice(0, dot)}`;
    const method = qual.slice(dot + 1);
    const module = key.slice(0, colon);
    for (const base of this.classBases.get(classKey) ?? []) {
      const baseDot = base.lastIndexOf('.');
      const candidates = baseDot === -1 ? [`${module}:${base}.${method}`] : [`${base.slice(0, baseDot).split('.').pop()}:${base.slice(baseDot + 1)}.${method}`];
      for (const candidate of candidates) {
        const found = this.functions.get(candidate);
        if (found) return found;
      }
    }
    return undefined;
  }

  /** The key names state of a module analyzed in this run. */
  isProjectState(key: string): boolean {
    return this.modules.has(key.slice(0, key.indexOf(':')).replace(/@.*$/, ''));
  }

  kindOf(key: string): string | undefined {
    return this.kinds.get(key);
  }

  private linkCalls(): void {
    for (const fn of this.functions.values()) {
      const list: FunctionInfo[] = [];
      for (const call of fn.calls) {
        if (!call.direct) continue;
        const callee = this.resolveFunction(call.callee);
        // Calling a coroutine function from synchronous code only creates the coroutine.
        if (callee && callee !== fn && (fn.isAsync || !callee.isAsync)) list.push(callee);
      }
      this.callees.set(fn.key, list);
    }
  }

  calleesOf(fn: FunctionInfo): FunctionInfo[] {
    return this.callees.get(fn.key) ?? [];
  }

  /** `fn` and every function it reaches through direct calls. */
  reachable(fn: FunctionInfo): FunctionInfo[] {
    let cached = this.reachCache.get(fn.key);
    if (!cached) {
      cached = this.reachableFrom([fn]);
      this.reachCache.set(fn.key, cached);
    }
    return cached;
  }

  private reachableFrom(starts: FunctionInfo[]): FunctionInfo[] {
    const seen = new Set<string>(starts.map((f) => f.key));
    const out = [...starts];
    for (let i = 0; i < out.length; i++) {
      for (const callee of this.calleesOf(out[i]!)) {
        if (!seen.has(callee.key)) {
          seen.add(callee.key);
          out.push(callee);
        }
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- contexts

  /** Entry points a spawn starts: its target, or what each caller passes for `targetParam`. */
  private spawnTargets(fn: FunctionInfo, spawn: Spawn): FunctionInfo[] {
    if (spawn.targetParam === undefined) {
      const target = this.resolveFunction(spawn.target);
      return target ? [target] : [];
    }
    const out: FunctionInfo[] = [];
    for (const call of this.callSitesPassingFunctions().get(fn.key) ?? []) {
      // Methods are called bound: the first parameter (`self`) is not among the arguments.
      const passed = call.argFunctions?.[spawn.targetParam - (fn.className ? 1 : 0)];
      const target = passed ? this.resolveFunction(passed) : undefined;
      if (target && !out.includes(target)) out.push(target);
    }
    return out;
  }

  /** Callee key → call sites that pass functions as arguments. */
  private callSitesPassingFunctions(): Map<string, CallSite[]> {
    if (!this.passingCalls) {
      this.passingCalls = new Map();
      for (const caller of this.functions.values()) {
        for (const call of caller.calls) {
          if (!call.argFunctions) continue;
          const callee = this.resolveFunction(call.callee);
          if (!callee) continue;
          const list = this.passingCalls.get(callee.key) ?? [];
          list.push(call);
          this.passingCalls.set(callee.key, list);
        }
      }
    }
    return this.passingCalls;
  }

  private computeContexts(): void {
    for (const fn of this.functions.values()) {
      fn.spawns.forEach((spawn, index) => {
        const targets = this.spawnTargets(fn, spawn);
        targets.forEach((target, n) => {
          const id = n === 0 ? `${fn.key}#${index}` : `${fn.key}#${index}.${n}`;
          const context: ExecutionContext = { id, spawn, spawner: fn, target, many: spawn.many, selfShared: spawn.selfShared };
          this.contexts.set(id, context);
          for (const reached of this.reachable(target)) this.addReach(reached.key, id);
          for (const callee of this.windowCallees(fn, context)) this.addReach(callee.key, PARENT_PREFIX + id);
        });
      });
      if (fn.handler) {
        const id = `${fn.key}#handler`;
        const context: ExecutionContext = {
          id,
          spawn: { kind: 'task', target: fn.key, span: fn.span, many: true, selfShared: true, argKinds: [] },
          spawner: fn,
          target: fn,
          many: true,
          selfShared: true,
        };
        this.contexts.set(id, context);
        for (const reached of this.reachable(fn)) this.addReach(reached.key, id);
      }
    }
  }

  private addReach(fnKey: string, context: string): void {
    const set = this.reach.get(fnKey) ?? new Set<string>();
    set.add(context);
    this.reach.set(fnKey, set);
  }

  /** Functions the spawner calls while the spawned context may still run. */
  private windowCallees(spawner: FunctionInfo, context: ExecutionContext): FunctionInfo[] {
    const starts: FunctionInfo[] = [];
    for (const call of spawner.calls) {
      if (!call.direct || !this.inWindow(spawner, context, call.span.line)) continue;
      const callee = this.resolveFunction(call.callee);
      if (callee && callee !== spawner && !starts.includes(callee)) starts.push(callee);
    }
    return starts.length === 0 ? [] : this.reachableFrom(starts);
  }

  /** After the spawn in the spawner, and before a join of its handle. */
  inWindow(spawner: FunctionInfo, context: ExecutionContext, line: number): boolean {
    const spawn = context.spawn;
    if (line <= spawn.span.endLine) return false;
    for (const join of spawner.joins) {
      if (join.handle !== spawn.handle && join.handle !== spawn.executor) continue;
      if (join.span.line > spawn.span.line && join.span.line < line) return false;
    }
    return true;
  }

  /** Context ids under which code of `fn` at `line` runs. */
  contextsAt(fn: FunctionInfo, line: number, filter: (c: ExecutionContext) => boolean): string[] {
    const out: string[] = [];
    for (const id of this.reach.get(fn.key) ?? []) {
      const context = this.contexts.get(id.startsWith(PARENT_PREFIX) ? id.slice(PARENT_PREFIX.length) : id);
      if (context && filter(context)) out.push(id);
    }
    for (const context of this.spawnedBy(fn)) {
      if (filter(context) && this.inWindow(fn, context, line)) out.push(PARENT_PREFIX + context.id);
    }
    return out;
  }

  /** Contexts started by `fn`. */
  spawnedBy(fn: FunctionInfo): ExecutionContext[] {
    if (fn.spawns.length === 0) return [];
    let list = this.bySpawner.get(fn.key);
    if (!list) {
      list = [...this.contexts.values()].filter((c) => c.spawner === fn);
      this.bySpawner.set(fn.key, list);
    }
    return list;
  }

  context(id: string): ExecutionContext | undefined {
    return this.contexts.get(id.startsWith(PARENT_PREFIX) ? id.slice(PARENT_PREFIX.length) : id);
  }

  isParentContext(id: string): boolean {
    return id.startsWith(PARENT_PREFIX);
  }

  /**
   * Two contexts can run at the same time: a context with itself when it is started many times,
   * a spawned context with the code that spawned it, and two different spawned contexts.
   */
  concurrent(a: string, b: string, viaSelf: boolean): boolean {
    const ca = this.context(a);
    const cb = this.context(b);
    if (!ca || !cb) return false;
    const pa = this.isParentContext(a);
    const pb = this.isParentContext(b);
    if (viaSelf && (!ca.selfShared || !cb.selfShared)) return false;
    if (a === b) return !pa && ca.many;
    if (pa && pb) return false;
    if (pa || pb) return ca === cb;
    return !this.sequential(ca, cb);
  }

  /**
   * Functions whose `self` is an object other contexts can see, under one context: the target
   * when it is a bound method of one object, or started with shared arguments; methods called
   * on shared state (a global, a field, a captured local); and `self.m()` calls from those.
   * Objects a context creates for itself stay per-call, so their `self.x` accesses never race.
   */
  sharesSelf(id: string, fn: FunctionInfo): boolean {
    const context = this.context(id);
    if (!context) return false;
    if (this.isParentContext(id)) return true;
    let shared = this.sharedSelfReach.get(context.id);
    if (!shared) {
      shared = new Set<string>();
      const start = context.target;
      const startShared = context.selfShared && (start.className !== undefined || start.name.includes('<lambda>') || context.spawn.sharesArgs === true);
      const queue: [FunctionInfo, boolean][] = [[start, startShared]];
      const seen = new Set<string>([`${start.key}|${startShared}`]);
      for (let i = 0; i < queue.length; i++) {
        const [current, selfShared] = queue[i]!;
        if (selfShared) shared.add(current.key);
        for (const call of current.calls) {
          if (!call.direct) continue;
          const callee = this.resolveFunction(call.callee);
          if (!callee || callee === current || (!current.isAsync && callee.isAsync)) continue;
          const next = call.sharedReceiver === true || (selfShared && (call.sameInstance || call.paramReceiver === true)) || (!callee.className && selfShared);
          const mark = `${callee.key}|${next}`;
          if (!seen.has(mark)) {
            seen.add(mark);
            queue.push([callee, next]);
          }
        }
      }
      this.sharedSelfReach.set(context.id, shared);
    }
    return shared.has(fn.key);
  }

  /** Line of the first join of the context in its spawner after the start, if any. */
  private joinLine(context: ExecutionContext): number | undefined {
    const spawn = context.spawn;
    let best: number | undefined;
    for (const join of context.spawner.joins) {
      if (join.handle !== spawn.handle && join.handle !== spawn.executor) continue;
      if (join.span.line >= spawn.span.line && (best === undefined || join.span.line < best)) best = join.span.line;
    }
    return best;
  }

  /**
   * Both contexts are joined by spawners that run on the main thread: in one spawner they
   * overlap only if their start-to-join windows do; in two spawners, only if the spawners do.
   */
  private sequential(a: ExecutionContext, b: ExecutionContext): boolean {
    if (a.many || b.many) return false;
    const joinA = this.joinLine(a);
    const joinB = this.joinLine(b);
    if (joinA === undefined || joinB === undefined) return false;
    const onMain = (fn: FunctionInfo) => ![...(this.reach.get(fn.key) ?? [])].some((id) => !id.startsWith(PARENT_PREFIX));
    if (!onMain(a.spawner) || !onMain(b.spawner)) return false;
    if (a.spawner !== b.spawner) return true;
    return joinA < b.spawn.span.line || joinB < a.spawn.span.line;
  }

  // ---------------------------------------------------------------- locks held on entry

  /**
   * Locks every caller holds when it calls `fn` (a private helper only called under the lock is
   * protected by it). Spawn targets and functions without callers in the run start with none.
   */
  private computeEntryLocks(): void {
    const callers = new Map<string, { caller: FunctionInfo; locks: string[] }[]>();
    for (const fn of this.functions.values()) {
      for (const call of fn.calls) {
        if (!call.direct) continue;
        const callee = this.resolveFunction(call.callee);
        if (!callee || callee === fn) continue;
        const list = callers.get(callee.key) ?? [];
        list.push({ caller: fn, locks: call.locks });
        callers.set(callee.key, list);
      }
    }
    const spawned = new Set([...this.contexts.values()].map((c) => c.target.key));
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
      const fn = this.functions.get(queue[i]!);
      for (const callee of fn ? this.calleesOf(fn) : []) {
        if (!candidates.has(callee.key)) {
          candidates.add(callee.key);
          queue.push(callee.key);
        }
      }
    }
    const state = new Map<string, string[] | null>();
    for (const key of candidates) state.set(key, spawned.has(key) || this.functions.get(key)?.handler ? [] : null);
    for (let pass = 0; pass < 8; pass++) {
      let changed = false;
      for (const key of candidates) {
        const sites = callers.get(key) ?? [];
        if (spawned.has(key)) continue;
        let result: string[] | null = null;
        for (const site of sites) {
          const outer = candidates.has(site.caller.key) ? state.get(site.caller.key) : [];
          if (outer === null || outer === undefined) continue;
          const held = [...new Set([...site.locks, ...outer])];
          result = result === null ? held : result.filter((l) => held.includes(l));
        }
        const previous = state.get(key);
        if (result !== null && (previous === null || previous === undefined || previous.length !== result.length)) {
          state.set(key, result);
          changed = true;
        }
      }
      if (!changed) break;
    }
    for (const [key, locks] of state) if (locks && locks.length > 0) this.entryLocks.set(key, locks);
  }

  locksAt(fn: FunctionInfo, own: string[]): string[] {
    const entry = this.entryLocks.get(fn.key) ?? [];
    return entry.length === 0 ? own : [...new Set([...own, ...entry])];
  }

  isThreadContext = (c: ExecutionContext): boolean => THREAD_KINDS.has(c.spawn.kind);
  isProcessContext = (c: ExecutionContext): boolean => PROCESS_KINDS.has(c.spawn.kind);
  isTaskContext = (c: ExecutionContext): boolean => c.spawn.kind === 'task';
}
