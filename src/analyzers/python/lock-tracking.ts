import type { PyNode } from './parser';
import { isLockKind, isThreadPoolKind, lockUnderCondition, looksLikeLockName } from './kinds';
import { Accesses } from './accesses';
import type { LockUse } from './summary';
import { UNVERIFIED_LOCK } from './summary';
import { callArguments, field, hasToken, methodCall, some, statementOf, unparen, walk } from './syntax';
import { heldKeys, type HeldLock, type Resolved, type Scope, type Task } from './walk-state';

/**
 * Calls that do not raise on a valid receiver: lock and condition operations (a wait ends in a
 * timeout, not an error), list and set growth, a dict's lookups with a default (`get`,
 * `setdefault`) and copies, clocks, sizes and counting over a sequence.
 */
const NON_RAISING_CALLS = /(^|\.)(acquire|release|wait|wait_for|notify|notify_all|append|appendleft|extend|add|set|clear|is_set|get|setdefault|copy|time|monotonic|perf_counter|len|enumerate|range)$/;
/** Builtins that copy or describe what they are given (`bytearray(data)`, `repr(self)`): no error on a valid argument. */
const NON_RAISING_BUILTINS = /^(repr|id|isinstance|issubclass|bool|list|tuple|dict|set|frozenset|bytes|bytearray)$/;
/** Building an exception object to store or raise later (`error.ConnectionClosedError(whom)`). */
const EXCEPTION_CLASS = /(^|\.)[A-Z]\w*(Error|Exception|Warning)$/;
/**
 * Logging calls: `logging` hands a handler's or a format's error to `handleError` instead of
 * raising; an object's own logging method (`self._log(4, msg)`, `self.logger(msg)`) is taken
 * the same way (only on `self`: a bare `log(x)` may be `math.log`).
 */
const LOGGING_CALLS = /(^|\.)(_*log(ger)?|LOG(GER)?|logging)\.(debug|info|warning|warn|error|exception|critical|log)$|^self\._*(log|logger)$/;

/**
 * The locks held at each point of a function: `with` blocks, `acquire()`/`release()` pairs and
 * `if lock.acquire(…):`, the nesting edges of the lock-order graph, and acquires whose release
 * an exception can skip.
 */
export abstract class LockTracking extends Accesses {
  /** Per method: the `self` locks it takes over from its caller and releases (see `releaseHandedOver`). */
  private readonly handedOver = new Map<PyNode, string[]>();

  protected visitWith(node: PyNode, scope: Scope, stack: Task[]): void {
    const clause = node.children.find((c) => c.type === 'with_clause');
    const body = field(node, 'body');
    const isAsyncWith = hasToken(node, 'async');
    // The blocks this statement holds: a manual acquire inside the body (a hand-off lock taken
    // under the guard) stays held after it, so leaving the `with` drops its own locks, not the top.
    const blocks = new Set<number>();
    const joins: string[] = [];
    const valueNodes: PyNode[] = [];
    for (const item of clause?.children ?? []) {
      if (item.type !== 'with_item') continue;
      let value = field(item, 'value');
      if (!value) continue;
      let alias: PyNode | undefined;
      if (value.type === 'as_pattern') {
        alias = field(value, 'alias');
        value = value.children[0];
        if (!value) continue;
      }
      const kind = this.kindOfValue(value, scope);
      if (alias && kind) {
        const aliasName = alias.children.find((c) => c.type === 'identifier') ?? alias;
        const name = this.src(aliasName);
        scope.localKinds.set(name, kind);
        if (isThreadPoolKind(kind) || kind === 'ProcessPool') joins.push(`${this.module}:${scope.qual}#${name}`);
      }
      const lock = this.lockOf(value, scope) ?? this.lockBehindMethod(value, scope);
      if (!lock) {
        valueNodes.push(value);
        continue;
      }
      blocks.add(this.blockCounter);
      this.acquire(isAsyncWith ? { ...lock, async: true } : lock, scope, this.blockCounter++);
      if (scope.fn.isAsync && !isAsyncWith && body) {
        const awaitNode = some(body, (n) => n.type === 'await' || (n.type === 'for_statement' && hasToken(n, 'async')) ||
          (n.type === 'with_statement' && hasToken(n, 'async')));
        if (awaitNode) {
          scope.fn.lockAcrossAwait.push({ lock: lock.key, expr: lock.expr, withSpan: this.span(value), awaitSpan: this.span(awaitNode) });
        }
      }
    }
    if (isAsyncWith) scope.epoch++;
    stack.push({
      exit: () => {
        for (let i = scope.held.length - 1; i >= 0; i--) if (blocks.has(scope.held[i]!.block)) scope.held.splice(i, 1);
        for (const handle of joins) scope.fn.joins.push({ handle, span: this.span(node), locks: heldKeys(scope) });
      },
    });
    if (body) stack.push({ node: body, scope });
    for (let i = valueNodes.length - 1; i >= 0; i--) stack.push({ node: valueNodes[i]!, scope });
  }

