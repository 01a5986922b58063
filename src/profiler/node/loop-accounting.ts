/**
 * Which task the event loop is running, for `async` runs where many tasks interleave on one
 * thread: each task runs in its own AsyncLocalStorage context, and async_hooks' before/after
 * around every callback (timers, I/O, promise continuations) bill the time between them to
 * the task whose context it is. Callbacks nest (a timer resolving a promise whose
 * continuation runs inside it), so a stack keeps each one's exclusive time. Hooks are on only
 * during an `async` run: they cost every promise a little. The total billed to all tasks
 * gives both the run's loop-busy time and, read at a task's start and end, how long the loop
 * ran other tasks' callbacks while that task was in flight (as Python's async kind measures).
 */
import { AsyncLocalStorage, createHook, type AsyncHook } from 'node:async_hooks';
import { nowNs } from './thread-probe';

export interface LoopAccount {
  onLoopNs: number;
}

interface Frame {
  account: LoopAccount | undefined;
  since: number;
}

export class LoopAccounting {
  private readonly storage = new AsyncLocalStorage<LoopAccount>();
  private readonly stack: Frame[] = [];
  private readonly hook: AsyncHook;
  /** Time billed to any task since this accounting was made. */
  billedNs = 0;

  constructor() {
    this.hook = createHook({ before: () => this.enter(this.storage.getStore()), after: () => this.leave() });
  }

  enable(): void {
    this.hook.enable();
  }

  disable(): void {
    this.hook.disable();
    this.stack.length = 0;
  }

  /** Calls `fn` in the task's context, billing its synchronous part too. */
  run<T>(account: LoopAccount, fn: () => T): T {
    return this.storage.run(account, () => {
      this.enter(account);
      try {
        return fn();
      } finally {
        this.leave();
      }
    });
  }

  private enter(account: LoopAccount | undefined): void {
    const now = nowNs();
    const top = this.stack[this.stack.length - 1];
    if (top?.account) this.bill(top.account, now - top.since);
    this.stack.push({ account, since: now });
  }

  private leave(): void {
    const now = nowNs();
    const top = this.stack.pop();
    if (top?.account) this.bill(top.account, now - top.since);
    const outer = this.stack[this.stack.length - 1];
    if (outer) outer.since = now;
  }

  private bill(account: LoopAccount, ns: number): void {
    account.onLoopNs += ns;
    this.billedNs += ns;
  }
}
