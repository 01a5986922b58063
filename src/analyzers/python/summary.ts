/**
 * The per-file summary `summarize` produces. Plain data only: it crosses worker threads by
 * structured cloning. State, locks and functions are named by canonical keys so that `check`
 * can link modules without the syntax tree:
 *
 * - state and lock keys: `module:NAME` (module global), `module:Class.attr` (attribute of any
 *   instance of a class, lockdep style), `module:*.attr` (attribute of an object of unknown
 *   class), `module:func#name` (a local captured by a closure or lambda);
 * - a lock key prefixed with `~` names an object of another module used as a lock; `check`
 *   keeps it only if that module creates a lock there;
 * - function keys: `module:qualname` (`worker`, `Account.transfer`, `main.<lambda>@12`); `^module:C.m`
 *   is `super().m` called in class `C`.
 */

export const UNVERIFIED_LOCK = '~';

/** A function key prefixed with `^` names a method through `super()`: the class's own is skipped. */
export const SUPER_PREFIX = '^';
/** A locking decorator's mark for a lock it makes for each function it wraps (`@mutex`). */
export const OWN_LOCK = '#own';

/** Zero-based lines, UTF-16 columns, exclusive end. */
export interface Span {
  line: number;
  col: number;
  endLine: number;
  endCol: number;
}

export type AccessKind =
  /** plain load */
  | 'read'
  /** single store of a value that does not depend on the old one (atomic) */
  | 'write'
  /** `n += 1`, `self.n = self.n + 1` */
  | 'rmw'
  /** container element update: `d[k] += 1`, `d[k] = d.get(k, 0) + 1` */
  | 'compound'
  /** `for x in shared:` */
  | 'iterate'
  /** one atomic container mutation: `append`, `d[k] = v`, `del d[k]`, `pop` */
  | 'mutate';

export interface Access {
  key: string;
  kind: AccessKind;
  /** Source text of the access statement, shortened, for messages. */
  text: string;
  span: Span;
  /** Lock keys held at this point. */
  locks: string[];
  /** Through `self.` (per-instance state of the receiver) rather than a module name. */
  viaSelf: boolean;
  /** Statement that a "wrap in `with lock:`" fix would enclose, when it is a simple one. */
  stmt?: StatementSite;
  /** `d[p] …` where `p` is the function's parameter at this index: the element the caller chose. */
  indexParam?: number;
  /** A store of a constant (`flag = True`, `state = CLOSED`). */
  constant?: boolean;
  /** Closed-flags tested under a lock still held at the access. */
  gates?: Gate[];
  /** A mutation that only adds at the end (`append`, `extend`). */
  appends?: boolean;
  /** A mutation that only adds, never removes or replaces (`append`, `extend`, `add`, `setdefault`). */
  onlyAdds?: boolean;
}

export interface StatementSite {
  /** From the start of the statement's first line to its end. */
  span: Span;
  indent: string;
  /** The source of `span`, re-indented by a fix. */
  source: string;
  /** The file's line ending, for inserted lines. */
  eol: string;
}

export interface LockUse {
  key: string;
  /** The expression as written (`self._lock`), usable in a fix inside the same scope. */
  expr: string;
  span: Span;
  /** A bare `acquire()` (possibly released by another thread), rather than `with`. */
  manual?: boolean;
  /** `async with` or `await x.acquire()`: an asyncio lock, whatever its name. */
  async?: boolean;
  /** `acquire(False)`, `acquire(blocking=False)`, `acquire(timeout=…)`: it gives up rather than wait forever. */
  tries?: boolean;
}

/** An ordered pair of acquisitions: `inner` taken while `outer` is held. */
export interface LockEdge {
  outer: LockUse;
  inner: LockUse;
  /** Receivers differ (`a._lock` then `b._lock`): two instances of one class. */
  distinctReceivers: boolean;
  /** The function orders the two instances (`sorted((a, b), key=id)`) or a declaration says so. */
  ordered: boolean;
}

/**
 * `with self._lock: if self._closed: raise …` and, still under that lock, this access or call:
 * it happens only while the flag was false, and whoever sets the flag under the lock shuts it out.
 */
export interface Gate {
  flag: string;
  lock: string;
}

/** What a branch requires of a parameter's value. */
export type ParamTest = 'truthy' | 'falsy' | 'none' | 'notnone';

/** Lines `line`..`endLine` of a function run only when `param` passes `test` (see param-guards.ts). */
export interface ParamGuard {
  param: string;
  test: ParamTest;
  line: number;
  endLine: number;
}

