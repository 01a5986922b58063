import path from 'node:path';
import { isLockKind, lockUnderCondition, looksLikeLockName, PROCESS_KINDS, TASK_KINDS, THREAD_KINDS } from './kinds';
import { EntryLocks } from './entry-locks';
import { Overlap } from './overlap';
import { namedValue, satisfies } from './param-guards';
import { Roots, type ExecutionContext } from './roots';
import { OWN_LOCK, SUPER_PREFIX, UNVERIFIED_LOCK, type Access, type CallSite, type FunctionSummary, type Gate, type LockFixSites, type LockUse, type ParamGuard, type PythonModuleSummary } from './summary';

/** A function of the run with the file it lives in. */
export interface FunctionInfo extends FunctionSummary {
  file: string;
  module: string;
  /** A lock held for the whole call, taken by a locking decorator of the run. */
  heldThroughout?: string;
  /** Key of the class the function is a method of (`m:Pool`), when it is one. */
  classKey?: string;
}

/** A class of the run: its methods by name and its bases that are classes of the run. */
export interface ClassInfo {
  key: string;
  file: string;
  module: string;
  name: string;
  methods: Map<string, FunctionInfo>;
  /** Bases as written (qualified through imports), for classes outside the run. */
  writtenBases: string[];
  bases: ClassInfo[];
  subclasses: ClassInfo[];
}

/** Bases whose instances keep their attributes per thread (or per greenlet, its unit of concurrency). */
const THREAD_LOCAL_BASES = new Set(['threading.local', '_threading_local.local', 'gevent.local.local', 'eventlet.corolocal.local']);

/** A written base's class key: `Base` in `module`, or `pkg.mod.Base` keyed by its module's last component. */
function baseKey(base: string, module: string): string {
  const dot = base.lastIndexOf('.');
  return dot === -1 ? `${module}:${base}` : `${base.slice(0, dot).split('.').pop()}:${base.slice(dot + 1)}`;
}

/** The methods that make a class a lock of its own: `acquire`, `release` and `__enter__`. */
const LOCK_PROTOCOL = /\.(acquire|release|__enter__)$/;

const NO_GUARDS: readonly ParamGuard[] = [];

/** Method names too common to identify a class by (`executor.start()` is not `Scheduler.start`). */
const PROTOCOL_VERBS = new Set([
  'start', 'stop', 'run', 'close', 'shutdown', 'open', 'connect', 'get', 'put', 'set', 'update', 'clear', 'add', 'remove',
  'pop', 'join', 'wait', 'send', 'recv', 'read', 'write', 'flush', 'cancel', 'result', 'acquire', 'release', 'submit',
  'notify', 'reset', 'copy', 'items', 'keys', 'values', 'append', 'extend', 'call', 'handle', 'process', 'execute',
]);

/**
 * Of several files with one module name (two `utils.py`), the one a file means: the one that
 * shares the most folders with it (its own package's), the first in path order on a tie.
 */
function nearest(candidates: PythonModuleSummary[], file: string): PythonModuleSummary {
  const folders = path.dirname(file).split(path.sep);
  const shared = (other: string) => {
    const theirs = path.dirname(other).split(path.sep);
    let n = 0;
    while (n < folders.length && n < theirs.length && folders[n] === theirs[n]) n++;
    return n;
  };
  return [...candidates].sort((a, b) => shared(b.file) - shared(a.file) || a.file.localeCompare(b.file))[0]!;
}

/** Most per-function lists are empty: map only the non-empty ones (the check runs over whole trees). */
function each<T, U>(items: T[], f: (item: T) => U): U[] {
  return items.length === 0 ? (items as unknown as U[]) : items.map(f);
}

function eachFlat<T, U>(items: T[], f: (item: T) => U[]): U[] {
  return items.length === 0 ? (items as unknown as U[]) : items.flatMap(f);
}

/**
 * All modules of the run linked together: the function and class tables and the call graph
 * (with calls on `self` dispatched to the overrides of subclasses). The questions rules ask
 * about concurrency are answered by three parts built on it: `roots` (where concurrent
 * execution starts, in code or by design), `overlap` (which of those can run at the same
 * time, and which objects they share) and `entryLocks` (the locks every caller holds).
 */
