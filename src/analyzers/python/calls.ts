import { isThreadPoolKind } from './kinds';
import { callArgs } from './param-guards';
import type { PyNode } from './parser';
import { LockTracking } from './lock-tracking';
import { SUPER_PREFIX, type Spawn, type SpawnKind } from './summary';
import { enclosingFunction, field, statementOf, targetNames, unparen, walk } from './syntax';
import { gatesHeld, heldKeys, lastComponent, SERVER_START, type Scope } from './walk-state';

const POOL_MAPS = new Set(['map', 'starmap', 'imap', 'imap_unordered', 'map_async', 'starmap_async']);
const POOL_SINGLE = new Set(['submit', 'apply_async', 'apply']);
/** Functions that register a callback the runtime calls later, on some thread, and where the callback is. */
const REGISTRATIONS: Record<string, { kind: SpawnKind; argument: number }> = {
  'signal.signal': { kind: 'signal', argument: 1 },
  'atexit.register': { kind: 'atexit', argument: 0 },
  'weakref.finalize': { kind: 'finalizer', argument: 1 },
};
/** Event-loop methods that are only safe on the loop's own thread. */
const LOOP_BOUND_METHODS = new Set([
  'put_nowait', 'get_nowait', 'put', 'get', 'set', 'clear', 'set_result', 'set_exception', 'cancel',
  'call_soon', 'call_later', 'call_at', 'create_task', 'stop', 'task_done',
]);

/**
 * Calls and where concurrency starts: call sites with the locks held at them, threads,
 * timers, pools, processes and asyncio tasks started, joins and waits, hand-offs through
 * events, and asyncio objects used from the calling thread.
 */
export abstract class Calls extends LockTracking {
  /** The loop each spawn was started in: a join in the same loop makes the starts sequential. */
  private readonly spawnLoops = new Map<Spawn, PyNode>();

