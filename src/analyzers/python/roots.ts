import type { ClassInfo, FunctionInfo, Program } from './program';
import { isThreadingLockKind } from './kinds';
import { guardsKey } from './param-guards';
import { joins, type CallSite, type ParamGuard, type Span, type Spawn, type SpawnKind } from './summary';

/** `api`: the callers of a class or module designed for threads (its public functions). */
export type ContextKind = SpawnKind | 'api';

export type DesignRootKind =
  /** The class owns a threading lock or takes a module lock: its public methods run concurrently. */
  | 'locked-class'
  /** The class starts a thread or timer (or is a `Thread`): the thread runs next to its public methods. */
  | 'thread-class'
  /** Public coroutines of a class: each caller's task runs them concurrently. */
  | 'async-class'
  /** The module's functions take a module-level lock: its public functions run concurrently. */
  | 'locked-module'
  /** Public coroutines of a module. */
  | 'module-coroutines'
  /** `socketserver`/`http.server` request handlers, WSGI and ASGI applications. */
  | 'request-handler'
  /** `__del__`: the garbage collector runs it on whichever thread allocates. */
  | 'finalizer'
  /** The objects record the thread they belong to: one per thread, so what they share crosses threads. */
  | 'thread-affine';

/** Why a context exists when nothing in the code starts it: the code's own design. */
export interface DesignRoot {
  kind: DesignRootKind;
  /** `Pool`, or the module name: whose callers are concurrent. */
  owner: string;
  /** Where the evidence is (the lock taken, the thread started, the asyncio object made). */
  file: string;
  span: Span;
  /** The evidence in a few words, for related information: "`Pool` takes `self._lock`". */
  evidence: string;
  /** Strong evidence reports at the rule's level; a public coroutine and nothing more, at `information`. */
  strong: boolean;
}

/**
 * One place where concurrent execution starts: a thread, pool task, process, asyncio task or
 * callback started in code, or the callers of a class or module that is concurrent by design.
 * `<after><id>` stands for the spawning code that keeps running after a start.
 */
export interface ExecutionContext {
  id: string;
  kind: ContextKind;
  /** The start in code; for a design root, a start at the evidence with the root's kind and multiplicity. */
  spawn: Spawn;
  spawner: FunctionInfo;
  /** The entry point (the first entry of a design root). */
  target: FunctionInfo;
  entries: FunctionInfo[];
  /** Concurrent with itself: started in a loop, by a pool `map`, twice, or callers of a thread-safe class. */
  many: boolean;
  selfShared: boolean;
  /** The class of the object `self` is in the entries (a design root's class, a bound method's class). */
  selfClass?: ClassInfo;
  root?: DesignRoot;
}

/**
 * Marks a context id as the spawning code after a start. No function key may begin with it:
 * keys begin with a module name, and a module whose name the run has twice is keyed
 * `<name>@<path>`, so a marker such as `main@` would take a `main.py`'s contexts for windows.
 */
const PARENT_PREFIX = '<after>';

/** asyncio objects that coordinate several tasks (a future alone may have one waiter). */
const ASYNC_SYNC_KINDS = new Set(['aio.Lock', 'aio.Event', 'aio.Condition', 'aio.Queue']);

/** Starts that run the class's own code on another thread. */
const OWN_THREAD_KINDS = new Set<SpawnKind>(['thread', 'timer', 'thread-pool', 'to-thread']);

/** Context-manager and awaitable protocol methods: one use of one object, not concurrent callers. */
const LIFECYCLE_DUNDERS = new Set(['__aenter__', '__aexit__', '__await__', '__exit__']);

/** Test-runner hooks: the runner calls them one at a time. */
const TEST_HOOKS = /^(setUp|tearDown|setUpClass|tearDownClass|setup_method|teardown_method|setup_class|teardown_class)$/;

const REQUEST_HANDLER_BASES = /(^|\.)(BaseRequestHandler|StreamRequestHandler|DatagramRequestHandler|BaseHTTPRequestHandler|SimpleHTTPRequestHandler|CGIHTTPRequestHandler)$/;
const REQUEST_HANDLER_METHODS = /^(handle|setup|finish|do_[A-Z]+)$/;

function methodName(fn: FunctionInfo): string {
  return fn.name.slice(fn.name.lastIndexOf('.') + 1);
}