export interface CallSite {
  callee: string;
  span: Span;
  locks: string[];
  /** Of `locks`, those the callee takes over and releases (`releaseHandedOver`): it nests nothing in them. */
  handsOver?: string[];
  /** Closed-flags tested under a lock still held at the call. */
  gates?: Gate[];
  /** Non-re-entrant locks a successful try-acquire around the call shows this thread does not hold. */
  free?: string[];
  /** Called on `self` or a module-level function: lock identities carry over to the callee. */
  sameInstance: boolean;
  /** Awaited or plain call (runs in the caller's context); false for coroutine objects handed to tasks. */
  direct: boolean;
  /** The receiver is shared state (a global, a field, a captured local): its `self` is shared too. */
  sharedReceiver?: boolean;
  /** The receiver is a local of an enclosing function (its key): shared only with what that function starts. */
  capturedReceiver?: string;
  /** The receiver is a parameter: shared when the caller's arguments are. */
  paramReceiver?: boolean;
  /** Function keys passed as positional arguments (`invoke(self.step)`), when any. */
  argFunctions?: (string | null)[];
  /** Positional arguments (absent: none; -1: a `*args` or `**kwargs` makes them unknown). */
  argc?: number;
  /**
   * Literal positional arguments and keyword arguments, as branches on parameters need them
   * (param-guards.ts): `#0=False,close_conn=True,timeout=?` (`?`: not a literal). One string, as
   * calls are the most numerous facts a worker sends.
   */
  named?: string;
  /** `Base.method(self, …)`: the first argument is the callee's own `self`. */
  unbound?: boolean;
}

export type SpawnKind =
  | 'thread'
  | 'timer'
  | 'thread-pool'
  | 'process'
  | 'process-pool'
  | 'to-thread'
  | 'task'
  /** `add_done_callback` of a pool future: runs on the worker thread that completes it. */
  | 'callback'
  /** `loop.call_soon/call_later/call_at(_threadsafe)`, `add_done_callback` of an asyncio future: runs on the loop between tasks. */
  | 'loop-callback'
  /** `signal.signal(sig, handler)`: runs on the main thread between any two bytecodes. */
  | 'signal'
  /** `atexit.register(f)`: runs at exit while daemon threads still run. */
  | 'atexit'
  /** `weakref.finalize(obj, f)`: the garbage collector runs it on whichever thread allocates. */
  | 'finalizer';

export interface Spawn {
  kind: SpawnKind;
  /** Function key of the entry point; empty when it is the parameter `targetParam`. */
  target: string;
  /** The entry point is a parameter of the spawning function: callers name it. */
  targetParam?: number;
  span: Span;
  /** Started in a loop, by a pool's `map`, or fanned out: concurrent with itself. */
  many: boolean;
  /** The same receiver object is shared by the concurrent instances (bound method of one object). */
  selfShared: boolean;
  /** An argument is an object every started instance shares (a global, or made outside the loop). */
  sharesArgs?: boolean;
  /** The target is a method bound to a local or parameter of the spawning function (`Thread(target=server.run)`). */
  localReceiver?: boolean;
  /** Awaited where it starts (`await loop.run_in_executor(None, f)`): the spawner waits for it there. */
  awaited?: true;
  /** Where the handle (thread, future, pool) lives: joining it orders the parent after the worker. */
  handle?: string;
  /** The collection the handle is appended to (`threads.append(t)`): joining its elements joins this one too. */
  collection?: string;
  /** Executor key for `ex.submit`/`ex.map`. */
  executor?: string;
  /** Kinds of the positional arguments passed to the target (`mp.Value`, …) by index. */
  argKinds: (string | null)[];
  /** Positional arguments that are the loop's own variable: a different value for every start. */
  distinctArgs?: number[];
}

/** `t.join()`, `fut.result()`, leaving `with Executor() as ex:`, `pool.map(...)` returning. */
export interface Join {
  handle: string;
  span: Span;
  locks: string[];
}

/** The join waits for the start: same handle, collection or executor. */
export function joins(join: Join, spawn: Spawn): boolean {
  return join.handle === spawn.handle || join.handle === spawn.collection || join.handle === spawn.executor;
}