  protected visitCall(node: PyNode, scope: Scope): void {
    const fn = field(node, 'function');
    if (!fn) return;
    const args = field(node, 'arguments');
    if (fn.type === 'attribute') {
      const attr = field(fn, 'attribute');
      const object = field(fn, 'object');
      if (attr && object) this.visitMethodCall(node, object, this.src(attr), args, scope);
    }
    const qualified = this.qualify(fn);
    if (qualified === 'asyncio.run' || (fn.type === 'attribute' && /\.(run_until_complete|run_forever)$/.test(this.src(fn)))) scope.fn.runsLoop = true;
    const spawnKind = this.constructorSpawn(qualified, fn, scope);
    if (spawnKind) {
      const target = this.keywordArg(args, spawnKind === 'timer' ? 'function' : 'target') ??
        (spawnKind === 'timer' ? this.positionalArg(args, 1) : undefined);
      if (spawnKind === 'thread-subclass' || spawnKind === 'process-subclass') {
        const cls = this.src(fn);
        this.addSpawn(node, spawnKind === 'thread-subclass' ? 'thread' : 'process', `${this.module}:${cls}.run`, false, scope);
      } else if (target) {
        this.addSpawnFromTarget(node, spawnKind, target, scope, args, 'args');
      }
      return;
    }
    const registered = Object.hasOwn(REGISTRATIONS, qualified) ? REGISTRATIONS[qualified] : undefined;
    if (registered) {
      const target = this.positionalArg(args, registered.argument);
      if (target) this.addSpawnFromTarget(node, registered.kind, target, scope, args, registered.argument === 0 ? 'rest' : 'rest2');
      return;
    }
    if (qualified === '_thread.start_new_thread' || qualified === '_thread.start_new') {
      const target = this.positionalArg(args, 0);
      if (target) this.addSpawnFromTarget(node, 'thread', target, scope, args, 'rest');
      return;
    }
    if (qualified === 'asyncio.to_thread') {
      const target = this.positionalArg(args, 0);
      if (target) this.addSpawnFromTarget(node, 'to-thread', target, scope, args, 'rest');
      return;
    }
    if (this.isTaskFactory(node)) {
      this.noteTasks(node, args, scope);
      return;
    }
    if (qualified === 'concurrent.futures.wait' || qualified === 'concurrent.futures.as_completed') {
      const first = this.positionalArg(args, 0);
      const ref = first && this.resolve(first, scope);
      if (ref) scope.fn.joins.push({ handle: ref.key, span: this.span(node), locks: heldKeys(scope) });
      return;
    }
    if (fn.type === 'attribute' && scope.selfName && args?.children.some((a) => a.type === 'identifier' && this.src(a) === scope.selfName)) {
      const handle = this.handleOf(field(fn, 'object')!, scope);
      if (handle) scope.fn.selfHandoffs.push({ key: handle, span: this.span(node) });
    }
    const callee = this.calleeKey(fn, scope);
    if (callee) {
      const receiver = fn.type === 'attribute' ? field(fn, 'object') : undefined;
      const receiverName = receiver ? this.src(receiver) : '';
      const argFunctions = (args?.children ?? [])
        .filter((a) => a.type !== 'keyword_argument' && a.type !== 'comment')
        .map((a) => (a.type === 'identifier' || a.type === 'attribute' ? this.calleeKey(a, scope) ?? null : null));
      const receiverRef = receiver && receiverName !== scope.selfName ? this.resolve(receiver, scope) : undefined;
      const locks = heldKeys(scope);
      const handsOver = receiverName === scope.selfName && locks.length > 0 ? this.releaseHandedOver(node, this.src(field(fn, 'attribute')!), scope) : [];
      scope.fn.calls.push({
        callee,
        span: this.span(node),
        locks,
        handsOver: handsOver.length > 0 ? handsOver : undefined,
        gates: gatesHeld(scope),
        free: scope.free.length > 0 ? scope.free : undefined,
        // `Pool(...)` makes a new object: its `__init__` runs on that one, not on this `self`.
        sameInstance: (fn.type === 'identifier' && !callee.endsWith('.__init__')) || receiverName === scope.selfName || receiverName === 'cls' || (receiver !== undefined && this.isSuperCall(receiver)),
        direct: !this.isCoroutineHandedOff(node),
        argFunctions: argFunctions.some((a) => a !== null) ? argFunctions : undefined,
        // A field the constructor just set to a new object is that object's alone until it returns.
        sharedReceiver: receiverRef?.shared && !receiverRef.key.includes('#') && !scope.freshFields.has(receiverRef.key) ? true : undefined,
        capturedReceiver: receiverRef?.shared && receiverRef.key.includes('#') ? receiverRef.key : undefined,
        paramReceiver: receiver?.type === 'identifier' && receiverName !== scope.selfName && scope.names.params.includes(receiverName) ? true : undefined,
        ...callArgs(node, (n) => this.src(n)),
        unbound: fn.type === 'attribute' && scope.selfName !== undefined && receiverName !== scope.selfName && this.firstArgIs(args, scope.selfName) ? true : undefined,
      });
    }
  }

  /** A coroutine call passed to `create_task`/`gather` runs as its own task, not inline. */
  private isCoroutineHandedOff(call: PyNode): boolean {
    let parent = call.parent;
    while (parent && (parent.type === 'argument_list' || parent.type === 'list_splat' || parent.type === 'list_comprehension' || parent.type === 'generator_expression')) {
      if (parent.type === 'argument_list') return parent.parent?.type === 'call' && this.isTaskFactory(parent.parent);
      parent = parent.parent;
    }
    return false;
  }

  /**
   * Calls that run a coroutine as a task of its own. `await asyncio.shield(coro)` and
   * `await asyncio.wait_for(coro, t)` are not among them: the caller waits for that one coroutine,
   * which runs as if called.
   */
  private isTaskFactory(call: PyNode): boolean {
    const fn = field(call, 'function');
    if (!fn) return false;
    const qualified = this.qualify(fn);
    if (/^asyncio\.(wait_for|shield)$/.test(qualified) && call.parent?.type === 'await') return false;
    return /^asyncio\.(create_task|ensure_future|gather|wait|as_completed|run|wait_for|shield)$/.test(qualified) ||
      (fn.type === 'attribute' && /\.(create_task|run_until_complete|ensure_future)$/.test(this.src(fn)));
  }

  private constructorSpawn(qualified: string, fn: PyNode, scope: Scope): SpawnKind | 'thread-subclass' | 'process-subclass' | undefined {
    if (qualified === 'threading.Thread') return 'thread';
    if (qualified === 'threading.Timer') return 'timer';
    if (qualified === 'multiprocessing.Process' || /\.Process$/.test(qualified) && /multiprocessing|ctx|context/.test(qualified)) return 'process';
    if (fn.type === 'identifier' && (scope.isModule || !scope.names.locals.has(this.src(fn)))) {
      const cls = this.classes.get(this.src(fn));
      if (cls && this.classes.get(this.src(fn))?.methods.has('run')) {
        if (cls.bases.some((b) => b === 'threading.Thread')) return 'thread-subclass';
        if (cls.bases.some((b) => b === 'multiprocessing.Process')) return 'process-subclass';
      }
    }
    return undefined;
  }