/**
 * The data model's methods that the object's users reach through syntax or builtins while it is
 * shared (`obj[k]`, `len(obj)`, `for x in obj`, operators). Construction, pickling, copying and
 * `repr` are not among them, and a dunder outside the data model (`__keys__`) is only a name:
 * nothing calls it but the calls the call graph sees.
 */
const OPERATORS = 'add|sub|mul|matmul|truediv|floordiv|mod|divmod|pow|lshift|rshift|and|xor|or';
const DATA_MODEL_DUNDER = new RegExp(
  '^__(' +
    'call|iter|next|aiter|anext|await|len|length_hint|contains|getitem|setitem|delitem|missing|reversed|' +
    'getattr|getattribute|setattr|delattr|dir|get|set|delete|bool|index|int|float|complex|round|trunc|floor|ceil|bytes|fspath|' +
    'eq|ne|lt|le|gt|ge|neg|pos|abs|invert|exit|aenter|aexit|instancecheck|subclasscheck|buffer|release_buffer|' +
    `(?:[ir])?(?:${OPERATORS})` +
    ')__$',
);

export function isPublicName(name: string): boolean {
  if (/^__\w+__$/.test(name)) return DATA_MODEL_DUNDER.test(name);
  return !name.startsWith('_') && !TEST_HOOKS.test(name);
}

/**
 * Every context of the run and the functions each one reaches. Two sources: starts written in
 * the code (rules.md principle 2, "started here"), and designs that imply callers on several
 * threads or tasks ("declared by design"): classes that own a lock, start a thread or have
 * public coroutines; modules that take a module lock or export coroutines; request handlers,
 * WSGI/ASGI applications and finalizers.
 */
export class Roots {
  readonly contexts = new Map<string, ExecutionContext>();
  /** Function key → context ids (spawned contexts, design roots and `<after>` windows) that run it. */
  private readonly reach = new Map<string, Set<string>>();
  private readonly bySpawner = new Map<string, ExecutionContext[]>();
  private passingCalls: Map<string, CallSite[]> | undefined;
  private callers: Map<string, FunctionInfo[]> | undefined;
  /** Functions that run while a request is served: what WSGI and ASGI applications reach. */
  private servingRequests: Set<string> | undefined;
  /** Class key → the functions that make an instance of it (`Checker(app, environ)`). */
  private makersByClass: Map<string, FunctionInfo[]> | undefined;
  private threadTargetSet: Set<FunctionInfo> | undefined;
  private readonly guardedReach = new Map<string, Set<string>>();

  /** Classes that own an instance lock: thread-safe by design, and so is state kept in them. */
  readonly threadSafeClasses = new Set<string>();

  constructor(private readonly program: Program) {
    for (const fn of program.functions.values()) {
      this.spawnedContexts(fn);
      if (fn.handler) this.decoratedHandler(fn);
    }
    for (const info of program.classes.values()) if (this.lockEvidence(info)?.instance) this.threadSafeClasses.add(info.key);
    for (const info of program.classes.values()) this.classRoots(info);
    this.moduleRoots();
    this.inheritMultiplicity();
  }

  /**
   * A start inside code that runs many times at once (a request handler, a thread started in a
   * loop, a pool task) happens many times at once too. The callers a design implies are not
   * reason enough: a class that owns a lock still starts its own thread once.
   */
  private inheritMultiplicity(): void {
    for (let pass = 0; pass < 4; pass++) {
      let changed = false;
      for (const context of this.contexts.values()) {
        if (context.many || context.root) continue;
        const runsMany = this.reaching(context.spawner).some((id) => {
          const outer = this.contexts.get(id);
          return outer !== undefined && outer.many && (!outer.root || outer.root.kind === 'request-handler');
        });
        if (runsMany) {
          context.many = true;
          changed = true;
        }
      }
      if (!changed) break;
    }
  }

  // ---------------------------------------------------------------- started in code

  /** Entry points a spawn starts: its target, or what each caller passes for `targetParam`. */
  private spawnTargets(fn: FunctionInfo, spawn: Spawn): FunctionInfo[] {
    if (spawn.targetParam === undefined) {
      const target = this.program.resolveFunction(spawn.target);
      return target ? [target] : [];
    }
    const out: FunctionInfo[] = [];
    for (const call of this.callSitesPassingFunctions().get(fn.key) ?? []) {
      // Methods are called bound: the first parameter (`self`) is not among the arguments.
      const passed = call.argFunctions?.[spawn.targetParam - (fn.className ? 1 : 0)];
      const target = passed ? this.program.resolveFunction(passed) : undefined;
      if (target && !out.includes(target)) out.push(target);
    }
    return out;
  }