export class Program {
  readonly functions = new Map<string, FunctionInfo>();
  readonly classes = new Map<string, ClassInfo>();
  readonly kinds = new Map<string, string>();
  /** `# conclens: lock-order NAME by id` declarations: the files and modules that declare each NAME. */
  readonly declaredOrders = new Map<string, { files: Set<string>; modules: Set<string> }>();
  readonly accessesByKey = new Map<string, { fn: FunctionInfo; access: Access }[]>();
  /** Attributes assigned in a class body: one object for every instance (`_lock = Lock()` at class level). */
  readonly classAttributes = new Set<string>();
  /** Where each file can take a new lock (the "use a new lock" fix). */
  readonly fixSites = new Map<string, LockFixSites>();
  /** Files that run a threading socket server (`ThreadingMixIn` and its ready-made servers). */
  readonly threadingServerFiles = new Set<string>();
  /** Files whose socket servers all fork: their handlers serve each request in a process of its own. */
  readonly forkingServerFiles = new Set<string>();
  readonly roots: Roots;
  readonly overlap: Overlap;
  private readonly entryLocks: EntryLocks;
  /** Module names of the run: state of other modules (`sys.stdout`) is not the project's. */
  private readonly modules = new Set<string>();
  /** Modules of the project the run's files import without analyzing them. */
  private readonly projectModules = new Set<string>();
  /** `module\0file` → the file of that module `file` means, when several files share the name. */
  private readonly nearestFile = new Map<string, string>();
  /** Classes that are locks of their own: `acquire`, `release` and `__enter__` here or in a base of the run. */
  private readonly lockClasses = new Set<string>();
  /** Classes whose objects record the thread they belong to: each lives on its own thread. */
  readonly threadAffineClasses = new Set<string>();
  /** Fields holding a class's own methods (see `PythonModuleSummary.methodTables`): field key → method names. */
  readonly methodTables = new Map<string, string[]>();
  /** Function → names of the methods in the tables it reads through `self` (see `tableMethods`). */
  private readonly tableMethodNames = new Map<FunctionInfo, string[]>();
  private readonly callees = new Map<string, FunctionInfo[]>();
  private callSites: Map<string, { caller: FunctionInfo; call: CallSite }[]> | undefined;
  private readonly ambiguous = new Map<string, PythonModuleSummary[]>();
  /** `file|method` → the one method of that file with that name (null when several classes define it). */
  private readonly uniqueMethods = new Map<string, FunctionInfo | null>();
  /** Keys resolved through base classes; null: resolved to nothing (most callees are library calls). */
  private readonly resolved = new Map<string, FunctionInfo | null>();
  private readonly reachCache = new Map<string, FunctionInfo[]>();
  private readonly writtenBases = new Map<string, string[]>();
  /** `iterkeys = _iterate_keys` in a class body: [class key, alias, method]. */
  private readonly methodAliases: [string, string, string][] = [];
  /**
   * Module names every file of which sits inside a package (`eventlet/green/threading.py`):
   * `import threading` elsewhere means the standard library's, not that file.
   */
  private readonly shadowed = new Set<string>();
  private readonly topLevelImports = new Map<string, Set<string>>();
  private root: string | undefined;
  /** File → the modules it imports, of the project or top-level (last components). */
  private readonly importedModules = new Map<string, Set<string>>();
  /** `module.decorator` → the lock its wrapper holds around the call (`self`'s attribute, or OWN_LOCK). */
  private readonly lockingDecorators = new Map<string, string>();

  constructor(summaries: PythonModuleSummary[]) {
    const byModule = new Map<string, PythonModuleSummary[]>();
    for (const summary of summaries) {
      this.modules.add(summary.module);
      const list = byModule.get(summary.module) ?? [];
      list.push(summary);
      byModule.set(summary.module, list);
      if (summary.threadingServer) this.threadingServerFiles.add(summary.file);
      if (summary.forkingServer) this.forkingServerFiles.add(summary.file);
    }
    for (const [module, list] of byModule) if (list.length > 1) this.ambiguous.set(module, list);
    this.findShadowedModules(summaries, byModule);
    for (const summary of summaries) {
      for (const [key, kind] of Object.entries(summary.kinds)) this.kinds.set(this.canon(key, summary.file), this.canonKind(kind, summary.file));
    }
    this.findLockClasses(summaries);
    for (const summary of summaries) {
      for (const [name, lock] of Object.entries(summary.lockingDecorators ?? {})) this.lockingDecorators.set(`${summary.module}.${name}`, lock);
    }
    for (const summary of summaries) this.index(summary);
    this.linkClasses();
    this.dropThreadLocalState();
    this.linkCalls();
    this.roots = new Roots(this);
    this.overlap = new Overlap(this, this.roots);
    this.entryLocks = new EntryLocks(this, this.roots);
  }

  // ---------------------------------------------------------------- indexing

