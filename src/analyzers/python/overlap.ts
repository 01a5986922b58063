import { visibleTo } from './evidence';
import { SINGLE_WORKER_POOL } from './kinds';
import type { FunctionInfo, Program } from './program';
import type { ExecutionContext, Roots } from './roots';
import { joins } from './summary';

/** The `run()` of a `Thread` subclass, as its design root. */
function isThreadRun(context: ExecutionContext): boolean {
  return context.kind === 'thread' && context.root?.kind === 'thread-class';
}

/**
 * Which contexts can run at the same time, and which objects they share: a context overlaps
 * itself when it is started many times (or is the callers of a thread-safe class), a spawned
 * context overlaps the code that started it until a join, and two contexts overlap unless both
 * are started and joined one after the other by code on the main thread.
 */
export class Overlap {
  private readonly sharedSelfReach = new Map<string, Set<string>>();

  constructor(
    private readonly program: Program,
    private readonly roots: Roots,
  ) {}

  concurrent(a: string, b: string, viaSelf: boolean): boolean {
    const ca = this.roots.context(a);
    const cb = this.roots.context(b);
    if (!ca || !cb) return false;
    const pa = this.roots.isParentContext(a);
    const pb = this.roots.isParentContext(b);
    if (viaSelf && (!ca.selfShared || !cb.selfShared)) return false;
    if (this.oneAfterAnother(ca, cb)) return false;
    // Exit handlers run one after another, after the non-daemon threads are joined: only
    // threads still running (daemons) overlap them, not the callers of a class nor each other,
    // nor one handler registered many times itself.
    if (a === b) return !pa && ca.many && ca.kind !== 'atexit';
    if (pa && pb) return false;
    // A signal handler that ends the program interrupts the code that installed it for good:
    // that code never goes on with what it had checked or was iterating.
    if (pa || pb) return ca === cb && !(ca.spawn.kind === 'signal' && ca.target.neverReturns === true);
    if ((ca.kind === 'atexit' && (cb.kind === 'api' || cb.kind === 'atexit')) || (cb.kind === 'atexit' && ca.kind === 'api')) return false;
    const related = this.relatedClasses(ca, cb);
    // Two sibling classes never share one object; a class and its subclass have one set of callers.
    if (viaSelf && related === false) return false;
    // A `Thread` object runs its `run()` once: the `run` of a class and of its subclass are two
    // objects' threads, each with its own fields.
    if (viaSelf && isThreadRun(ca) && isThreadRun(cb)) return false;
    // A method bound to a local of the starting function (a server a test makes) runs on an object
    // that function holds: not another function's, nor one the class's other callers reach.
    if (viaSelf && ((ca.spawn.localReceiver && (cb.root || cb.spawner !== ca.spawner)) || (cb.spawn.localReceiver && (ca.root || ca.spawner !== cb.spawner)))) return false;
    if (related === true && ca.kind === 'api' && cb.kind === 'api') return ca.many && cb.many;
    return !this.sequential(ca, cb);
  }

  /** Tasks of one single-worker executor run one after another (a task with itself included). */
  private oneAfterAnother(a: ExecutionContext, b: ExecutionContext): boolean {
    const executor = a.spawn.executor;
    return executor !== undefined && executor === b.spawn.executor && this.program.kindOf(executor) === SINGLE_WORKER_POOL;
  }

  /** Whether the two contexts' `self` classes can be one object's: undefined when either is unknown. */
  private relatedClasses(a: ExecutionContext, b: ExecutionContext): boolean | undefined {
    if (!a.selfClass || !b.selfClass) return undefined;
    return this.program.ancestors(a.selfClass).includes(b.selfClass) || this.program.ancestors(b.selfClass).includes(a.selfClass);
  }

  /**
   * Functions whose `self` is an object other contexts can see, under one context: the target
   * when it is a bound method of one object, or started with shared arguments; methods called
   * on shared state (a global, a field, a captured local); and `self.m()` calls from those.
   * Objects a context creates for itself stay per-call, so their `self.x` accesses never race.
   */
  sharesSelf(id: string, fn: FunctionInfo): boolean {
    const context = this.roots.context(id);
    if (!context) return false;
    if (this.roots.isParentContext(id)) return true;
    let shared = this.sharedSelfReach.get(context.id);
    if (!shared) {
      shared = this.computeSharedSelf(context);
      this.sharedSelfReach.set(context.id, shared);
    }
    return shared.has(fn.key);
  }

  private computeSharedSelf(context: ExecutionContext): Set<string> {
    const shared = new Set<string>();
    const queue: [FunctionInfo, boolean][] = [];
    const seen = new Set<string>();
    for (const start of context.entries) {
      const startShared = context.selfShared &&
        (context.root !== undefined || start.className !== undefined || start.name.includes('<lambda>') || context.spawn.sharesArgs === true);
      queue.push([start, startShared]);
      seen.add(`${start.key}|${startShared}`);
    }
    const enqueue = (callee: FunctionInfo, next: boolean) => {
      const mark = `${callee.key}|${next}`;
      if (!seen.has(mark)) {
        seen.add(mark);
        queue.push([callee, next]);
      }
    };
    for (let i = 0; i < queue.length; i++) {
      const [current, selfShared] = queue[i]!;
      if (selfShared) shared.add(current.key);
      for (const call of current.calls) {
        for (const callee of this.program.callTargets(call, current)) {
          if (callee === current || (!current.isAsync && callee.isAsync)) continue;
          // A local of an enclosing function is one object per call of that function: shared
          // only when this context was started by it (its closure), not made by each run.
          const captured = call.capturedReceiver !== undefined && visibleTo(this.program, call.capturedReceiver)(context.id);
          enqueue(callee, call.sharedReceiver === true || captured || (selfShared && (call.sameInstance || call.paramReceiver === true)) || (!callee.className && selfShared));
        }
      }
      // A table of the object's own methods it reads: it calls them on this same `self`.
      const selfClass = selfShared ? this.program.classOf(current) : undefined;
      for (const callee of selfClass ? this.program.tableMethods(current, this.program.ancestors(selfClass)) : []) enqueue(callee, true);
    }
    return shared;
  }

  /** Line of the first join of the context in its spawner after the start, if any. */
  private joinLine(context: ExecutionContext): number | undefined {
    const spawn = context.spawn;
    let best: number | undefined;
    for (const join of context.spawner.joins) {
      if (!joins(join, spawn)) continue;
      if (join.span.line >= spawn.span.line && (best === undefined || join.span.line < best)) best = join.span.line;
    }
    return best;
  }

  /**
   * Both contexts are joined by spawners that run on the main thread: in one spawner they
   * overlap only if their start-to-join windows do; in two spawners, only if the spawners do.
   */
  private sequential(a: ExecutionContext, b: ExecutionContext): boolean {
    if (a.many || b.many || a.root || b.root) return false;
    const joinA = this.joinLine(a);
    const joinB = this.joinLine(b);
    if (joinA === undefined || joinB === undefined) return false;
    const onMain = (fn: FunctionInfo) => this.roots.reaching(fn).length === 0;
    if (!onMain(a.spawner) || !onMain(b.spawner)) return false;
    if (a.spawner !== b.spawner) return true;
    return joinA < b.spawn.span.line || joinB < a.spawn.span.line;
  }
}