  /**
   * `cv.wait()` then a bare `return` (or `return None`/a literal): the waiter assumes nothing
   * about the state it woke to, so a stolen wake-up has no predicate to break.
   */
  private leavesRightAfter(statement: PyNode): boolean {
    const siblings = statement.parent?.children ?? [];
    const next = siblings[siblings.indexOf(statement) + 1];
    if (next?.type !== 'return_statement') return false;
    const value = next.children.find((c) => c.type !== 'return');
    return value === undefined || /^(none|true|false|integer|float|string)$/.test(value.type);
  }

  private visitMethodCall(node: PyNode, object: PyNode, method: string, args: PyNode | undefined, scope: Scope): void {
    const locks = () => heldKeys(scope);
    switch (method) {
      case 'acquire': {
        const statement = statementOf(node);
        let expression = unparen(statement.children[0] ?? statement);
        if (expression.type === 'await') expression = unparen(expression.children[0] ?? expression);
        if (statement.type === 'expression_statement' && expression === node) this.noteAcquireCall(node, scope);
        return;
      }
      case 'release':
        this.release(object, scope);
        return;
      case 'join':
      case 'result':
      case 'shutdown': {
        const handle = this.handleOf(object, scope);
        if (handle) {
          scope.fn.joins.push({ handle, span: this.span(node), locks: locks() });
          this.unmarkJoinedInLoop(handle, scope);
        }
        if (method === 'result') this.notePoolWait(node, object, scope);
        return;
      }
      case 'wait':
      case 'notify':
      case 'notify_all': {
        const ref = this.resolve(object, scope);
        if (!ref) return;
        if (method === 'wait') {
          scope.fn.eventWaits.push({ key: ref.key, span: this.span(node) });
          const statement = statementOf(node);
          const block = statement.parent;
          const ifNode = block?.type === 'block' && block.field === 'consequence' ? block.parent : undefined;
          const simpleIf = ifNode?.type === 'if_statement' && !ifNode.children.some((c) => c.field === 'alternative');
          const hasTimeout = (field(node, 'arguments')?.children.length ?? 0) > 0;
          scope.fn.conditionOps.push({
            key: ref.key,
            op: 'wait',
            span: this.span(node),
            ok: scope.whileDepth > 0 || hasTimeout || this.leavesRightAfter(statement),
            locks: locks(),
            ifKeyword: simpleIf && ifNode ? this.lines.span(ifNode.start, ifNode.start + 2) : undefined,
          });
        } else {
          scope.fn.conditionOps.push({ key: ref.key, op: 'notify', span: this.span(node), ok: false, locks: locks() });
        }
        return;
      }
      case 'set':
        this.noteEventSet(node, object, scope);
        break;
      case 'put':
      case 'put_nowait':
      case 'get':
      case 'get_nowait':
        this.noteQueueHandOff(node, object, method.startsWith('put'), scope);
        break;
      case 'call_soon':
      case 'call_soon_threadsafe':
      case 'call_later':
      case 'call_at': {
        // The callback runs on the loop between tasks; `call_later(delay, cb)`, `call_soon(cb)`.
        const target = this.positionalArg(args, method.startsWith('call_soon') ? 0 : 1);
        if (target) this.addSpawnFromTarget(node, 'loop-callback', target, scope, args, method.startsWith('call_soon') ? 'rest' : 'rest2');
        return;
      }
      case 'add_done_callback': {
        const target = this.positionalArg(args, 0);
        const receiver = this.resolve(object, scope)?.kind ?? (object.type === 'identifier' ? scope.localKinds.get(this.src(object)) : undefined);
        const pooled = object.type === 'identifier' && scope.futureOf.has(this.src(object));
        // A pool future's callbacks run on the worker thread that completes it; an asyncio future's, on the loop.
        if (target && (pooled || receiver === 'aio.Future')) this.addSpawnFromTarget(node, pooled ? 'callback' : 'loop-callback', target, scope, args, 'rest');
        return;
      }
      case 'set_result':
      case 'set_exception':
        this.noteFutureResolve(node, object, scope);
        break;
      case 'append':
      case 'appendleft': {
        const value = this.positionalArg(args, 0);
        if (value) this.noteFutureStore(object, value, scope, true);
        if (value?.type === 'identifier') this.noteHandleCollected(object, value, scope);
        if (value && scope.memberTests.size > 0) this.noteClaim(object, value, scope);
        break;
      }
      case 'add': {
        const value = this.positionalArg(args, 0);
        if (value && scope.memberTests.size > 0) this.noteClaim(object, value, scope);
        break;
      }
      default:
        break;
    }
    this.noteExecutorCall(node, object, method, args, scope);
    this.noteAsyncioUse(node, object, method, scope);
  }

