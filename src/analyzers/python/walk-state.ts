import type { PyNode } from './parser';
import type { ScopeNames } from './scopes';
import type { CheckAct, FunctionSummary, Gate, LockUse, Span } from './summary';

// The state the summarizer keeps while it walks one scope (module, function or lambda).

export interface Resolved {
  key: string;
  /** Module global, class attribute, captured local or another module's attribute. */
  shared: boolean;
  viaSelf: boolean;
  /** Kind known at summary time (constructor seen in this module). */
  kind?: string;
}

export interface CheckFrame {
  node: PyNode;
  /** `if found: return found`: the code after the `if`, to the end of this block, runs only when the check failed. */
  until?: PyNode;
  /**
   * `if self._started: raise AlreadyStarted`: a test of the object's state whose failure is an
   * error. Calling the method again while it runs is a misuse the author rejects, not a race.
   */
  misuseGuard?: boolean;
  /**
   * Before any await after the check, the coroutine recorded its claim where callers look first
   * (`self.binding[peer] = []`, tested by `if peer in self.binding:`): a second run waits there.
   */
  claimed?: boolean;
  keys: Map<string, PyNode>;
  span: Span;
  text: string;
  locks: string[];
  epoch: number;
  lazy: Set<string>;
  /** Keys the test compares only with None: changing the object's contents keeps its answer. */
  identity: Set<string>;
  reported: Set<string>;
  /** The act recorded for each reported key, which later stores under the check extend. */
  acts?: Map<string, CheckAct>;
}

export interface HeldLock extends LockUse {
  block: number;
  receiver: string;
  /** Taken by a bare `acquire()`: another thread may release it (hand-off), not a re-entry. */
  manual?: boolean;
  /** For a bare `acquire()` statement: the block whose end releases it at the latest. */
  manualBlock?: PyNode;
}

export interface Scope {
  fn: FunctionSummary;
  qual: string;
  parent: Scope | null;
  className?: string;
  selfName?: string;
  names: ScopeNames;
  isModule: boolean;
  held: HeldLock[];
  /** Locks this thread is known not to hold: inside `if lock.acquire(False):` the try succeeded. */
  free: string[];
  epoch: number;
  loops: PyNode[];
  whileDepth: number;
  checks: CheckFrame[];
  /** Local → shared keys it snapshots, the await epoch and where (asyncio lost update); `lookup`: `d.get(k)`, `d[k]`. */
  snapshots: Map<string, { keys: Set<string>; epoch: number; span: Span; locks: string[]; lookup: boolean }>;
  /** Local assigned inside a critical section → lock key, block id, where. */
  critical: Map<string, { lock: string; block: number; span: Span }>;
  /** Loop variable → the handle collection it iterates (`for t in threads`). */
  aliases: Map<string, string>;
  /** Local → executor whose `submit` produced it. */
  futureOf: Map<string, string>;
  localKinds: Map<string, string>;
  /** Local → loop node it was assigned in (bound methods of per-iteration objects). */
  assignedInLoop: Map<string, PyNode | null>;
  /** Extra awaits the right-hand side of the assignment being visited adds before its store. */
  pendingAwaits: number;
  manualHeld: number;
  /** Locks released in a branch that then leaves the function: held again after that branch. */
  suspended: { lock: HeldLock; branch: PyNode }[];
  pendingHandle?: string;
  pendingRmwKeys?: Set<string>;
  ordersById: boolean;
  /** Locals holding the running thread's identity (`me = get_ident()`). */
  threadIdentities: Set<string>;
  /** State the function tested earlier, raising when it was wrong (`if self._open: raise …`). */
  misuseGuardKeys: string[];
  /** Those of them tested holding a lock: which lock, and the block that holds it. */
  lockedGuards: { flag: string; lock: string; block: number }[];
  /** Locals holding a server start not awaited yet (`server = loop.create_server(...)`). */
  serverLocals: Set<string>;
  /** Membership tests made so far (`peer in self.binding`): the container's key and the tested value's text. */
  memberTests: Set<string>;
  /** Locals that are a field of `self` or one of its elements (`waiters = self._waiters[key]`). */
  fieldAliases: Map<string, string>;
  /** In a constructor: fields it set to an object it just made (`self.tbl = Table()`), seen by no one else yet. */
  freshFields: Set<string>;
}

/** Coroutines that start accepting connections and dispatching them to handlers. */
export const SERVER_START = /(^|\.)(create_server|create_unix_server|start_server|start_unix_server|serve)$/;

/** Calls that return the running thread's identity (or greenlet's, the unit that owns a lock under gevent). */
export const THREAD_IDENTITY = /(^|\.)(get_ident|get_native_id|current_thread|currentThread|getcurrent)$/;

export type Task = { node: PyNode; scope: Scope } | { exit: () => void };

/** The module, blocks and the compound statements that own blocks: where statements can be. */
export const STATEMENT_CONTAINERS = new Set([
  'module', 'block', 'if_statement', 'elif_clause', 'else_clause', 'for_statement', 'while_statement', 'try_statement',
  'except_clause', 'except_group_clause', 'finally_clause', 'with_statement', 'function_definition', 'class_definition',
  'decorated_definition', 'match_statement', 'case_clause',
]);

/**
 * One frozen empty list stands for every empty fact list and lock set of a module. Most of
 * them are empty, and structured cloning copies a shared object once, so the summary a worker
 * sends shrinks by about a million objects on the standard library. Frozen: a push would throw.
 */
export const NONE: never[] = Object.freeze([]) as never[];

/** The closed-flags tested under a lock this scope still holds (the same acquisition). */
export function gatesHeld(scope: Scope): Gate[] | undefined {
  if (scope.lockedGuards.length === 0) return undefined;
  const gates = scope.lockedGuards.filter((g) => scope.held.some((h) => h.key === g.lock && h.block === g.block)).map(({ flag, lock }) => ({ flag, lock }));
  return gates.length > 0 ? gates : undefined;
}

export function heldKeys(scope: Scope): string[] {
  return scope.held.length === 0 ? NONE : scope.held.map((h) => h.key);
}

export const FACT_LISTS = [
  'params', 'accesses', 'calls', 'spawns', 'joins', 'acquires', 'edges', 'checkActs', 'awaitUpdates', 'splitDecisions',
  'asyncioUses', 'poolWaits', 'conditionOps', 'bareAcquires', 'lockAcrossAwait', 'mpUpdates', 'eventSets', 'eventWaits',
  'futureStores', 'viewEscapes', 'selfHandoffs', 'futureResolves', 'slotTests', 'startsBeforeInit',
] as const satisfies readonly (keyof FunctionSummary)[];

export function shareEmptyLists(fn: FunctionSummary): void {
  for (const name of FACT_LISTS) if (fn[name].length === 0) fn[name] = NONE;
}

/** `a.b.c` → `c`, `..pkg` → `pkg`. */
export function lastComponent(dotted: string): string {
  const trimmed = dotted.replace(/^\.+/, '');
  const dot = trimmed.lastIndexOf('.');
  return dot === -1 ? trimmed : trimmed.slice(dot + 1);
}