  /**
   * `with self._connection_lock.for_heartbeat():`: a context manager a lock object hands out
   * holds that lock. A reader's side of a reader-writer lock (`read_lock()`, `shared()`)
   * excludes no other reader, so it is not taken for the lock itself.
   */
  private lockBehindMethod(value: PyNode, scope: Scope): HeldLock | undefined {
    const call = methodCall(unparen(value));
    return call && !/read|shared/i.test(this.src(call.method)) ? this.lockOf(call.object, scope) : undefined;
  }

  /**
   * `def release(self): self.flag -= 1; self.lock.release()`: a function that releases a lock
   * before taking it is entered holding it (the other half of an `acquire()` wrapper, or a
   * thread's `run()` releasing what its creator took before `start()`: `try: self._connect()
   * finally: self._lock.release()`), so what it does before the release is guarded. Only the
   * function's own top-level statements and the `finally` of a top-level `try` count, and only
   * when no acquire or `with` comes first.
   */
  protected enterHoldingWhatItReleases(body: PyNode, scope: Scope): void {
    for (const statement of body.children) {
      if (statement.type === 'with_statement' || /\.acquire\(/.test(this.src(statement))) return;
      const finallyBody = statement.type === 'try_statement' ? statement.children.find((c) => c.type === 'finally_clause')?.children.find((c) => c.type === 'block') : undefined;
      const release = [statement, ...(finallyBody?.children ?? [])].find((s) => this.bareRelease(s));
      if (!release) continue;
      const call = methodCall(unparen(release.children[0]!))!;
      const lock = this.lockOf(call.object, scope);
      if (!lock) return;
      scope.held.push({ ...lock, manual: true, manualBlock: body, block: this.blockCounter++ });
      scope.manualHeld++;
      (scope.fn.entersHolding ??= []).push(lock.key);
      return;
    }
  }

  /** `x.release()` as a statement of its own. */
  private bareRelease(statement: PyNode): boolean {
    const expression = statement.type === 'expression_statement' ? unparen(statement.children[0] ?? statement) : undefined;
    const call = expression && methodCall(expression);
    return call !== undefined && this.src(call.method) === 'release' && callArguments(expression!).length === 0;
  }

  private lockOf(value: PyNode, scope: Scope): HeldLock | undefined {
    const resolved = this.resolve(value, scope) ?? this.resolveNestedLock(value, scope);
    if (!resolved) return undefined;
    const name = resolved.key.slice(resolved.key.search(/[^.#:]*$/));
    const lockish = resolved.kind ? isLockKind(resolved.kind) : looksLikeLockName(name.replace(/\(\)$/, '')) || resolved.key.endsWith('.get_lock()');
    // Defined in another module: `check` keeps it if that module creates a lock there. An
    // instance of a class of the run is kept if that class turns out to be a lock of its own.
    const imported = !lockish && ((!resolved.kind && !resolved.key.startsWith(`${this.module}:`) && !resolved.key.startsWith('?')) || resolved.kind?.startsWith('class:') === true);
    if (!lockish && !imported) return undefined;
    const target = unparen(value);
    const receiverNode = target.type === 'attribute' ? field(target, 'object') : undefined;
    // `Condition(self.mutex)`: holding the condition is holding that lock (`queue.Queue`'s
    // not_empty, not_full and all_tasks_done are one lock).
    const underlying = lockUnderCondition(resolved.kind);
    return {
      key: underlying ?? (imported ? `${UNVERIFIED_LOCK}${resolved.key}` : resolved.key),
      expr: this.src(target),
      span: this.span(target),
      block: 0,
      receiver: receiverNode ? this.src(receiverNode) : '',
    };
  }

  /**
   * `self.pools.lock`: a lock that lives on an object held in shared state, named after the
   * holder's class when it is known (`RecentlyUsedContainer.lock`), else after the holder.
   */
  private resolveNestedLock(value: PyNode, scope: Scope): Resolved | undefined {
    const target = unparen(value);
    const object = target.type === 'attribute' ? field(target, 'object') : undefined;
    const attr = target.type === 'attribute' ? field(target, 'attribute') : undefined;
    if (!object || !attr || object.type !== 'attribute' || !looksLikeLockName(this.src(attr))) return undefined;
    const holder = this.resolve(object, scope);
    if (!holder?.shared) return undefined;
    const owner = holder.kind?.startsWith('class:') ? holder.kind.slice(6) : holder.key;
    return { key: `${owner}.${this.src(attr)}`, shared: true, viaSelf: holder.viaSelf };
  }

  private acquire(lock: HeldLock, scope: Scope, block: number): void {
    const use: LockUse = { key: lock.key, expr: lock.expr, span: lock.span, manual: lock.manual, async: lock.async, tries: lock.tries };
    scope.fn.acquires.push(use);
    // An acquire that gives up cannot wait forever: it neither re-enters nor closes a cycle.
    for (const outer of lock.tries ? [] : scope.held) {
      if (outer.manual && outer.key === lock.key) continue;
      const distinct = outer.key === lock.key && outer.receiver !== lock.receiver && outer.expr !== lock.expr;
      scope.fn.edges.push({
        outer: { key: outer.key, expr: outer.expr, span: outer.span },
        inner: use,
        distinctReceivers: distinct,
        ordered: distinct && scope.ordersById,
      });
    }
    scope.held.push({ ...lock, block });
  }

  protected noteAcquireCall(call: PyNode, scope: Scope, ifStatement?: PyNode, negated = false): void {
    const fn = field(call, 'function');
    const object = fn && field(fn, 'object');
    if (!object) return;
    const lock = this.lockOf(object, scope);
    if (!lock) return;
    const statement = ifStatement ?? statementOf(call);
    const awaited = call.parent?.type === 'await';
    const tries = this.givesUp(call) || undefined;
    this.acquire({ ...lock, manual: true, async: awaited || undefined, tries, manualBlock: ifStatement ? undefined : statement.parent ?? undefined }, scope, this.blockCounter++);
    if (!ifStatement && statement.parent) scope.manualHeld++;
    const resolved = this.resolve(object, scope);
    const shared = resolved !== undefined && resolved.shared && !resolved.key.includes('#');
    if (shared && !this.releaseGuaranteed(statement, lock.expr, ifStatement, negated) && this.releasedLater(statement, lock.expr)) {
      scope.fn.bareAcquires.push({ lock: lock.key, expr: lock.expr, span: this.span(call) });
    }
  }

  /** `acquire(False)`, `acquire(0)`, `acquire(blocking=False)`, or a timeout other than `-1`/`None`. */
  private givesUp(call: PyNode): boolean {
    const args = callArguments(call);
    const positional = args.filter((a) => a.type !== 'keyword_argument');
    if (positional.length >= 2) return true;
    if (positional[0] && /^(False|0)$/.test(this.src(positional[0]))) return true;
    return args.some((a) => {
      if (a.type !== 'keyword_argument') return false;
      const name = field(a, 'name');
      const value = field(a, 'value');
      const text = value ? this.src(value) : '';
      return name !== undefined && ((this.src(name) === 'blocking' && /^(False|0)$/.test(text)) || (this.src(name) === 'timeout' && !/^(-1|None)$/.test(text)));
    });
  }

  /**
   * A manual acquire/release pair with work in between: the same function releases the lock
   * after this statement, not as the very next statement. Acquires inside `finally`/`except`
   * (re-acquiring after a wait) and lock-wrapper methods (`__enter__`) are deliberate.
   */
  private releasedLater(statement: PyNode, expr: string): boolean {
    let scopeNode: PyNode | null = statement.parent;
    while (scopeNode && scopeNode.type !== 'function_definition' && scopeNode.type !== 'module') {
      if (scopeNode.type === 'finally_clause' || scopeNode.type === 'except_clause') return false;
      scopeNode = scopeNode.parent;
    }
    if (!scopeNode) return false;
    if (scopeNode.type === 'function_definition') {
      const name = field(scopeNode, 'name');
      if (name && /^(__enter__|__aenter__|acquire|lock|_acquire\w*|_lock\w*|__exit__)$/.test(this.src(name))) return false;
    }
    const siblings = statement.parent?.children ?? [];
    const next = siblings[siblings.indexOf(statement) + 1];
    if (next && this.src(next).startsWith(`${expr}.release(`)) return false;
    if (this.leavesLoopHeldIntoFinally(statement, expr)) return false;
    const before = this.text.slice(scopeNode.start, statement.start);
    const previous = before.lastIndexOf(`${expr}.acquire(`);
    if (previous !== -1 && before.indexOf(`${expr}.release(`, previous) === -1) return false;
    const rest = this.text.slice(statement.end, scopeNode.end);
    const release = rest.indexOf(`${expr}.release(`);
    if (release === -1) return false;
    // Released by a nested function (`def run_it(): … finally: sem.release()` handed to an
    // executor): the permit goes with the task, which releases it however it ends.
    if (this.insideNestedFunction(scopeNode, statement.end + release)) return false;
    const between = rest.slice(0, release);
    // Acquired again before the release: a lock used as a semaphore that another thread releases.
    if (between.includes(`${expr}.acquire(`)) return false;
    // Only calls can raise in practice between the two, and not the ones that cannot fail on
    // a valid object (appending to a list, notifying a held condition, reading the clock).
    return [...between.matchAll(/([A-Za-z_][\w.]*)\s*\(/g)].some(
      (m) => !NON_RAISING_CALLS.test(m[1]!) && !NON_RAISING_BUILTINS.test(m[1]!) && !LOGGING_CALLS.test(m[1]!) && !EXCEPTION_CLASS.test(m[1]!),
    );
  }

  /** The text at `offset` lies in a function or lambda defined inside `scopeNode`. */
  private insideNestedFunction(scopeNode: PyNode, offset: number): boolean {
    let nested = false;
    walk(scopeNode, (node) => {
      if (nested || node.end <= offset || node.start > offset) return false;
      if (node !== scopeNode && (node.type === 'function_definition' || node.type === 'lambda')) nested = true;
      return !nested;
    }, true);
    return nested;
  }

  /**
   * A retry loop: `acquire()`, then `if ready: break` (leaving the loop with the lock held),
   * else `release()` and try again; after the loop a `try … finally` releases it.
   */
  private leavesLoopHeldIntoFinally(statement: PyNode, expr: string): boolean {
    const siblings = statement.parent?.children ?? [];
    let i = siblings.indexOf(statement) + 1;
    for (; i < siblings.length && !this.src(siblings[i]!).startsWith(`${expr}.release(`); i++) {
      const body = siblings[i]!.type === 'if_statement' ? field(siblings[i]!, 'consequence') : undefined;
      if (!body || body.children.length !== 1 || body.children[0]!.type !== 'break_statement' || siblings[i]!.children.some((c) => c.type !== 'block' && c.field !== 'condition')) return false;
    }
    let loop: PyNode | null = statement.parent;
    while (loop && loop.type !== 'while_statement' && loop.type !== 'for_statement' && loop.type !== 'function_definition') loop = loop.parent;
    if (i === siblings.indexOf(statement) + 1 || !loop || loop.type === 'function_definition') return false;
    const after = loop.parent?.children[loop.parent.children.indexOf(loop) + 1];
    return this.releasesOnEveryExit(after, expr);
  }

  /**
   * A `try` whose `finally` releases the lock, or whose `except BaseException:` (or bare
   * `except:`) releases it and re-raises: every exception path releases it as surely.
   */
  private releasesOnEveryExit(tryNode: PyNode | undefined, expr: string): boolean {
    if (tryNode?.type !== 'try_statement') return false;
    const release = `${expr}.release(`;
    return tryNode.children.some((clause) => {
      if (clause.type === 'finally_clause') return this.src(clause).includes(release);
      if (clause.type !== 'except_clause') return false;
      const text = this.src(clause);
      return /^except\s*(BaseException\b[^:]*)?:/.test(text) && text.includes(release) && /\braise\s*$/m.test(text);
    });
  }

  /** `acquire()` directly followed by `try: … finally: release()`, or inside such a `try`. */
  private releaseGuaranteed(statement: PyNode, expr: string, ifStatement?: PyNode, negated = false): boolean {
    const releases = (tryNode: PyNode | undefined) => this.releasesOnEveryExit(tryNode, expr);
    if (ifStatement && !negated) {
      const consequence = field(ifStatement, 'consequence');
      if (consequence && releases(consequence.children[0])) return true;
    } else if (ifStatement && negated && !this.exitsEarly(ifStatement)) {
      const alternative = ifStatement.children.find((c) => c.type === 'else_clause');
      const body = alternative && field(alternative, 'body');
      if (body && releases(body.children[0])) return true;
    } else {
      // `if lock is not None: lock.acquire()` followed by the `try`: look past enclosing `if`s
      // of which the acquire is the last statement.
      let current = statement;
      for (;;) {
        const siblings = current.parent?.children ?? [];
        let index = siblings.indexOf(current);
        // `acquire(); log.debug("got the lock"); try: … finally: release()`.
        while (index + 1 < siblings.length && this.cannotRaise(siblings[index + 1]!)) index++;
        if (releases(siblings[index + 1])) return true;
        index = siblings.indexOf(current);
        const block = current.parent;
        const ifNode = block?.type === 'block' && index === siblings.length - 1 ? block.parent : undefined;
        if (ifNode?.type !== 'if_statement') break;
        current = ifNode;
      }
    }
    for (let node = statement.parent; node && node.type !== 'function_definition'; node = node.parent) {
      if (node.type === 'block' && node.field === 'body' && releases(node.parent ?? undefined)) return true;
    }
    return false;
  }

  /**
   * A comment, a logging call whose arguments call nothing (`log.debug("got %d", self.n)`), or
   * a name bound to a variable, an attribute or a constant (`saved = sys.stdout`).
   */
  private cannotRaise(statement: PyNode): boolean {
    if (statement.type === 'comment') return true;
    const expression = statement.type === 'expression_statement' ? unparen(statement.children[0] ?? statement) : undefined;
    if (expression?.type === 'assignment') {
      const target = field(expression, 'left');
      const value = field(expression, 'right');
      const plain = (n: PyNode | undefined): boolean => n !== undefined && (n.type === 'identifier' || (n.type === 'attribute' && plain(field(n, 'object'))));
      return target?.type === 'identifier' && value !== undefined && (plain(value) || /^(string|integer|float|true|false|none)$/.test(value.type));
    }
    if (expression?.type !== 'call') return false;
    const callee = field(expression, 'function');
    const args = field(expression, 'arguments');
    return callee !== undefined && LOGGING_CALLS.test(this.src(callee)) && !some(args ?? expression, (n) => n.type === 'call' || n.type === 'await');
  }

  /** A bare `acquire()` holds the lock until its release or the end of the enclosing block. */
  protected dropManualLocksOutside(node: PyNode, scope: Scope): void {
    for (let i = scope.held.length - 1; i >= 0; i--) {
      const held = scope.held[i]!;
      if (!held.manualBlock) continue;
      let inside = false;
      for (let n: PyNode | null = node; n; n = n.parent) {
        if (n === held.manualBlock) {
          inside = true;
          break;
        }
      }
      if (!inside) {
        scope.held.splice(i, 1);
        scope.manualHeld--;
      }
    }
  }

  protected release(object: PyNode, scope: Scope): void {
    const resolved = this.resolve(object, scope);
    if (!resolved) return;
    for (let i = scope.held.length - 1; i >= 0; i--) {
      const held = scope.held[i]!;
      if (held.key !== resolved.key) continue;
      if (held.manualBlock) scope.manualHeld--;
      scope.held.splice(i, 1);
      const branch = this.exitingBranch(statementOf(object), held);
      if (branch) scope.suspended.push({ lock: held, branch });
      return;
    }
  }

  /**
   * `if conn.idle: lock.release(); return conn`: a release in a branch that then leaves the
   * function (`return`, `raise`) lets the lock go on that way out only; the code after the
   * branch still runs holding it. The branch is the release's own block, when it ends in the
   * exit and lies inside the acquire's block (a release beside its acquire ends the lock there).
   */
  private exitingBranch(statement: PyNode, held: HeldLock): PyNode | undefined {
    const branch = statement.parent;
    const last = branch?.children.at(-1);
    if (!branch || branch.type !== 'block' || branch === held.manualBlock) return undefined;
    if (last?.type !== 'return_statement' && last?.type !== 'raise_statement') return undefined;
    for (let n = branch.parent; n; n = n.parent) if (n === held.manualBlock) return branch;
    return undefined;
  }

  /**
   * `self.send_and_recv()` documented "send_recv_lock MUST be LOCKED when called, it will be
   * UNLOCKED at return": a method of the same class whose first use of a lock is its release,
   * and whose last is a release among its top-level statements, takes the caller's lock over.
   * After the call the caller no longer holds it, so what it takes next is not nested in it,
   * nor is what the method takes after letting it go (the keys returned, for the call site).
   */
  protected releaseHandedOver(call: PyNode, method: string, scope: Scope): string[] {
    const def = this.sameClassMethod(call, method);
    if (!def) return [];
    const exprs = new Set(this.locksHandedOver(def).map((attr) => `${scope.selfName}.${attr}`));
    const released: string[] = [];
    for (let i = scope.held.length - 1; i >= 0 && exprs.size > 0; i--) {
      const held = scope.held[i]!;
      if (!exprs.delete(held.expr)) continue;
      if (held.manualBlock) scope.manualHeld--;
      scope.held.splice(i, 1);
      released.push(held.key);
    }
    return released;
  }

  private sameClassMethod(call: PyNode, method: string): PyNode | undefined {
    let cls = call.parent;
    while (cls && cls.type !== 'class_definition') cls = cls.parent;
    const body = cls && field(cls, 'body');
    for (const statement of body?.children ?? []) {
      const def = statement.type === 'decorated_definition' ? field(statement, 'definition') : statement;
      const name = def?.type === 'function_definition' ? field(def, 'name') : undefined;
      if (name && this.src(name) === method) return def;
    }
    return undefined;
  }

  private locksHandedOver(def: PyNode): string[] {
    const cached = this.handedOver.get(def);
    if (cached) return cached;
    const body = field(def, 'body');
    const self = field(def, 'parameters')?.children.find((p) => p.type === 'identifier');
    const uses = new Map<string, { release: boolean; node: PyNode }[]>();
    const note = (lock: PyNode, release: boolean, node: PyNode) => {
      const target = unparen(lock);
      const object = target.type === 'attribute' ? field(target, 'object') : undefined;
      const attr = target.type === 'attribute' ? field(target, 'attribute') : undefined;
      if (!self || !object || !attr || this.src(object) !== this.src(self)) return;
      const list = uses.get(this.src(attr)) ?? [];
      list.push({ release, node });
      uses.set(this.src(attr), list);
    };
    if (body) {
      walk(body, (node) => {
        const call = methodCall(node);
        const op = call && this.src(call.method);
        if (call && (op === 'acquire' || op === 'release')) note(call.object, op === 'release', node);
        if (node.type === 'with_item') note(node.children[0] ?? node, false, node);
      });
    }
    const handed = [...uses].filter(([, list]) => list[0]!.release && list.at(-1)!.release && statementOf(list.at(-1)!.node).parent === body).map(([attr]) => attr);
    this.handedOver.set(def, handed);
    return handed;
  }

  /** Leaving an exiting branch: the locks it released are held again. */
  protected resumeAfterExitingBranch(node: PyNode, scope: Scope): void {
    scope.suspended = scope.suspended.filter(({ lock, branch }) => {
      if (node.start >= branch.start && node.end <= branch.end) return true;
      scope.held.push(lock);
      if (lock.manualBlock) scope.manualHeld++;
      return false;
    });
  }

  protected acquireInCondition(condition: PyNode): PyNode | undefined {
    const bare = unparen(condition);
    const inner = unparen(bare.type === 'not_operator' ? field(bare, 'argument') ?? bare : bare);
    if (inner.type !== 'call') return undefined;
    const fn = field(inner, 'function');
    const attr = fn?.type === 'attribute' ? field(fn, 'attribute') : undefined;
    return attr && this.src(attr) === 'acquire' ? inner : undefined;
  }
}