  /** Callee key → call sites that pass functions as arguments. */
  private callSitesPassingFunctions(): Map<string, CallSite[]> {
    if (!this.passingCalls) {
      this.passingCalls = new Map();
      for (const caller of this.program.functions.values()) {
        for (const call of caller.calls) {
          if (!call.argFunctions) continue;
          const callee = this.program.resolveFunction(call.callee);
          if (!callee) continue;
          const list = this.passingCalls.get(callee.key) ?? [];
          list.push(call);
          this.passingCalls.set(callee.key, list);
        }
      }
    }
    return this.passingCalls;
  }

  private spawnedContexts(fn: FunctionInfo): void {
    fn.spawns.forEach((spawn, index) => {
      this.spawnTargets(fn, spawn).forEach((target, n) => {
        const id = n === 0 ? `${fn.key}#${index}` : `${fn.key}#${index}.${n}`;
        const context: ExecutionContext = {
          id, kind: spawn.kind, spawn, spawner: fn, target, entries: [target], many: spawn.many, selfShared: spawn.selfShared,
        };
        this.add(context);
        for (const callee of this.windowCallees(fn, context)) this.addReach(callee.key, PARENT_PREFIX + id);
      });
    });
  }

  private decoratedHandler(fn: FunctionInfo): void {
    this.add({
      id: `${fn.key}#handler`,
      kind: 'task',
      spawn: { kind: 'task', target: fn.key, span: fn.span, many: true, selfShared: true, argKinds: [] },
      spawner: fn,
      target: fn,
      entries: [fn],
      many: true,
      selfShared: true,
    });
  }