  /** `threads.append(t)` after `t = Thread(…)`: the thread is joined through `threads` as well. */
  private noteHandleCollected(collection: PyNode, value: PyNode, scope: Scope): void {
    const key = this.resolve(collection, scope)?.key;
    if (key) this.noteHandleStored(key, value, scope);
  }

  /** `self._waiter.set_result(x)`, or through `waiter = self._waiter`: a waiter resolved. */
  private noteFutureResolve(node: PyNode, object: PyNode, scope: Scope): void {
    const target = unparen(object);
    const key = target.type === 'identifier' ? scope.fieldAliases.get(this.src(target)) : this.resolve(target, scope)?.key;
    if (key) scope.fn.futureResolves.push({ key, span: this.span(node) });
  }

  /** `for …: t = Thread(…); t.start(); t.join()` runs the workers one after another. */
  private unmarkJoinedInLoop(handle: string, scope: Scope): void {
    for (const spawn of scope.fn.spawns) {
      const loop = this.spawnLoops.get(spawn);
      if ((spawn.handle === handle || spawn.collection === handle) && loop && scope.loops.includes(loop)) spawn.many = false;
    }
  }

  private noteEventSet(node: PyNode, object: PyNode, scope: Scope): void {
    const ref = this.resolve(object, scope);
    if (ref && (ref.kind === 'Event' || ref.kind === undefined)) scope.fn.eventSets.push({ key: ref.key, span: this.span(node) });
  }

  /** `q.put(x)` / `q.get()` on a `queue.Queue`: the put happens before the get that takes it. */
  private noteQueueHandOff(node: PyNode, object: PyNode, put: boolean, scope: Scope): void {
    const ref = this.resolve(object, scope);
    const kind = ref?.kind ?? (object.type === 'identifier' ? scope.localKinds.get(this.src(object)) : undefined);
    if (!ref || kind !== 'Queue') return;
    (put ? scope.fn.eventSets : scope.fn.eventWaits).push({ key: ref.key, span: this.span(node) });
  }

  private handleOf(object: PyNode, scope: Scope): string | undefined {
    const target = unparen(object);
    if (target.type === 'identifier') {
      const alias = scope.aliases.get(this.src(target));
      if (alias) return alias;
    }
    if (target.type === 'call') {
      const fn = field(target, 'function');
      const attr = fn?.type === 'attribute' ? field(fn, 'attribute') : undefined;
      const executor = fn?.type === 'attribute' ? field(fn, 'object') : undefined;
      if (attr && executor && this.src(attr) === 'submit') return this.resolve(executor, scope)?.key;
    }
    return this.resolve(object, scope)?.key;
  }

  private notePoolWait(node: PyNode, object: PyNode, scope: Scope): void {
    const target = unparen(object);
    let executor: string | undefined;
    if (target.type === 'identifier') executor = scope.futureOf.get(this.src(target));
    else if (target.type === 'call') {
      const fn = field(target, 'function');
      const attr = fn?.type === 'attribute' ? field(fn, 'attribute') : undefined;
      const receiver = fn?.type === 'attribute' ? field(fn, 'object') : undefined;
      if (attr && receiver && this.src(attr) === 'submit') executor = this.resolve(receiver, scope)?.key;
    }
    if (executor) scope.fn.poolWaits.push({ executor, span: this.span(node), text: this.shortText(node) });
  }

  private executorKind(object: PyNode, scope: Scope): 'ThreadPool' | 'ProcessPool' | undefined {
    const ref = this.resolve(object, scope);
    const kind = ref?.kind ?? (object.type === 'identifier' ? scope.localKinds.get(this.src(object)) : undefined);
    if (isThreadPoolKind(kind)) return 'ThreadPool';
    if (kind === 'ProcessPool') return kind;
    if (kind) return undefined;
    const name = this.src(object);
    if (/process_?pool|proc_?pool/i.test(name)) return 'ProcessPool';
    if (/(executor|pool)$/i.test(name) || /^_?ex$/.test(name)) return 'ThreadPool';
    return undefined;
  }