  private findShadowedModules(summaries: PythonModuleSummary[], byModule: Map<string, PythonModuleSummary[]>): void {
    const packages = new Set(summaries.filter((s) => path.basename(s.file) === '__init__.py').map((s) => path.dirname(s.file)));
    // A package's `__init__.py` is nested when its parent folder is a package too.
    const nested = (s: PythonModuleSummary) => packages.has(path.dirname(path.basename(s.file) === '__init__.py' ? path.dirname(s.file) : s.file));
    for (const summary of summaries) {
      if (summary.topLevelImports.length === 0) continue;
      this.topLevelImports.set(summary.file, new Set(summary.topLevelImports.filter((m) => m !== summary.module)));
      for (const module of summary.topLevelImports) {
        if (module !== summary.module && byModule.get(module)?.every(nested)) this.shadowed.add(module);
      }
    }
  }

  /**
   * Lock classes a library writes itself (a connection lock, a lock with a heartbeat side): a
   * class of the run with `acquire`, `release` and `__enter__`, its own or inherited from a
   * class of the run. Known before the functions are indexed, since their lock keys need it.
   */
  private findLockClasses(summaries: PythonModuleSummary[]): void {
    // Keyed as written (module:Class); only the three method names matter, so most functions
    // are passed over by name before any key is built.
    const methods = new Map<string, Set<string>>();
    const classes = new Map<string, { bases: string[]; file: string }>();
    for (const summary of summaries) {
      for (const [key, written] of Object.entries(summary.classBases)) {
        classes.set(key, {
          file: summary.file,
          bases: written.map((b) => baseKey(b, summary.module)),
        });
      }
      for (const fn of summary.functions) {
        if (!fn.className || !LOCK_PROTOCOL.test(fn.name)) continue;
        const name = fn.name.slice(fn.name.lastIndexOf('.') + 1);
        if (fn.name !== `${fn.className}.${name}`) continue;
        const key = `${summary.module}:${fn.className}`;
        const set = methods.get(key) ?? new Set<string>();
        set.add(name);
        methods.set(key, set);
      }
    }
    if (methods.size === 0) return;
    for (const [key, { file }] of classes) {
      const names = new Set<string>();
      const seen = new Set<string>();
      for (const queue = [key]; queue.length > 0 && names.size < 3; ) {
        const next = queue.pop()!;
        if (seen.has(next)) continue;
        seen.add(next);
        for (const name of methods.get(next) ?? []) names.add(name);
        queue.push(...(classes.get(next)?.bases ?? []));
      }
      if (names.size === 3) this.lockClasses.add(this.canon(key, file));
    }
  }

  /**
   * Keys name modules by their last component; two files with the same module name (two
   * `util.py`) get their keys qualified by file so that their state never merges.
   */
  private canon(key: string, file: string): string {
    const colon = key.indexOf(':');
    if (colon <= 0) return key;
    const module = key.slice(0, colon);
    if (this.shadowed.has(module) && this.topLevelImports.get(file)?.has(module)) return `${module}@external${key.slice(colon)}`;
    const candidates = this.ambiguous.get(module);
    if (!candidates) return key;
    // Which of the same-named files `file` means depends on the pair only; finding it sorts them.
    const pair = `${module}\0${file}`;
    let owner = this.nearestFile.get(pair);
    if (owner === undefined) {
      owner = (candidates.find((s) => s.file === file) ?? nearest(candidates, file)).file;
      this.nearestFile.set(pair, owner);
    }
    return `${module}@${owner}${key.slice(colon)}`;
  }

  private canonKind(kind: string, file: string): string {
    if (kind.startsWith('class:')) return `class:${this.canon(kind.slice(6), file)}`;
    const underlying = lockUnderCondition(kind);
    if (underlying) return `Condition@${this.canon(underlying, file)}`;
    return kind;
  }

  /** A gate's flag and lock qualified like other keys; unchanged gates keep their identity. */
  private gateKeys(gates: Gate[], c: (key: string) => string, lk: (key: string) => string | undefined): Gate[] {
    const mapped = gates.flatMap((g) => {
      const lock = lk(g.lock);
      return lock ? [{ flag: c(g.flag), lock }] : [];
    });
    return mapped.length === gates.length && mapped.every((g, i) => g.flag === gates[i]!.flag && g.lock === gates[i]!.lock) ? gates : mapped;
  }