  private add(context: ExecutionContext, selfClass = this.program.classOf(context.target)): void {
    context.selfClass = selfClass;
    this.contexts.set(context.id, context);
    for (const fn of this.program.reachableAs(context.entries, selfClass)) this.addReach(fn.key, context.id);
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
      for (const callee of this.program.callTargets(call, spawner)) {
        if (callee !== spawner && !starts.includes(callee)) starts.push(callee);
      }
    }
    return starts.length === 0 ? [] : this.program.reachableFrom(starts);
  }

  // ---------------------------------------------------------------- declared by design

  private classRoots(info: ClassInfo): void {
    if (this.isDrivenByTestRunner(info)) return;
    const lock = this.lockEvidence(info) ?? this.delegateEvidence(info);
    const thread = this.threadEvidence(info);
    const publicMethods = this.publicMethods(info, new Set(thread?.starters ?? []));
    if (lock || thread) {
      const evidence = lock ?? thread!;
      // The class's own threads run its starters' targets (a subclass's too: `Thread(target=self.run)`
      // in a client class runs the base's `run`); its users call the rest.
      const starters = new Set(thread?.starters ?? []);
      const family = [...this.program.ancestors(info), ...this.program.descendants(info)];
      const ownTargets = new Set(family.flatMap((c) => [...c.methods.values()]).flatMap((m) => m.spawns).map((s) => s.target));
      // A public method the class's own thread drives (`loop_forever()` → `loop()`, `run()` →
      // `once()`, a `Thread` subclass's `run()` → `pick_port()`) is the thread's: a user calls
      // it instead of starting the thread, or to set it up before, not beside it.
      const driven = this.drivenBy(info, new Set([...ownTargets, thread?.runMethod?.key]));
      const entries = publicMethods.filter((m) => !starters.has(m) && !ownTargets.has(m.key) && !driven.has(m));
      // A class-level or module lock guards what every instance shares; the instances need not be shared.
      const selfShared = thread !== undefined || lock?.instance === true;
      if (entries.length > 0) {
        this.addDesignRoot(`api@${info.key}`, 'api', entries, lock !== undefined, selfShared, info, {
          kind: lock ? 'locked-class' : 'thread-class', owner: info.name, file: evidence.fn.file, span: evidence.span, evidence: evidence.text, strong: true,
        });
      }
    }
    if (thread?.runMethod) {
      const run = thread.runMethod;
      this.addDesignRoot(`run@${info.key}`, 'thread', [run], false, true, info, {
        kind: 'thread-class', owner: info.name, file: run.file, span: run.span, evidence: `\`${info.name}\` is a thread; \`run\` runs on it`, strong: true,
      });
    }
    const loopEvidence = this.asyncEvidence(info);
    // Coroutines the class runs as its own tasks are driven by it, not by concurrent callers;
    // with clear evidence, coroutines nothing in the run calls are called from outside it.
    const ownTasks = new Set(this.program.ancestors(info).flatMap((c) => [...c.methods.values()]).flatMap((m) => m.spawns)
      .filter((s) => s.kind === 'task' || s.kind === 'loop-callback').map((s) => s.target));
    // `async with obj:` enters and leaves one object per use: a lifecycle, not concurrent calls.
    const coroutines = [...new Set([...publicMethods, ...(loopEvidence ? this.uncalledMethods(info) : [])])]
      .filter((m) => m.isAsync && !m.constructor && !ownTasks.has(m.key) && !LIFECYCLE_DUNDERS.has(methodName(m)));
    if (coroutines.length > 0) {
      this.addDesignRoot(`aio@${info.key}`, 'task', coroutines, true, true, info, {
        kind: 'async-class',
        owner: info.name,
        file: loopEvidence?.file ?? coroutines[0]!.file,
        span: loopEvidence?.span ?? coroutines[0]!.span,
        evidence: loopEvidence?.text ?? `\`${methodName(coroutines[0]!)}\` is a public coroutine of \`${info.name}\``,
        strong: loopEvidence !== undefined,
      });
    }
    // A handler next to servers that all fork serves each request in a child process: module and
    // class state are that child's copy.
    if (this.program.writtenAncestry(info).some((b) => REQUEST_HANDLER_BASES.test(b)) && !this.program.forkingServerFiles.has(info.file)) {
      const handlers = [...info.methods.values()].filter((m) => REQUEST_HANDLER_METHODS.test(methodName(m)));
      if (handlers.length > 0) {
        // One handler object per request: its own fields are not shared, class and module state is.
        this.addDesignRoot(`handler@${info.key}`, 'api', handlers, true, false, info, {
          kind: 'request-handler', owner: info.name, file: info.file, span: handlers[0]!.span,
          evidence: `\`${info.name}\` handles requests`, strong: this.program.threadingServerFiles.size > 0,
        });
      }
    }
    const affine = this.program.ancestors(info).find((c) => this.program.threadAffineClasses.has(c.key));
    if (affine && publicMethods.length > 0) {
      // Each object stays on its thread: its own fields are not shared, class and module state is.
      this.addDesignRoot(`affine@${info.key}`, 'api', publicMethods, true, false, info, {
        kind: 'thread-affine', owner: info.name, file: affine.file, span: publicMethods[0]!.span,
        evidence: `\`${affine.name}\` records the thread each object belongs to, so objects live on several threads`, strong: true,
      });
    }
    const finalizer = info.methods.get('__del__');
    if (finalizer) {
      this.addDesignRoot(`del@${info.key}`, 'finalizer', [finalizer], true, false, info, {
        kind: 'finalizer', owner: info.name, file: finalizer.file, span: finalizer.span,
        evidence: `\`${info.name}.__del__\` runs on whichever thread the garbage collector interrupts`, strong: true,
      });
    }
  }

  /** Test classes: the runner calls their methods one at a time, whatever locks they own. */
  private isDrivenByTestRunner(info: ClassInfo): boolean {
    return this.program.writtenAncestry(info).some((b) => /(^|\.)(\w*TestCase|TestBase)$/.test(b)) || /^Test[A-Z_]|Tests?$/.test(info.name.slice(info.name.lastIndexOf('.') + 1));
  }

  /**
   * Public methods of the class, its own and those it inherits from classes of the run; not the
   * hooks only its set-up calls (`on_thread_start` from `start()`, before the thread runs), nor
   * the steps of a load only the constructor runs (`__init__` → `load()` → `load_history()`).
   */
  private publicMethods(info: ClassInfo, setup: Set<FunctionInfo>): FunctionInfo[] {
    const seen = new Set<string>();
    const out: FunctionInfo[] = [];
    const ancestors = this.program.ancestors(info);
    const setupOnly = this.setupOnly(new Set(ancestors.flatMap((c) => [...c.methods.values()])), setup);
    for (const ancestor of ancestors) {
      for (const [name, fn] of ancestor.methods) {
        if (seen.has(name)) continue;
        seen.add(name);
        if (isPublicName(name) && !fn.constructor && !setupOnly(fn)) out.push(fn);
      }
    }
    return out;
  }

  /**
   * Whether every call of a method comes from a constructor (its own, or the one of the object
   * that makes it) or the class's set-up, directly or through methods of the class that only
   * those call; a method of another class in between may run at any time.
   */
  private setupOnly(own: Set<FunctionInfo>, setup: Set<FunctionInfo>): (fn: FunctionInfo) => boolean {
    const callers = this.callersByCallee();
    const decided = new Map<FunctionInfo, boolean>();
    const check = (fn: FunctionInfo): boolean => {
      const known = decided.get(fn);
      if (known !== undefined) return known;
      // A cycle of calls is not reached from set-up through this path.
      decided.set(fn, false);
      const list = callers.get(fn.key);
      const result = list !== undefined && list.length > 0 && list.every((c) => c.constructor || setup.has(c) || (own.has(c) && check(c)));
      decided.set(fn, result);
      return result;
    };
    return check;
  }

  /**
   * The class's methods its own thread targets reach through calls on `self`, or through a table
   * of its methods they read (`handler, n = self.commands[msg[1:2]]`). A method of its bases that a
   * thread anywhere in the run targets is a loop too: a sibling class's `Thread(target=self.run)`
   * drives the `run()` → `once()` → `process()` every subclass inherits.
   */
  private drivenBy(info: ClassInfo, targets: Set<string | undefined>): Set<FunctionInfo> {
    const ancestors = this.program.ancestors(info);
    const own = new Set(ancestors.flatMap((c) => [...c.methods.values()]));
    const resolved = [...targets].flatMap((key) => {
      const target = key ? this.program.resolveFunction(key) : undefined;
      return target ? [target] : [];
    });
    const queue = [...new Set([...resolved, ...this.threadTargets()])].filter((fn) => own.has(fn));
    const seen = new Set(queue);
    const visit = (callee: FunctionInfo | undefined) => {
      if (callee && own.has(callee) && !seen.has(callee)) {
        seen.add(callee);
        queue.push(callee);
      }
    };
    for (let i = 0; i < queue.length; i++) {
      const fn = queue[i]!;
      for (const call of fn.calls) {
        if (!call.sameInstance) continue;
        for (const callee of this.program.callTargets(call, fn)) visit(callee);
      }
      for (const callee of this.program.tableMethods(fn, ancestors)) visit(callee);
    }
    return seen;
  }

  /** A threading lock the class's methods take: one of its fields, a class attribute, or a module lock. */
  private lockEvidence(info: ClassInfo): { fn: FunctionInfo; span: Span; text: string; instance: boolean } | undefined {
    const mro = this.program.ancestors(info);
    let found: { fn: FunctionInfo; span: Span; text: string; instance: boolean } | undefined;
    for (const ancestor of mro) {
      for (const fn of ancestor.methods.values()) {
        if (fn.constructor) continue;
        for (const use of fn.acquires) {
          if (use.async) continue;
          const kind = this.program.kindOf(use.key);
          if (kind !== undefined && !isThreadingLockKind(kind)) continue;
          const instance = !this.program.classAttributes.has(use.key) && mro.some((c) => use.key.startsWith(`${c.key}.`));
          if (!found || (instance && !found.instance)) found = { fn, span: use.span, text: `\`${info.name}\` takes \`${use.expr}\``, instance };
          if (instance) return found;
        }
      }
    }
    return found;
  }

  /**
   * The class keeps its state in an object of a thread-safe class of the run (a locked cache or
   * pool): it is meant to be shared too, and its own steps around that object are not atomic.
   */
  private delegateEvidence(info: ClassInfo): { fn: FunctionInfo; span: Span; text: string; instance: boolean } | undefined {
    for (const ancestor of this.program.ancestors(info)) {
      for (const fn of ancestor.methods.values()) {
        for (const access of fn.accesses) {
          if (!access.viaSelf || !access.key.startsWith(`${ancestor.key}.`)) continue;
          const kind = this.program.kindOf(access.key);
          if (!kind?.startsWith('class:') || !this.threadSafeClasses.has(kind.slice(6))) continue;
          const holder = access.key.slice(access.key.lastIndexOf('.') + 1);
          return { fn, span: access.span, text: `\`${info.name}\` keeps \`${holder}\` in a thread-safe \`${kind.slice(kind.lastIndexOf(':') + 1)}\``, instance: true };
        }
      }
    }
    return undefined;
  }

  private threadEvidence(info: ClassInfo): { fn: FunctionInfo; span: Span; text: string; starters: FunctionInfo[]; runMethod?: FunctionInfo } | undefined {
    const isThread = this.program.writtenAncestry(info).some((b) => /^threading\.Thread$/.test(b));
    const mro = this.program.ancestors(info);
    const inherited = (name: string) => mro.map((c) => c.methods.get(name)).find((m) => m !== undefined);
    const runMethod = isThread ? inherited('run') : undefined;
    const starters: FunctionInfo[] = [];
    let first: { fn: FunctionInfo; span: Span; text: string } | undefined;
    for (const ancestor of this.program.ancestors(info)) {
      for (const fn of ancestor.methods.values()) {
        // Its own code on a thread: not a target its callers pass in (`run_in_executor(executor, func)` wrappers).
        const spawn = fn.spawns.find((s) => OWN_THREAD_KINDS.has(s.kind) && s.targetParam === undefined);
        if (!spawn) continue;
        starters.push(fn);
        first ??= { fn, span: spawn.span, text: `\`${info.name}.${methodName(fn)}\` starts a ${spawn.kind === 'timer' ? 'timer' : 'thread'}` };
      }
    }
    if (runMethod) {
      starters.push(runMethod, ...['start', 'join'].flatMap((n) => inherited(n) ?? []));
      first ??= { fn: runMethod, span: runMethod.span, text: `\`${info.name}\` is a thread` };
    }
    return first ? { ...first, starters, runMethod } : undefined;
  }

  /**
   * What makes a class's coroutines clearly shared by several tasks: asyncio locks, events,
   * conditions or queues among its fields, futures it stores for other tasks to resolve
   * (a waiter slot, list or map), or tasks and loop callbacks it starts itself.
   */
  private asyncEvidence(info: ClassInfo): { file: string; span: Span; text: string } | undefined {
    for (const ancestor of this.program.ancestors(info)) {
      for (const fn of ancestor.methods.values()) {
        const store = fn.futureStores[0];
        if (store) return { file: fn.file, span: store.span, text: `\`${info.name}\` keeps futures for other tasks in \`${store.key.slice(store.key.indexOf(':') + 1)}\`` };
        const lock = fn.acquires.find((a) => a.async);
        if (lock) return { file: fn.file, span: lock.span, text: `\`${info.name}\` takes the asyncio lock \`${lock.expr}\`` };
        const sync = fn.accesses.find((a) => a.viaSelf && ASYNC_SYNC_KINDS.has(this.program.kindOf(a.key) ?? ''));
        if (sync) return { file: fn.file, span: sync.span, text: `\`${info.name}\` has an asyncio ${this.program.kindOf(sync.key)!.slice(4)} in \`${sync.key.slice(sync.key.lastIndexOf('.') + 1)}\`` };
      }
    }
    return undefined;
  }

  /** Methods of the class (and its bases) that no call in the run reaches. */
  private uncalledMethods(info: ClassInfo): FunctionInfo[] {
    const callers = this.callersByCallee();
    return this.program.ancestors(info).flatMap((c) => [...c.methods.values()]).filter((m) => !callers.has(m.key));
  }

  /** The functions threads and timers of the run start (computed on first use). */
  private threadTargets(): Set<FunctionInfo> {
    if (!this.threadTargetSet) {
      this.threadTargetSet = new Set();
      for (const fn of this.program.functions.values()) {
        for (const spawn of fn.spawns) {
          const target = spawn.kind === 'thread' || spawn.kind === 'timer' ? this.program.resolveFunction(spawn.target) : undefined;
          if (target) this.threadTargetSet.add(target);
        }
      }
    }
    return this.threadTargetSet;
  }

  /** Callee key → the functions of the run that call or start it (computed on first use). */
  private callersByCallee(): Map<string, FunctionInfo[]> {
    if (!this.callers) {
      const callers = new Map<string, FunctionInfo[]>();
      const add = (key: string, fn: FunctionInfo) => {
        const list = callers.get(key) ?? [];
        if (!list.includes(fn)) list.push(fn);
        callers.set(key, list);
      };
      for (const fn of this.program.functions.values()) {
        for (const call of fn.calls) for (const callee of this.program.callTargets(call, fn)) add(callee.key, fn);
        for (const spawn of fn.spawns) add(spawn.target, fn);
      }
      this.callers = callers;
    }
    return this.callers;
  }

  private moduleRoots(): void {
    const byFile = new Map<string, FunctionInfo[]>();
    for (const fn of this.program.functions.values()) {
      if (fn.className || fn.name.includes('.') || fn.name === '<module>') continue;
      const list = byFile.get(fn.file) ?? [];
      list.push(fn);
      byFile.set(fn.file, list);
    }
    for (const [file, fns] of byFile) {
      // `test_*` functions are run one at a time by the test runner, like a TestCase's methods.
      const publicFns = fns.filter((f) => isPublicName(f.name) && !/^test_?/.test(f.name));
      const module = fns[0]!.module;
      const locking = fns.flatMap((f) => f.acquires.filter((a) => !a.async && !a.key.slice(a.key.indexOf(':') + 1).includes('.') && !a.key.includes('#') &&
        (this.program.kindOf(a.key) === undefined || isThreadingLockKind(this.program.kindOf(a.key)))).map((use) => ({ f, use })));
      if (locking.length > 0 && publicFns.length > 0) {
        const { use } = locking[0]!;
        this.addDesignRoot(`api@${file}`, 'api', publicFns, true, true, undefined, {
          kind: 'locked-module', owner: module, file, span: use.span, evidence: `module \`${module}\` takes \`${use.expr}\``, strong: true,
        });
      }
      const coroutines = publicFns.filter((f) => f.isAsync && !this.isAsgiApp(f));
      if (coroutines.length > 0) {
        this.addDesignRoot(`aio@${file}`, 'task', coroutines, true, true, undefined, {
          kind: 'module-coroutines', owner: module, file, span: coroutines[0]!.span, evidence: `\`${coroutines[0]!.name}\` is a public coroutine of \`${module}\``, strong: false,
        });
      }
    }
    const apps = [...this.program.functions.values()].filter((fn) => this.isWsgiApp(fn) || this.isAsgiApp(fn));
    for (const fn of apps) {
      const owner = this.program.classOf(fn);
      const shared = owner === undefined || !this.madePerRequest(owner, apps);
      if (this.isWsgiApp(fn)) {
        this.addDesignRoot(`wsgi@${fn.key}`, 'api', [fn], true, shared, owner, {
          kind: 'request-handler', owner: fn.name, file: fn.file, span: fn.span, evidence: `\`${fn.name}\` is a WSGI application`, strong: true,
        });
      } else {
        this.addDesignRoot(`asgi@${fn.key}`, 'task', [fn], true, shared, owner, {
          kind: 'request-handler', owner: fn.name, file: fn.file, span: fn.span, evidence: `\`${fn.name}\` is an ASGI application`, strong: true,
        });
      }
    }
  }

  private isWsgiApp(fn: FunctionInfo): boolean {
    const params = fn.className ? fn.params.slice(1) : fn.params;
    return !fn.isAsync && params.length === 2 && params[0] === 'environ' && params[1] === 'start_response';
  }

  /**
   * An application class whose every instance is made while a request is served (forwarding
   * middleware wraps the request's own environ and calls the new object): each object serves
   * the request that made it, so its fields are not shared by concurrent requests. One made at
   * start-up, at module level or by a factory no request reaches, serves them all.
   */
  private madePerRequest(owner: ClassInfo, apps: FunctionInfo[]): boolean {
    if (!this.makersByClass) {
      this.makersByClass = new Map();
      for (const fn of this.program.functions.values()) {
        for (const call of fn.calls) {
          const made = this.program.classes.has(call.callee) ? call.callee : call.callee.endsWith('.__init__') ? call.callee.slice(0, -'.__init__'.length) : undefined;
          if (made === undefined) continue;
          const list = this.makersByClass.get(made) ?? [];
          if (!list.includes(fn)) list.push(fn);
          this.makersByClass.set(made, list);
        }
      }
    }
    const makers = this.makersByClass.get(owner.key) ?? [];
    if (makers.length === 0) return false;
    this.servingRequests ??= new Set(this.program.reachableFrom(apps).map((fn) => fn.key));
    return makers.every((fn) => this.servingRequests!.has(fn.key));
  }

  private isAsgiApp(fn: FunctionInfo): boolean {
    const params = fn.className ? fn.params.slice(1) : fn.params;
    return fn.isAsync && params.length === 3 && params[0] === 'scope' && params[1] === 'receive' && params[2] === 'send';
  }

  private addDesignRoot(
    id: string,
    kind: ContextKind,
    entries: FunctionInfo[],
    many: boolean,
    selfShared: boolean,
    selfClass: ClassInfo | undefined,
    root: DesignRoot,
  ): void {
    const target = entries[0]!;
    const spawnKind: SpawnKind = kind === 'api' ? 'thread' : kind;
    this.add({
      id,
      kind,
      spawn: { kind: spawnKind, target: target.key, span: root.span, many, selfShared, argKinds: [] },
      spawner: target,
      target,
      entries,
      many,
      selfShared,
      root,
    }, selfClass);
  }

  // ---------------------------------------------------------------- queries

  /** After the spawn in the spawner, and before a join of its handle. */
  inWindow(spawner: FunctionInfo, context: ExecutionContext, line: number): boolean {
    // An exit handler runs when the program ends, long after the code that registered it.
    if (context.root || context.kind === 'atexit') return false;
    const spawn = context.spawn;
    if (line <= spawn.span.endLine || spawn.awaited) return false;
    for (const join of spawner.joins) {
      if (!joins(join, spawn)) continue;
      if (join.span.line > spawn.span.line && join.span.line < line) return false;
    }
    return true;
  }

  /** Context ids under which code of `fn` at `line` runs. */
  contextsAt(fn: FunctionInfo, line: number, filter: (c: ExecutionContext) => boolean): string[] {
    const out: string[] = [];
    const guards = this.program.guardsAt(fn, line);
    const allowed = guards.length > 0 ? this.reachUnder(fn, guards) : undefined;
    for (const id of this.reach.get(fn.key) ?? []) {
      const context = this.context(id);
      if (context && filter(context) && (!allowed || allowed.has(id))) out.push(id);
    }
    for (const context of this.spawnedBy(fn)) {
      if (filter(context) && this.inWindow(fn, context, line)) out.push(PARENT_PREFIX + context.id);
    }
    return out;
  }

  /**
   * Contexts that reach `fn` by a call able to take the branches `guards` (`if close_conn:`),
   * or run it as an entry (its callers unknown). A context whose every call into `fn` passes a
   * literal that fails a guard (`close_conn=True` for the `else`) never runs that code.
   */
  private reachUnder(fn: FunctionInfo, guards: readonly ParamGuard[]): Set<string> {
    const key = guardsKey(fn.key, guards);
    let allowed = this.guardedReach.get(key);
    if (allowed) return allowed;
    allowed = new Set();
    const sites = this.program.callersOf(fn);
    for (const id of this.reach.get(fn.key) ?? []) {
      const context = this.contexts.get(id);
      if (!context || context.entries.includes(fn)) {
        allowed.add(id);
        continue;
      }
      const inside = sites.filter(({ caller }) => context.entries.includes(caller) || this.reaches(id, caller));
      if (inside.length === 0 || inside.some(({ call }) => this.program.callTakes(call, fn, guards))) allowed.add(id);
    }
    this.guardedReach.set(key, allowed);
    return allowed;
  }

  /** Contexts started by `fn` in its code. */
  spawnedBy(fn: FunctionInfo): ExecutionContext[] {
    if (fn.spawns.length === 0) return [];
    let list = this.bySpawner.get(fn.key);
    if (!list) {
      list = [...this.contexts.values()].filter((c) => c.spawner === fn && !c.root);
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

  /** Some code of `fn` runs while a context it (or a caller) started may still run. */
  hasWindows(fn: FunctionInfo): boolean {
    return this.spawnedBy(fn).length > 0 || [...(this.reach.get(fn.key) ?? [])].some((id) => id.startsWith(PARENT_PREFIX));
  }

  /** Context `id` (not a window) reaches `fn`. */
  reaches(id: string, fn: FunctionInfo): boolean {
    return this.reach.get(fn.key)?.has(id) === true;
  }

  /** Contexts (not windows) that reach `fn`. */
  reaching(fn: FunctionInfo): string[] {
    return [...(this.reach.get(fn.key) ?? [])].filter((id) => !id.startsWith(PARENT_PREFIX));
  }

  /** The entry of a context through which it reaches `fn` (`fn` itself when it is one). */
  entryReaching(context: ExecutionContext, fn: FunctionInfo): FunctionInfo {
    if (context.entries.length === 1 || context.entries.includes(fn)) return context.entries.includes(fn) ? fn : context.target;
    return context.entries.find((e) => this.program.reachable(e).includes(fn)) ?? context.target;
  }
}