  private noteExecutorCall(node: PyNode, object: PyNode, method: string, args: PyNode | undefined, scope: Scope): void {
    const isMap = POOL_MAPS.has(method);
    const isSingle = POOL_SINGLE.has(method);
    const isLoopExecutor = method === 'run_in_executor';
    if (!isMap && !isSingle && !isLoopExecutor) return;
    if (isLoopExecutor) {
      const executorArg = this.positionalArg(args, 0);
      const target = this.positionalArg(args, 1);
      const process = executorArg ? this.executorKind(executorArg, scope) === 'ProcessPool' : false;
      if (target) this.addSpawnFromTarget(node, process ? 'process-pool' : 'thread-pool', target, scope, args, 'rest2');
      return;
    }
    const kind = this.executorKind(object, scope);
    if (!kind) return;
    const target = this.positionalArg(args, 0);
    if (!target) return;
    const executor = this.resolve(object, scope)?.key;
    const spawn = this.addSpawnFromTarget(node, kind === 'ProcessPool' ? 'process-pool' : 'thread-pool', target, scope, args, 'rest');
    if (spawn) {
      spawn.executor = executor;
      if (isMap) spawn.many = true;
    }
    if (executor && isMap) {
      const enclosing = enclosingFunction(node);
      if (enclosing) scope.fn.poolWaits.push({ executor, span: this.span(node), text: this.shortText(node) });
      if (/^(map|starmap)$/.test(method) && kind === 'ProcessPool') {
        scope.fn.joins.push({ handle: executor, span: this.span(node), locks: heldKeys(scope) });
      }
    }
  }

  private noteAsyncioUse(node: PyNode, object: PyNode, method: string, scope: Scope): void {
    if (!LOOP_BOUND_METHODS.has(method)) return;
    const ref = this.resolve(object, scope);
    if (!ref || ref.kind?.startsWith('aio.') === false) return;
    if (!ref.kind && !ref.shared) return;
    scope.fn.asyncioUses.push({ key: ref.key, kind: ref.kind ?? '', method, span: this.span(node) });
  }

  private noteTasks(node: PyNode, args: PyNode | undefined, scope: Scope): void {
    if (!args) return;
    this.noteServerBesideOthers(node, args, scope);
    const coroutineCalls: { call: PyNode; many: boolean }[] = [];
    for (const arg of args.children) {
      if (arg.type === 'call') coroutineCalls.push({ call: arg, many: false });
      else if (arg.type === 'list_splat' || arg.type === 'list_comprehension' || arg.type === 'generator_expression') {
        walk(arg, (n) => {
          if (n.type === 'call') {
            coroutineCalls.push({ call: n, many: true });
            return false;
          }
          return true;
        });
      }
    }
    for (const { call, many } of coroutineCalls) {
      const fn = field(call, 'function');
      const target = fn && this.calleeKey(fn, scope);
      if (!target) continue;
      this.pushSpawn(scope, {
        kind: 'task',
        target,
        span: this.span(node),
        many: many || scope.loops.length > 0,
        selfShared: true,
        argKinds: [],
      });
    }
  }

  /**
   * `gather(loop.create_server(handler, …), app.startup())`: the server accepts and dispatches
   * requests while the other coroutines of the same `gather` are still running.
   */
  private noteServerBesideOthers(node: PyNode, args: PyNode, scope: Scope): void {
    const fn = field(node, 'function');
    if (!fn || !/^asyncio\.(gather|wait)$/.test(this.qualify(fn))) return;
    const members = args.children.filter((a) => a.type === 'call' || a.type === 'identifier');
    const isServer = (m: PyNode) => m.type === 'identifier' ? scope.serverLocals.has(this.src(m)) : SERVER_START.test(this.src(field(m, 'function') ?? m));
    const server = members.find(isServer);
    const other = members.find((m) => !isServer(m));
    if (server && other) scope.fn.startsBeforeInit.push({ span: this.span(other), text: this.shortText(other), server: this.shortText(server) });
  }