export interface CheckAct {
  key: string;
  check: Span;
  checkText: string;
  write: Span;
  writeText: string;
  /** `if x is None: x = make()` */
  lazyInit: boolean;
  /** The check only compares the state with None and the act changes its contents (`x.clear()`), not what it is bound to. */
  identityCheck?: boolean;
  /** The write stores a literal (`flag = True`): repeating it is harmless. */
  constantWrite: boolean;
  /** The write stores what a constructor or factory call makes (a connection, a pool, a thread). */
  createsResource: boolean;
  /** Repeating the act leaves an equal result: a memo fill or a refresh (see idempotent.ts). */
  idempotent: boolean;
  /** Lines of further stores under the same check (the other branch of an `if` inside it), counted in `idempotent`. */
  moreWrites?: number[];
  /** The state is reached through `self` (per-object) rather than a module or class name. */
  viaSelf: boolean;
  /** Awaits between the check and the write. */
  awaitBetween: boolean;
  /** Locks held at the check and at the write (none in common makes it a race). */
  unguarded: boolean;
  /** The act takes an element out (`pop`, `remove`, `del x[k]`): what the check found there is still there if others only add. */
  removes?: boolean;
  stmt?: StatementSite;
}

/** Shared state read before an await and written after it (asyncio lost update). */
export interface AwaitUpdate {
  key: string;
  read: Span;
  write: Span;
  text: string;
  locks: string[];
}

export interface SplitDecision {
  lock: string;
  first: Span;
  second: Span;
  variable: string;
}

export interface AsyncioUse {
  key: string;
  kind: string;
  method: string;
  span: Span;
}

export interface PoolWait {
  executor: string;
  span: Span;
  text: string;
}

export interface ConditionOp {
  key: string;
  op: 'wait' | 'notify';
  span: Span;
  /** wait: inside a `while` or bounded by a timeout; notify: decided by `check` from `locks`. */
  ok: boolean;
  locks: string[];
  /** `if not p: cv.wait()`: the `if` keyword to turn into `while`. */
  ifKeyword?: Span;
}

export interface BareAcquire {
  lock: string;
  expr: string;
  span: Span;
}

export interface ThreadingLockAcrossAwait {
  lock: string;
  expr: string;
  withSpan: Span;
  awaitSpan: Span;
}

/** A fresh future stored where other tasks or threads find it (a waiter slot or list). */
export interface FutureStore {
  key: string;
  span: Span;
  /** `self.x = fut` (one slot) rather than `self.x.append(fut)` / `self.x[k] = fut` (a waiter list or map). */
  single: boolean;
  /** The function awaits the stored future afterwards: it parks there until another task resolves it. */
  awaited: boolean;
  /** The innermost `if`/`while` the store is under: where, whether it tests this state, whether it loops. */
  check?: { span: Span; mentionsKey: boolean; isLoop: boolean };
  /** State the method tested before, raising when wrong (`if self._open: raise`); if it sets that state, it runs once per state change. */
  guardKeys?: string[];
  /** Stored and awaited inside one `with`/`async with` block of a lock: a second caller waits for the lock, not in the slot. */
  locked?: boolean;
}

/** `if self._waiter:` on a field holding a future: a test of whether a waiter is there. */
export interface SlotTest {
  key: string;
  span: Span;
  /** The test also asks `done()`/`cancelled()`: a resolved future does not count as waiting. */
  asksDone: boolean;
  /** The branch does more than operate on that future (`self.force_close()` rather than `self._waiter.cancel()`). */
  actsElsewhere: boolean;
}

/** A live view or lazy iterator of shared state returned to the caller (`return self._d.keys()`). */
export interface ViewEscape {
  key: string;
  span: Span;
  text: string;
  /** Locks held at the return: released before the caller iterates. */
  locks: string[];
  viaSelf: boolean;
}

export interface MpUpdate {
  /** Parameter index of the `Value`/`Array`, or -1 for a module global `key`. */
  param: number;
  key: string;
  span: Span;
  text: string;
}