  private index(summary: PythonModuleSummary): void {
    const file = summary.file;
    const c = (key: string) => (this.ambiguous.size === 0 && this.shadowed.size === 0 ? key : this.canon(key, file));
    // `?:method` (receiver of unknown class) names the one method of that name in the same file.
    const fk = (key: string) => (key.startsWith('?:') ? `?${file}|${key.slice(2)}` : key.startsWith(SUPER_PREFIX) ? SUPER_PREFIX + c(key.slice(1)) : c(key));
    // Lock keys: objects of other modules used as locks stay only if they are locks there.
    const lk = (key: string): string | undefined => {
      if (!key.startsWith(UNVERIFIED_LOCK)) return c(key);
      const real = c(key.slice(UNVERIFIED_LOCK.length));
      const kind = this.kinds.get(real);
      return isLockKind(kind) || (kind?.startsWith('class:') && this.lockClasses.has(kind.slice(6))) ? real : undefined;
    };
    const cs = (keys: string[]) => (keys.every((k) => lk(k) === k) ? keys : keys.flatMap((k) => lk(k) ?? []));
    const lockUses = <T extends { key: string }>(uses: T[]) => eachFlat(uses, (u) => {
      const key = lk(u.key);
      return key ? [{ ...u, key }] : [];
    });
    for (const [key, bases] of Object.entries(summary.classBases)) {
      const classKey = c(key);
      this.writtenBases.set(classKey, bases);
      const name = classKey.slice(classKey.indexOf(':') + 1);
      this.classes.set(classKey, { key: classKey, file, module: summary.module, name, methods: new Map(), writtenBases: bases, bases: [], subclasses: [] });
    }
    for (const key of summary.classAttributes) this.classAttributes.add(c(key));
    for (const module of summary.projectModules) this.projectModules.add(module);
    this.importedModules.set(file, new Set([...summary.projectModules, ...summary.topLevelImports]));
    for (const key of summary.threadAffineClasses) this.threadAffineClasses.add(c(key));
    for (const [key, methods] of Object.entries(summary.methodTables)) this.methodTables.set(c(key), methods);
    for (const [classKey, alias, target] of summary.methodAliases) this.methodAliases.push([c(classKey), alias, target]);
    this.fixSites.set(file, summary.fixSites);
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
        classKey: raw.className ? c(`${summary.module}:${raw.className}`) : undefined,
        key: c(raw.key),
        name: raw.name,
        params: raw.params,
        className: raw.className,
        isAsync: raw.isAsync,
        span: raw.span,
        handler: raw.handler,
        constructor: raw.constructor,
        abstract: raw.abstract,
        callerHoldsLock: raw.callerHoldsLock,
        runsLoop: raw.runsLoop,
        neverReturns: raw.neverReturns,
        entersHolding: raw.entersHolding && cs(raw.entersHolding),
        readyRegions: raw.readyRegions && each(raw.readyRegions, (r) => ({ ...r, key: c(r.key) })),
        onceGuards: raw.onceGuards?.map(c),
        paramGuards: raw.paramGuards,
        paramDefaults: raw.paramDefaults,
        positionalParams: raw.positionalParams,
        accesses: each(raw.accesses, (a) => {
          const key = c(a.key);
          const locks = cs(a.locks);
          const gates = a.gates && this.gateKeys(a.gates, c, lk);
          return key === a.key && locks === a.locks && gates === a.gates ? a : { ...a, key, locks, gates };
        }),
        // Calls are the most numerous facts: one whose keys need no qualifying is kept as it is.
        calls: each(raw.calls, (x) => {
          const callee = fk(x.callee);
          const locks = cs(x.locks);
          const argFunctions = x.argFunctions?.map((a) => a && fk(a));
          const gates = x.gates && this.gateKeys(x.gates, c, lk);
          const free = x.free && cs(x.free);
          const handsOver = x.handsOver && cs(x.handsOver);
          const capturedReceiver = x.capturedReceiver && c(x.capturedReceiver);
          if (callee === x.callee && locks === x.locks && gates === x.gates && free === x.free && handsOver === x.handsOver && capturedReceiver === x.capturedReceiver &&
            (argFunctions === undefined || argFunctions.every((a, i) => a === x.argFunctions![i]))) return x;
          return { ...x, callee, locks, argFunctions, gates, free, handsOver, capturedReceiver };
        }),
        spawns: each(raw.spawns, (s) => ({
          ...s,
          target: s.target && fk(s.target),
          handle: s.handle && c(s.handle),
          collection: s.collection && c(s.collection),
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
        futureStores: each(raw.futureStores, (x) => ({ ...x, key: c(x.key), guardKeys: x.guardKeys?.map(c) })),
        viewEscapes: each(raw.viewEscapes, (x) => ({ ...x, key: c(x.key), locks: cs(x.locks) })),
        selfHandoffs: each(raw.selfHandoffs, (x) => ({ ...x, key: c(x.key) })),
        futureResolves: each(raw.futureResolves, (x) => ({ ...x, key: c(x.key) })),
        slotTests: each(raw.slotTests, (x) => ({ ...x, key: c(x.key) })),
        startsBeforeInit: raw.startsBeforeInit,
      };
      if (raw.decorators && !raw.isAsync) this.holdDecoratorLock(fn, raw.decorators);
      this.functions.set(fn.key, fn);
      if (fn.className && !fn.name.includes('<lambda>')) {
        const methodName = fn.name.slice(fn.name.lastIndexOf('.') + 1);
        const method = `${file}|${methodName}`;
        if (!method.includes('|__')) this.uniqueMethods.set(method, this.uniqueMethods.has(method) ? null : fn);
        const owner = fn.classKey ? this.classes.get(fn.classKey) : undefined;
        // Nested functions of a method carry its class too; only the method itself is the class's.
        if (owner && fn.name === `${fn.className}.${methodName}` && !owner.methods.has(methodName)) owner.methods.set(methodName, fn);
      }
      for (const access of fn.accesses) {
        const list = this.accessesByKey.get(access.key) ?? [];
        list.push({ fn, access });
        this.accessesByKey.set(access.key, list);
      }
    }
  }

  /**
   * A function wrapped by a locking decorator of the run (`@synchronized`: the wrapper calls it
   * holding `self._lock`; `@mutex`: holding a lock the decorator made for it) runs holding that
   * lock: every fact of the function holds it, what it acquires nests in it, and the callers'
   * lock sets see it for the whole call (`heldThroughout`). A coroutine is left alone: a plain
   * wrapper only holds the lock while it makes the coroutine object.
   */
  private holdDecoratorLock(fn: FunctionInfo, decorators: string[]): void {
    let use: LockUse | undefined;
    for (const decorator of decorators) {
      const parts = decorator.split('.');
      const lock = parts.length >= 2 ? this.lockingDecorators.get(`${parts[parts.length - 2]}.${parts[parts.length - 1]}`) : undefined;
      if (lock === OWN_LOCK) {
        use = { key: `${fn.key}#lock`, expr: `@${parts[parts.length - 1]}`, span: fn.span };
        this.kinds.set(use.key, 'Lock');
      } else if (lock && fn.classKey) {
        const key = `${fn.classKey}.${lock}`;
        const kind = this.kinds.get(key);
        if (kind ? isLockKind(kind) : looksLikeLockName(lock)) use = { key: lockUnderCondition(kind) ?? key, expr: `self.${lock}`, span: fn.span };
      }
      if (use) break;
    }
    if (!use) return;
    const held = use.key;
    const add = (locks: string[]) => (locks.includes(held) ? locks : [...locks, held]);
    fn.heldThroughout = held;
    fn.accesses = fn.accesses.map((a) => ({ ...a, locks: add(a.locks) }));
    fn.calls = fn.calls.map((c) => ({ ...c, locks: add(c.locks) }));
    fn.joins = fn.joins.map((j) => ({ ...j, locks: add(j.locks) }));
    const outer = use;
    fn.edges = [...fn.edges, ...fn.acquires.filter((a) => !a.tries).map((inner) => ({ outer, inner, distinctReceivers: false, ordered: false }))];
    fn.acquires = [outer, ...fn.acquires];
  }

  /** The class of the run a written base names, seen from `module`. */
  private baseClass(base: string, module: string, file: string): ClassInfo | undefined {
    const key = baseKey(base, module);
    return this.classes.get(this.canon(key, file)) ?? (base.includes('.') ? this.classes.get(key) : undefined);
  }

  private linkClasses(): void {
    for (const [classKey, alias, target] of this.methodAliases) {
      const info = this.classes.get(classKey);
      const method = info?.methods.get(target);
      if (info && method && !info.methods.has(alias)) info.methods.set(alias, method);
    }
    for (const info of this.classes.values()) {
      for (const base of info.writtenBases) {
        const found = this.baseClass(base, info.module, info.file);
        if (found && found !== info) {
          info.bases.push(found);
          found.subclasses.push(info);
        }
      }
    }
  }

  /** `m:Cls.attr` is a field each object of `Cls` has for itself (not a class attribute, not module state). */
  isInstanceField(key: string): boolean {
    const dot = key.lastIndexOf('.');
    const info = dot > key.indexOf(':') ? this.classes.get(key.slice(0, dot)) : undefined;
    return info !== undefined && !this.ancestors(info).some((c) => this.classAttributes.has(c.key + key.slice(dot)));
  }

  /**
   * Instances of a `threading.local` subclass (written anywhere up the hierarchy) hold one set
   * of attributes per thread: their accesses are no shared state. Attributes assigned in the
   * class body are the exception: one object that every thread reads through its instance.
   */
  private dropThreadLocalState(): void {
    const local = [...this.classes.values()].filter((info) => this.writtenAncestry(info).some((base) => THREAD_LOCAL_BASES.has(base)));
    if (local.length === 0) return;
    const perThread = (key: string) => {
      const info = local.find((c) => key.startsWith(`${c.key}.`));
      if (!info) return false;
      const attr = key.slice(info.key.length);
      return !this.ancestors(info).some((c) => this.classAttributes.has(c.key + attr));
    };
    for (const key of [...this.accessesByKey.keys()]) {
      if (!perThread(key)) continue;
      for (const { fn } of this.accessesByKey.get(key)!) fn.accesses = fn.accesses.filter((a) => a.key !== key);
      this.accessesByKey.delete(key);
    }
    for (const fn of this.functions.values()) {
      if (fn.checkActs.some((x) => perThread(x.key))) fn.checkActs = fn.checkActs.filter((x) => !perThread(x.key));
      if (fn.viewEscapes.some((x) => perThread(x.key))) fn.viewEscapes = fn.viewEscapes.filter((x) => !perThread(x.key));
    }
  }

  /** The class and its ancestors in the run, nearest first. */
  ancestors(info: ClassInfo): ClassInfo[] {
    const out = [info];
    for (let i = 0; i < out.length; i++) for (const base of out[i]!.bases) if (!out.includes(base)) out.push(base);
    return out;
  }

  /** The class and its descendants in the run. */
  descendants(info: ClassInfo): ClassInfo[] {
    const out = [info];
    for (let i = 0; i < out.length; i++) for (const sub of out[i]!.subclasses) if (!out.includes(sub)) out.push(sub);
    return out;
  }

  /** Every base name written anywhere up the hierarchy (`socketserver.BaseRequestHandler`, `unittest.TestCase`). */
  writtenAncestry(info: ClassInfo): string[] {
    return this.ancestors(info).flatMap((c) => c.writtenBases);
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
    if (key.startsWith(SUPER_PREFIX)) {
      const dot = key.lastIndexOf('.');
      const owner = this.classes.get(key.slice(1, dot));
      return owner ? this.ancestors(owner).slice(1).map((c) => c.methods.get(key.slice(dot + 1))).find((m) => m !== undefined) : undefined;
    }
    const colon = key.indexOf(':');
    const qual = key.slice(colon + 1);
    const dot = qual.lastIndexOf('.');
    if (dot <= 0) return undefined;
    const owner = this.classes.get(`${key.slice(0, colon)}:${qual.slice(0, dot)}`);
    const method = qual.slice(dot + 1);
    if (owner) {
      for (const ancestor of this.ancestors(owner)) {
        const found = ancestor.methods.get(method);
        if (found) return found;
      }
      return undefined;
    }
    const module = key.slice(0, colon);
    for (const base of this.writtenBases.get(`${module}:${qual.slice(0, dot)}`) ?? []) {
      const baseDot = base.lastIndexOf('.');
      const candidate = baseDot === -1 ? `${module}:${base}.${method}` : `${base.slice(0, baseDot).split('.').pop()}:${base.slice(baseDot + 1)}.${method}`;
      const found = this.functions.get(candidate);
      if (found) return found;
    }
    return undefined;
  }

  /**
   * The functions a call can run: the resolved callee and, for a call on `self` of a method
   * the class leaves to its subclasses (`raise NotImplementedError`), their overrides.
   */
  private targetsOf(call: CallSite, caller: FunctionInfo): FunctionInfo[] {
    const callee = this.resolveFunction(call.callee);
    if (!callee) return [];
    // A receiver of unknown class is matched by method name alone: not to the caller's own
    // class (that would be `self`), and not by the verbs every protocol has (`start`, `close`).
    if (call.callee.startsWith('?') && (callee.classKey === caller.classKey || PROTOCOL_VERBS.has(call.callee.slice(call.callee.indexOf('|') + 1)))) return [];
    if (!call.sameInstance || !callee.abstract || !callee.classKey || !caller.classKey) return [callee];
    // `self` is the caller's class or one of its subclasses: their overrides, never a sibling's.
    const owner = this.classes.get(caller.classKey);
    const method = callee.name.slice(callee.name.lastIndexOf('.') + 1);
    if (!owner || owner.subclasses.length === 0) return [callee];
    const out = [callee];
    for (const sub of this.descendants(owner)) {
      const override = sub.methods.get(method);
      if (override && !out.includes(override)) out.push(override);
    }
    return out;
  }

  /**
   * Two functions' modules know of each other: the same package (the same folder under the
   * run's root, or both at the root), or one's file imports the other's module or package.
   * A lock one package takes around another module's state (`sys.stdout`) is no convention
   * for a package that never imports it, nor do the two share that state's races.
   */
  related(a: FunctionInfo, b: FunctionInfo): boolean {
    if (a.file === b.file) return true;
    const top = (file: string) => {
      const rest = path.relative(this.runRoot(), file).split(/[\\/]/);
      return rest.length > 1 ? rest[0]! : '';
    };
    const [topA, topB] = [top(a.file), top(b.file)];
    if (topA === topB) return true;
    const moduleOf = (fn: FunctionInfo) => fn.key.slice(0, fn.key.indexOf(':')).replace(/@.*$/, '');
    const imports = (file: string, fn: FunctionInfo, pkg: string) => {
      const imported = this.importedModules.get(file);
      return imported !== undefined && (imported.has(moduleOf(fn)) || (pkg !== '' && imported.has(pkg)));
    };
    return imports(a.file, b, topB) || imports(b.file, a, topA);
  }

  /** The folder every file of the run is in (computed on first use). */
  private runRoot(): string {
    if (this.root === undefined) {
      const dirs = [...this.fixSites.keys()].map((file) => path.dirname(file).split(/[\\/]/));
      let common = dirs[0] ?? [];
      for (const dir of dirs) {
        let i = 0;
        while (i < common.length && i < dir.length && common[i] === dir[i]) i++;
        common = common.slice(0, i);
      }
      this.root = common.join('/');
    }
    return this.root;
  }

  /** The key names state of a module of the project: analyzed in this run, or imported from the same package. */
  isProjectState(key: string): boolean {
    const qualified = key.slice(0, key.indexOf(':'));
    // `os@external:environ`: the standard library's `os`, which a file of the run only shadows.
    if (qualified.endsWith('@external')) return false;
    const module = qualified.replace(/@.*$/, '');
    return this.modules.has(module) || this.projectModules.has(module);
  }

  kindOf(key: string): string | undefined {
    return this.kinds.get(key);
  }

  private linkCalls(): void {
    for (const fn of this.functions.values()) {
      const list: FunctionInfo[] = [];
      for (const call of fn.calls) {
        if (!call.direct) continue;
        for (const callee of this.targetsOf(call, fn)) {
          // Calling a coroutine function from synchronous code only creates the coroutine.
          if (callee !== fn && (fn.isAsync || !callee.isAsync) && !list.includes(callee)) list.push(callee);
        }
      }
      this.callees.set(fn.key, list);
    }
  }

  calleesOf(fn: FunctionInfo): FunctionInfo[] {
    return this.callees.get(fn.key) ?? [];
  }

  /** The call sites that can run `fn`, each with the function it is in (indexed on first use). */
  callersOf(fn: FunctionInfo): { caller: FunctionInfo; call: CallSite }[] {
    if (!this.callSites) {
      this.callSites = new Map();
      for (const caller of this.functions.values()) {
        for (const call of caller.calls) {
          for (const callee of this.callTargets(call, caller)) {
            const list = this.callSites.get(callee.key) ?? [];
            list.push({ caller, call });
            this.callSites.set(callee.key, list);
          }
        }
      }
    }
    return this.callSites.get(fn.key) ?? [];
  }

  /** The branches on parameters (param-guards.ts) that code of `fn` at `line` sits in. */
  guardsAt(fn: FunctionInfo, line: number): readonly ParamGuard[] {
    if (!fn.paramGuards) return NO_GUARDS;
    const found = fn.paramGuards.filter((g) => g.line <= line && line <= g.endLine);
    return found.length === 0 ? NO_GUARDS : found;
  }

  /** The call can run code of `fn` under `guards`: no literal it passes, or leaves to a default, fails one. */
  callTakes(call: CallSite, fn: FunctionInfo, guards: readonly ParamGuard[]): boolean {
    return guards.every((g) => {
      const value = this.argumentValue(call, fn, g.param);
      return value === undefined || satisfies(value, g.test);
    });
  }

  /** The literal a call gives `param` of `fn`, by position, keyword or default; undefined when not a literal or not known. */
  private argumentValue(call: CallSite, fn: FunctionInfo, param: string): string | undefined {
    const argc = call.argc ?? 0;
    const index = fn.params.indexOf(param);
    if (argc < 0 || index < 0) return undefined;
    const bound = fn.className !== undefined && /^(self|cls)$/.test(fn.params[0] ?? '') && call.unbound !== true;
    const position = index - (bound ? 1 : 0);
    if (position < 0) return undefined;
    if (position < argc) return index < (fn.positionalParams ?? 0) ? namedValue(call.named, `#${position}`) : undefined;
    const keyword = namedValue(call.named, param);
    if (keyword !== undefined) return keyword === '?' ? undefined : keyword;
    return fn.paramDefaults?.[param];
  }

  /** The direct call sites that can run `fn`. */
  callSitesOf(fn: FunctionInfo): CallSite[] {
    return this.callersOf(fn).map((site) => site.call);
  }

  /** What a direct call site of `caller` can run (subclass overrides included). */
  callTargets(call: CallSite, caller: FunctionInfo): FunctionInfo[] {
    return call.direct ? this.targetsOf(call, caller) : [];
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

  reachableFrom(starts: FunctionInfo[]): FunctionInfo[] {
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

  /**
   * `starts` and every function they reach, with calls on `self` dispatched on `selfClass`
   * (the class of the object the starts run on): a subclass's override is what runs, and a
   * sibling subclass's never does.
   */
  reachableAs(starts: FunctionInfo[], selfClass: ClassInfo | undefined): FunctionInfo[] {
    if (!selfClass) return starts.length === 1 ? this.reachable(starts[0]!) : this.reachableFrom(starts);
    const mro = this.ancestors(selfClass);
    const onSelf = (fn: FunctionInfo) => fn.classKey !== undefined && mro.some((c) => c.key === fn.classKey);
    const seen = new Set<string>();
    const out: FunctionInfo[] = [];
    const queue: [FunctionInfo, boolean][] = starts.map((s) => [s, onSelf(s)]);
    for (let i = 0; i < queue.length; i++) {
      const [fn, bound] = queue[i]!;
      const mark = `${fn.key}|${bound}`;
      if (seen.has(mark)) continue;
      seen.add(mark);
      if (!out.includes(fn)) out.push(fn);
      for (const call of fn.calls) {
        if (!call.direct) continue;
        if (bound && call.sameInstance && !call.callee.startsWith(SUPER_PREFIX)) {
          const method = call.callee.slice(call.callee.lastIndexOf('.') + 1);
          const own = mro.map((c) => c.methods.get(method)).find((m) => m !== undefined);
          // An abstract method runs as whatever subclass overrides it: the general dispatch below.
          if (own && !own.abstract) {
            if (own !== fn && (fn.isAsync || !own.isAsync)) queue.push([own, true]);
            continue;
          }
        }
        for (const callee of this.targetsOf(call, fn)) {
          if (callee !== fn && (fn.isAsync || !callee.isAsync)) queue.push([callee, false]);
        }
      }
      if (!bound) continue;
      for (const own of this.tableMethods(fn, mro)) {
        if (own !== fn && (fn.isAsync || !own.isAsync)) queue.push([own, true]);
      }
    }
    return out;
  }

  /**
   * The methods of `self`'s class (`mro`) held in tables of them that `fn` reads through `self`
   * (`handler, n = self.commands[msg[1:2]]`): it dispatches to them as to `self.m()` calls.
   */
  tableMethods(fn: FunctionInfo, mro: ClassInfo[]): FunctionInfo[] {
    if (this.methodTables.size === 0) return [];
    let names = this.tableMethodNames.get(fn);
    if (!names) {
      // Once per function: the walks that ask visit it again for each context.
      names = [...new Set(fn.accesses.flatMap((a) => (a.kind === 'read' && a.viaSelf ? this.methodTables.get(a.key) ?? [] : [])))];
      this.tableMethodNames.set(fn, names);
    }
    return names.flatMap((name) => mro.map((c) => c.methods.get(name)).find((m) => m !== undefined) ?? []);
  }

  classOf(fn: FunctionInfo): ClassInfo | undefined {
    return fn.classKey ? this.classes.get(fn.classKey) : undefined;
  }

  // ---------------------------------------------------------------- questions the rules ask

  get contexts(): ReadonlyMap<string, ExecutionContext> {
    return this.roots.contexts;
  }

  context(id: string): ExecutionContext | undefined {
    return this.roots.context(id);
  }

  isParentContext(id: string): boolean {
    return this.roots.isParentContext(id);
  }

  /** Context ids under which code of `fn` at `line` runs. */
  contextsAt(fn: FunctionInfo, line: number, filter: (c: ExecutionContext) => boolean): string[] {
    return this.roots.contextsAt(fn, line, filter);
  }

  concurrent(a: string, b: string, viaSelf: boolean): boolean {
    return this.overlap.concurrent(a, b, viaSelf);
  }

  sharesSelf(id: string, fn: FunctionInfo): boolean {
    return this.overlap.sharesSelf(id, fn);
  }

  /**
   * The locks held at a point of `fn` where it holds `own`: its own plus those every caller
   * holds (at `line`: every caller able to take the parameter branches around it).
   */
  locksAt(fn: FunctionInfo, own: string[], line?: number): string[] {
    return this.entryLocks.locksAt(fn, own, line);
  }

  /** The same, on the paths by which context `id` reaches `fn` (a window of the spawner: all paths). */
  locksIn(fn: FunctionInfo, own: string[], id: string, line?: number): string[] {
    return this.isParentContext(id) ? this.entryLocks.locksAt(fn, own, line) : this.entryLocks.locksIn(fn, own, id, line);
  }

  isThreadContext = (c: ExecutionContext): boolean => THREAD_KINDS.has(c.kind);
  isProcessContext = (c: ExecutionContext): boolean => PROCESS_KINDS.has(c.kind);
  isTaskContext = (c: ExecutionContext): boolean => TASK_KINDS.has(c.kind);
}