  private keywordArg(args: PyNode | undefined, name: string): PyNode | undefined {
    for (const arg of args?.children ?? []) {
      if (arg.type === 'keyword_argument') {
        const key = field(arg, 'name');
        if (key && this.src(key) === name) return field(arg, 'value');
      }
    }
    return undefined;
  }

  private firstArgIs(args: PyNode | undefined, name: string): boolean {
    const first = this.positionalArg(args, 0);
    return first?.type === 'identifier' && first.end - first.start === name.length && this.src(first) === name;
  }

  private positionalArg(args: PyNode | undefined, index: number): PyNode | undefined {
    let i = 0;
    for (const arg of args?.children ?? []) {
      if (arg.type === 'keyword_argument' || arg.type === 'comment') continue;
      if (i++ === index) return arg;
    }
    return undefined;
  }

  private addSpawnFromTarget(
    node: PyNode,
    kind: SpawnKind,
    targetNode: PyNode,
    scope: Scope,
    args: PyNode | undefined,
    argMode: 'args' | 'rest' | 'rest2',
  ): Spawn | undefined {
    let target = unparen(targetNode);
    if (target.type === 'call') {
      const fn = field(target, 'function');
      if (fn && /(^|\.)partial$/.test(this.qualify(fn))) {
        const first = this.positionalArg(field(target, 'arguments'), 0);
        if (first) target = unparen(first);
      }
    }
    let key: string | undefined;
    let selfShared = true;
    let localReceiver = false;
    const param = target.type === 'identifier' ? scope.names.params.indexOf(this.src(target)) : -1;
    if (param >= 0) {
      const spawn = this.addSpawn(node, kind, '', true, scope);
      spawn.targetParam = param;
      return spawn;
    }
    if (target.type === 'lambda') key = this.lambdaKey(target, scope);
    else {
      key = this.calleeKey(target, scope);
      if (target.type === 'attribute') {
        const receiver = field(target, 'object');
        if (receiver?.type === 'identifier' && receiver.parent && this.src(receiver) !== scope.selfName) {
          const loopOfReceiver = scope.assignedInLoop.get(this.src(receiver));
          if (loopOfReceiver && scope.loops.includes(loopOfReceiver)) selfShared = false;
          // A local or parameter of this function: another function's start binds another object.
          if (!this.resolve(receiver, scope)?.shared) localReceiver = true;
        }
      }
    }
    if (!key) return undefined;
    const argKinds: (string | null)[] = [];
    const argSource = argMode === 'args' ? this.keywordArg(args, 'args') : args;
    const skip = argMode === 'rest' ? 1 : argMode === 'rest2' ? 2 : 0;
    let index = 0;
    let sharesArgs = false;
    const distinctArgs: number[] = [];
    const loopVariables = this.loopVariables(scope);
    for (const arg of argSource?.children ?? []) {
      if (arg.type === 'keyword_argument' || arg.type === 'comment') continue;
      if (index++ < skip) continue;
      argKinds.push(arg.type === 'identifier' ? this.resolve(arg, scope)?.kind ?? scope.localKinds.get(this.src(arg)) ?? null : null);
      if (arg.type === 'identifier' && loopVariables.has(this.src(arg))) distinctArgs.push(argKinds.length - 1);
      else if (arg.type === 'identifier' || arg.type === 'attribute') sharesArgs ||= this.isSameObjectEachTime(arg, scope);
    }
    const spawn = this.addSpawn(node, kind, key, selfShared, scope, argKinds);
    if (sharesArgs) spawn.sharesArgs = true;
    if (localReceiver) spawn.localReceiver = true;
    if (distinctArgs.length > 0) spawn.distinctArgs = distinctArgs;
    return spawn;
  }

  private addSpawn(
    node: PyNode,
    kind: SpawnKind,
    target: string,
    selfShared: boolean,
    scope: Scope,
    argKinds: (string | null)[] = [],
): Spawn {
    let handle = scope.pendingHandle;
    const parentCall = node.parent?.type === 'argument_list' ? node.parent.parent : undefined;
    const appendTo = parentCall && field(parentCall, 'function');
    if (appendTo?.type === 'attribute' && field(appendTo, 'attribute') && this.src(field(appendTo, 'attribute')!) === 'append') {
      handle = this.resolve(field(appendTo, 'object')!, scope)?.key;
    }
    // `await loop.run_in_executor(None, f)`, `await asyncio.to_thread(f)`: the coroutine goes on
    // only once the worker is done, so nothing it does after overlaps it, nor one loop round the next.
    const awaited = node.parent?.type === 'await';
    return this.pushSpawn(scope, {
      kind,
      target,
      span: this.span(node),
      many: scope.loops.length > 0 && !awaited,
      selfShared,
      handle,
      argKinds,
      awaited: awaited || undefined,
    });
  }