export interface FunctionSummary {
  key: string;
  name: string;
  params: string[];
  className?: string;
  isAsync: boolean;
  span: Span;
  /** Looks like an HTTP/event handler (decorated route): many concurrent invocations. */
  handler: boolean;
  /** `__init__`/`__new__`/`setUp`: the object is not shared yet. */
  constructor: boolean;
  /** A method whose body only raises `NotImplementedError` (or is `pass`, or `@abstractmethod`): subclasses provide it. */
  abstract?: boolean;
  /** Its docstring or leading comment says callers hold a lock ("must be called within the connection lock"). */
  callerHoldsLock?: boolean;
  /** Code that runs only for some values of a parameter; with the literal defaults and how many parameters take positions. */
  paramGuards?: ParamGuard[];
  paramDefaults?: Record<string, string>;
  positionalParams?: number;
  accesses: Access[];
  calls: CallSite[];
  spawns: Spawn[];
  joins: Join[];
  acquires: LockUse[];
  edges: LockEdge[];
  checkActs: CheckAct[];
  awaitUpdates: AwaitUpdate[];
  splitDecisions: SplitDecision[];
  asyncioUses: AsyncioUse[];
  poolWaits: PoolWait[];
  conditionOps: ConditionOp[];
  bareAcquires: BareAcquire[];
  lockAcrossAwait: ThreadingLockAcrossAwait[];
  mpUpdates: MpUpdate[];
  /** Event keys set / waited, for happens-before through `Event`. */
  eventSets: { key: string; span: Span }[];
  eventWaits: { key: string; span: Span }[];
  futureStores: FutureStore[];
  viewEscapes: ViewEscape[];
  /**
   * Where a flag is known set: after `if not self._ready: raise` (`exit: 'raise'`) or `return`
   * to the end of that block, and inside `if self._ready:` (`exit: 'block'`).
   */
  readyRegions?: { key: string; line: number; endLine: number; exit: 'raise' | 'return' | 'block' }[];
  /** Flags tested at the top with an early exit when set (`if self.ready: return`): a once-only initializer's. */
  onceGuards?: string[];
  /** Locks it releases before it takes them (`def _unlock(self): self._lock.release() …`): its callers hold them. */
  entersHolding?: string[];
  /** Decorators written as a name, qualified with their module (`@mutex` from `.thread`: `thread.mutex`). */
  decorators?: string[];
  /** Ends the program or raises on every way out (`cleanup(); sys.exit(1)`): its caller never goes on after it. */
  neverReturns?: true;
  /** Runs an event loop on its own thread: `loop.run_until_complete(…)`, `loop.run_forever()`, `asyncio.run(…)`. */
  runsLoop?: true;
  /** `executor.start(self, …)`: objects given `self`, whose threads can call back into it (by handle key). */
  selfHandoffs: { key: string; span: Span }[];
  /** `self._waiter.set_result(…)` (or through a local holding it): a waiter future resolved, by field key. */
  futureResolves: { key: string; span: Span }[];
  slotTests: SlotTest[];
  /** `gather(create_server(…), init())`: a coroutine run beside a server that already accepts requests. */
  startsBeforeInit: { span: Span; text: string; server: string }[];
}

/** Where a "use a new lock" fix puts its lines (all lines zero-based, inserted before that line). */
export interface LockFixSites {
  /** The local name of the `threading` module when the file imports it (`import threading as th` → `th`). */
  threadingName?: string;
  /** Where `import threading` goes: after the last top-level import, else after the docstring. */
  importLine: number;
  /** Module globals: name → the line after its first top-level assignment. */
  globals: Record<string, number>;
  /** Classes: key → the line after the last statement of `__init__`, its indentation and its `self`. */
  inits: Record<string, { line: number; indent: string; selfName: string }>;
  eol: string;
}

export interface PythonModuleSummary {
  file: string;
  module: string;
  /** Kinds of state keys defined here: `Lock`, `RLock`, `Condition`, `aio.Queue`, `class:m:C`, … */
  kinds: Record<string, string>;
  /** Base class names of classes defined here (`m:Worker` → [`threading.Thread`]). */
  classBases: Record<string, string[]>;
  /** Keys of attributes assigned in a class body (`_lock = Lock()` shared by every instance), not per instance. */
  classAttributes: string[];
  /** `iterkeys = _iterate_keys` in a class body: [class key, alias, method name]. */
  methodAliases: [string, string, string][];
  /** Modules of the same project this file imports (relatively, or from a package it is inside of). */
  projectModules: string[];
  /** First components of absolute imports (`import threading`, `from os import path`): top-level modules. */
  topLevelImports: string[];
  /** Decorators this module defines whose wrapper calls the function holding a lock: name → `self`'s lock attribute, or OWN_LOCK. */
  lockingDecorators?: Record<string, string>;
  /**
   * A module of Python 2's standard library that Python 3 lacks (`cStringIO`, `urllib2`),
   * imported at the top level outside any `try`: the file cannot be imported on Python 3.
   */
  python2Import?: string;
  /** Classes whose objects record the thread they belong to (`self._thread_id = get_ident()`). */
  threadAffineClasses: string[];
  /**
   * Fields holding the object's own methods in a literal (`self.commands = {b'q': (self.query, 2)}`):
   * field key → method names. Whoever reads the field calls them.
   */
  methodTables: Record<string, string[]>;
  /** `# conclens: lock-order X by id`: lock classes whose instances are ordered on purpose. */
  declaredOrders: string[];
  fixSites: LockFixSites;
  /** The file runs a threading socket server (`ThreadingMixIn`, `ThreadingHTTPServer`, …): handlers run concurrently. */
  threadingServer: boolean;
  /** The file's socket servers fork (`ForkingMixIn`) and none is threading: each request runs in a child process. */
  forkingServer: boolean;
  functions: FunctionSummary[];
}