  private pushSpawn(scope: Scope, spawn: Spawn): Spawn {
    scope.fn.spawns.push(spawn);
    const loop = scope.loops[scope.loops.length - 1];
    if (loop) this.spawnLoops.set(spawn, loop);
    return spawn;
  }

  /** Names the enclosing loops bind (`for i in …`, `[… for c in …]`): a new value on every iteration. */
  private loopVariables(scope: Scope): Set<string> {
    const names: string[] = [];
    for (const loop of scope.loops) {
      const clauses = loop.type === 'for_statement' ? [loop] : loop.children.filter((c) => c.type === 'for_in_clause');
      for (const clause of clauses) {
        const left = field(clause, 'left');
        if (left) targetNames(left, names, this.text);
      }
    }
    return new Set(names);
  }

  /** `args=(account,)`: the argument is the same object for every start (not made per iteration). */
  private isSameObjectEachTime(arg: PyNode, scope: Scope): boolean {
    const ref = this.resolve(arg, scope);
    if (ref?.shared) return true;
    if (arg.type !== 'identifier') return false;
    const name = this.src(arg);
    if (name === scope.selfName) return true;
    if (!scope.names.locals.has(name)) return false;
    const loop = scope.assignedInLoop.get(name);
    // Parameters and locals assigned outside the current loop are one object for every start.
    return loop === undefined || loop === null || !scope.loops.includes(loop);
  }

  private isSuperCall(node: PyNode): boolean {
    const target = unparen(node);
    const fn = target.type === 'call' ? field(target, 'function') : undefined;
    return fn?.type === 'identifier' && this.src(fn) === 'super';
  }

  /** Function key a call or a `target=` refers to, when it can be named. */
  private calleeKey(fn: PyNode, scope: Scope): string | undefined {
    const node = unparen(fn);
    if (node.type === 'identifier') {
      const name = this.src(node);
      for (let s: Scope | null = scope; s; s = s.parent) {
        if (s.isModule) break;
        if (s.names.nestedDefs.has(name)) return `${this.module}:${s.qual}.${name}`;
        if (s.names.locals.has(name)) return undefined;
      }
      if (this.moduleDefs.has(name)) return `${this.module}:${name}`;
      if (this.classes.has(name)) return `${this.module}:${name}.__init__`;
      const imported = this.imports.get(name);
      if (imported?.includes('.')) {
        const dot = imported.lastIndexOf('.');
        return `${lastComponent(imported.slice(0, dot))}:${imported.slice(dot + 1)}`;
      }
      return undefined;
    }
    if (node.type !== 'attribute') return undefined;
    const object = field(node, 'object');
    const attr = field(node, 'attribute');
    if (!object || !attr) return undefined;
    const method = this.src(attr);
    // `super().m()`: the nearest base class's `m` (the program looks past the class itself).
    if (this.isSuperCall(object) && scope.className) return `${SUPER_PREFIX}${this.module}:${scope.className}.${method}`;
    const objName = object.type === 'identifier' ? this.src(object) : '';
    if (scope.className && (objName === scope.selfName || objName === 'cls')) return `${this.module}:${scope.className}.${method}`;
    const outerSelf = objName ? this.outerSelf(objName, scope) : undefined;
    if (outerSelf) return `${this.module}:${outerSelf}.${method}`;
    if (objName && this.classes.has(objName) && !scope.names.locals.has(objName)) return `${this.module}:${objName}.${method}`;
    if (objName && !scope.names.locals.has(objName)) {
      const imported = this.imports.get(objName);
      if (imported) return `${lastComponent(imported)}:${method}`;
    }
    const ref = this.resolve(object, scope);
    const classKey = (objName ? this.classOfLocal(objName, scope) : undefined) ??
      (ref?.kind?.startsWith('class:') ? ref.kind.slice(6) : undefined);
    if (classKey) return `${classKey}.${method}`;
    // Receiver of unknown class: `check` resolves the method if one class of this file defines it.
    return ref?.kind === undefined || ref.kind.startsWith('class:') ? `?:${method}` : undefined;
  }
}
