import ts from 'typescript';
import type { AsyncReporter } from './async-reports';
import type { FlowContext, FlowView } from './async-flow';
import { Reads, isClearingWrite, lastProperty, replaces, type Access, type Guard } from './flow-state';
import { CLOSERS, TRACKER_REMOVALS, type ClosingFlag } from './lifecycle';
import { enclosingOwner } from './call-targets';
import { calleeName, isFunctionNode, memberName, ownerOf, stripParens, walkIteratively, walkSubtree } from './syntax';

/**
 * The rules over the flow walk (rules.md, principles 4 and 7): a write or an act in a later turn
 * than the check or the read it depends on, unless something in the code refutes the race.
 */

const STORE_WRITES = /^(set|put|write|save|update|updateOne|setItem|hset|store|upsert)$/;
/**
 * Calls that add to an object's state: enqueue a waiter, push a row into a stream, register an
 * entry. After `close()` these hand work to an object that will never serve it; reading,
 * reporting and cleaning up a closed object are harmless and are not acts.
 */
const ADDING_ACTS = new Set(['push', 'unshift', 'add', 'set', 'write', 'send', 'enqueue']);
/** What a callback calls when it only reports that something went wrong. */
const FAILURE_ACTS = /error|fail|reject|abort/i;
/** Operations that give every caller the same answer and leave nothing behind: memoising them twice costs time, not correctness. */
const IDEMPOTENT_READS =
  /^(read|realpath|l?stat|access|exists|pathExists|import|require|compile|parse|hash|digest|compute|calculate|measure|detect|check|get(Current|Version|Info|Config|Options|Settings|Metadata|Schema|Database|Name|Type|Status|Platform|Capabilities|Features)|describe)/i;

function insideCatch(node: ts.Node, fn: ts.Node): boolean {
  for (let current: ts.Node | undefined = node.parent; current && current !== fn; current = current.parent) {
    if (ts.isCatchClause(current)) return true;
  }
  return false;
}

/** `x = await ready` where `ready` is an already-started promise: every run gets the same value. */
function awaitsSharedPromise(node: ts.Node): boolean {
  const value = ts.isBinaryExpression(node) ? node.right : ts.isCallExpression(node) ? node.arguments[1] : undefined;
  if (!value) return false;
  const awaited = stripParens(value);
  if (!ts.isAwaitExpression(awaited)) return false;
  const operand = stripParens(awaited.expression);
  return ts.isIdentifier(operand) || ts.isPropertyAccessExpression(operand) || ts.isElementAccessExpression(operand);
}

/** The operation a suspension waits for: `await fs.readFile(p)` → `readFile`, a callback of `stat(p, cb)` → `stat`. */
function suspendedOn(node: ts.Node, callbackOf: ts.CallExpression | undefined): string | undefined {
  let call: ts.Expression | undefined = callbackOf;
  if (!call && ts.isAwaitExpression(node)) call = stripParens(node.expression);
  // `load().then(cb)`: the callback waits for `load`; `Promise.resolve().then(() => require(m))` is a dynamic import.
  while (call && ts.isCallExpression(call) && ['then', 'catch', 'finally'].includes(calleeName(call) ?? '')) {
    const receiver = ts.isPropertyAccessExpression(stripParens(call.expression)) ? stripParens((stripParens(call.expression) as ts.PropertyAccessExpression).expression) : undefined;
    if (!receiver || !ts.isCallExpression(receiver)) break;
    if (/^Promise\.resolve$/.test(receiver.expression.getText()) && /\b(require|import)\(/.test(call.arguments[0]?.getText() ?? '')) return 'import';
    call = receiver;
  }
  if (!call || !ts.isCallExpression(call)) return undefined;
  return call.expression.kind === ts.SyntaxKind.ImportKeyword ? 'import' : calleeName(call);
}

function isLiteralValue(node: ts.Node): boolean {
  if (!ts.isBinaryExpression(node)) return false;
  const value = stripParens(node.right);
  return ts.isLiteralExpression(value) || value.kind === ts.SyntaxKind.TrueKeyword || value.kind === ts.SyntaxKind.FalseKeyword;
}

export class FlowRules {
  private readonly actsReported = new Set<number>();
  private releasedIn: number | undefined;
  /** Collections this run registered its work in before suspending. */
  private readonly registeredIn = new Set<string>();
  /** Closing flags this run raised itself, by turn: acting after raising it is its own shutdown. */
  private readonly raisedIn = new Set<string>();
  /** The class whose instance `this` is in the function (closing flags belong to one class). */
  private readonly owner: ts.ClassLikeDeclaration | string | undefined;
  private readonly windowsReported = new Set<ts.Node | undefined>();

  constructor(
    private readonly context: FlowContext,
    private readonly report: AsyncReporter,
    private readonly view: FlowView & { exclusiveFlag: string | undefined; exclusiveBy: Guard | undefined },
  ) {
    this.owner = ownerOf(context.fn) ?? enclosingOwner(context.fn);
  }

  write(key: string, node: ts.Node, value: Reads, target: ts.Node): void {
    const view = this.view;
    const epoch = view.epoch;
    for (const guard of view.guards) {
      if (!guard.reads.shared.some((r) => replaces(key, r.key) && r.epoch === epoch)) continue;
      guard.claimed.add(key);
      if ((guard.earlyExit || guard.branch) && !isClearingWrite(node)) {
        view.exclusiveFlag = key;
        view.exclusiveBy = guard;
      }
    }
    if (view.exclusiveFlag !== undefined) {
      if (key === view.exclusiveFlag && isClearingWrite(node)) {
        view.exclusiveFlag = undefined;
        // Released, but the rest of this turn still runs before any other run gets in.
        this.releasedIn = epoch;
      }
      return;
    }
    if (this.releasedIn === epoch) return;
    const property = lastProperty(key);
    if (property && !isClearingWrite(node) && this.closingFlagOf(key)) this.raisedIn.add(`${epoch}:${property}`);
    // Resetting state loses no other run's value and is not the act of a check-then-act. A helper
    // followed only for its lifecycle checks is judged on its own for races.
    if (this.context.evidence.length === 0 || isClearingWrite(node) || view.revalidated || view.inHelper) return;
    const taint = view.taintOf(value);
    // `this.n = this.n + k`: the write builds on the value of this turn, so nothing read earlier is lost.
    if (taint.shared.some((r) => replaces(key, r.key) && r.epoch === epoch && readsDirectly(r, key))) return;
    const stale = taint.shared.find((r) => replaces(key, r.key) && !r.element && view.isStale(r.epoch));
    if (stale && !restoresSnapshot(node, key, value, view)) return this.report.lostUpdate(node, target, stale.node, view.suspensionAfter(stale.epoch));
    if (stale) return;
    // Recording a failure in a catch block, or storing the result of a promise every run shares
    // (`x = await sharedPromise`), does not act on a stale check either.
    if (insideCatch(node, this.context.fn) || awaitsSharedPromise(node)) return;
    for (let i = view.guards.length - 1; i >= 0; i--) {
      const guard = view.guards[i];
      const check = guard.reads.shared.find((r) => replaces(key, r.key));
      if (!check || guard.loop) continue;
      if (view.isStale(check.epoch) && !guard.claimed.has(key)) this.checkThenAct(node, target, check, guard);
      return;
    }
    for (const guard of view.guards) {
      for (const local of guard.reads.locals) {
        const snapshot = view.taintOfLocal(local)?.shared.find((r) => replaces(key, r.key) && view.isStale(r.epoch));
        if (!snapshot || guard.claimed.has(key)) continue;
        // A snapshot tested before the await is a plain check-then-act; tested after it, a stale decision.
        const suspension = view.suspensionAfter(snapshot.epoch);
        if (guard.epoch !== snapshot.epoch) return this.report.staleSnapshot(node, target, local, snapshot.node, guard.test, suspension);
        return this.checkThenAct(node, target, snapshot, guard);
      }
    }
  }

  private checkThenAct(node: ts.Node, target: ts.Node, check: Access, guard: Guard): void {
    const suspension = this.view.suspensionAfter(check.epoch);
    // Several writes after one suspension are one race window: the first names it.
    if (this.windowsReported.has(suspension?.node)) return;
    this.windowsReported.add(suspension?.node);
    const idempotent = !isLiteralValue(node) && suspension !== undefined && IDEMPOTENT_READS.test(suspendedOn(suspension.node, suspension.callbackOf) ?? '');
    this.report.checkThenAct(node, target, check.node, guard.test, suspension, idempotent);
  }

  resourceAct(node: ts.CallExpression, name: string, subject: ts.Expression): void {
    const view = this.view;
    if (view.exclusiveFlag !== undefined) return;
    const subjectText = subject.getText(this.context.sourceFile);
    for (const guard of view.guards) {
      const check = guard.reads.checks.find((c) => c.subject === subjectText && view.isStale(c.epoch));
      if (!check) continue;
      const local = stripParens(subject);
      this.report.externalCheckThenAct(node, name, subjectText, check.name, check.node, ts.isIdentifier(local) && this.context.scope.declaredIn(this.context.fn).has(local.text));
      return;
    }
  }

  storeWrite(node: ts.CallExpression, name: string, receiver: ts.Expression, argumentReads: Reads): void {
    if (!STORE_WRITES.test(name)) return;
    const kinds = new Set(this.context.evidence.map((e) => e.kind));
    if (this.view.exclusiveFlag !== undefined || (!kinds.has('handler') && !kinds.has('timer') && !kinds.has('fan-out'))) return;
    const receiverText = receiver.getText(this.context.sourceFile);
    const fetched = this.view.taintOf(argumentReads).external.find((e) => e.receiver === receiverText);
    if (fetched) this.report.storeReadModifyWrite(node, `${receiverText}.${name}`, fetched.node);
  }

  /** A method called on shared state: an act on the object, and maybe the release of tracked work. */
  callOnShared(node: ts.CallExpression, name: string, receiverKey: string): void {
    if (TRACKER_REMOVALS.has(name) && name !== 'pop' && name !== 'shift') this.trackerRemoval(node, receiverKey);
    if (!ADDING_ACTS.has(name) || !isObjectState(receiverKey)) return;
    // Work registered in the first turn (`this.used.push(x)`), before anything could close the object.
    if (this.view.epoch === 0) this.registeredIn.add(lastProperty(receiverKey) ?? receiverKey);
    this.actAfterClose(node);
  }

  /**
   * JS-ASYNC-009: work tracked in `this.pending` (added to, removed from, tested for "nothing
   * left") is removed in the same turn that started a callback: a completion check can see
   * nothing pending while the callback still has its work to do.
   */
  trackerRemoval(node: ts.Node, key: string): void {
    const property = lastProperty(key);
    const completion = property ? this.context.lifecycle.trackers.get(property) : undefined;
    const started = this.view.pendingCallback();
    if (!completion || !started || !continuesWork(started)) return;
    this.report.pendingWorkReleased(node, key, started, completion);
  }

  /** A closing flag is tested among the checks in force (the walk then follows same-object helpers). */
  lifecycleCheckInForce(): boolean {
    return this.view.guards.some((g) => g.reads.shared.some((r) => this.closingFlagOf(r.key) !== undefined));
  }

  /**
   * `if (generation !== this.generation) return;` after a suspension: a token taken before it is
   * compared with the state now, so this run goes on only if no other run got in between.
   */
  isTokenRecheck(guard: Guard): boolean {
    const view = this.view;
    if (view.epoch === 0) return false;
    const fresh = guard.reads.shared.filter((r) => r.epoch === view.epoch);
    if (fresh.length === 0) return false;
    let found = false;
    walkSubtree(guard.test, (node) => {
      if (found) return false;
      if (!ts.isBinaryExpression(node)) return true;
      const op = node.operatorToken.kind;
      if (op !== ts.SyntaxKind.ExclamationEqualsEqualsToken && op !== ts.SyntaxKind.EqualsEqualsEqualsToken && op !== ts.SyntaxKind.ExclamationEqualsToken && op !== ts.SyntaxKind.EqualsEqualsToken) return true;
      for (const side of [node.left, node.right]) {
        const local = stripParens(side);
        if (!ts.isIdentifier(local)) continue;
        const token = view.taintOfLocal(local.text);
        if (token?.shared.some((t) => view.isStale(t.epoch) && fresh.some((f) => f.key === t.key))) found = true;
      }
      return !found;
    });
    return found;
  }

  /**
   * JS-ASYNC-007: in a later turn than a check of a closing flag (`if (this.closed) return`), the
   * object is acted on without testing the flag again, while `close()` can have run in between.
   */
  private actAfterClose(node: ts.CallExpression): void {
    const view = this.view;
    if (view.epoch === 0 || this.actsReported.has(view.epoch) || view.revalidated) return;
    const own = memberName(this.context.fn);
    // Closing an object twice, or cleaning up while closing, acts on nothing that is left to serve.
    if (own && CLOSERS.test(own)) return;
    const reads = view.guards.flatMap((guard) => guard.reads.shared.filter((read) => this.closingFlagOf(read.key)));
    const first = reads.find((read) => this.closingFlagOf(read.key)!.closerName !== own);
    // Tested again after the suspension (in this turn or a later one than the first test): guarded.
    if (!first || !view.isStale(first.epoch) || reads.some((read) => read.epoch !== first.epoch)) return;
    const flag = this.closingFlagOf(first.key)!;
    if ([...view.recheckedSince(first.epoch)].some((key) => lastProperty(key) === flag.property)) return;
    if (this.raisedIn.has(`${view.epoch}:${flag.property}`) || this.closerCancels(view.currentCallback()?.callbackOf, flag) || this.calleeTestsFlag(node, flag.property)) return;
    if (this.closerWaits(flag)) return;
    this.actsReported.add(view.epoch);
    this.report.useAfterClose(node, first.node, flag, view.suspensionAfter(first.epoch), view.currentCallback());
  }

  /** `this.send(…)` whose own body tests the flag first refuses to act on a closed object. */
  private calleeTestsFlag(call: ts.CallExpression, property: string): boolean {
    return this.context.targets.resolve(call.expression).some((callee) => {
      let tests = false;
      if (!callee.body) return false;
      walkIteratively(callee.body, (node) => {
        if (tests || isFunctionNode(node)) return false;
        const test = ts.isIfStatement(node) ? node.expression : ts.isConditionalExpression(node) ? node.condition : undefined;
        if (test) {
          walkSubtree(test, (inner) => {
            if (ts.isPropertyAccessExpression(inner) && inner.name.text === property) tests = true;
            return !tests;
          });
        }
        return !tests;
      });
      return tests;
    });
  }

  /**
   * A closing method that goes on asynchronously and looks at the collections this run
   * registered its work in (`await Promise.all(this.used.map(…))`) waits for that work to land.
   */
  private closerWaits(flag: ClosingFlag): boolean {
    const text = flag.closer.getText(this.context.sourceFile);
    if (!/\bawait\b|\.then\(|setInterval\(/.test(text)) return false;
    return [...this.registeredIn].some((property) => new RegExp(`\\.${property.replace(/\$/g, '\\$')}\\b`).test(text));
  }

  /** `close()` clears the timer whose callback this is (`clearTimeout(this.timer)`): the callback never runs after it. */
  private closerCancels(registration: ts.CallExpression | undefined, flag: ClosingFlag): boolean {
    if (!registration || !['setTimeout', 'setInterval', 'setImmediate'].includes(calleeName(registration) ?? '')) return false;
    const holder = registration.parent;
    if (!ts.isBinaryExpression(holder) || !ts.isPropertyAccessExpression(holder.left)) return false;
    const handle = holder.left.name.text;
    return new RegExp(`clear(Timeout|Interval|Immediate)\\([^)]*\\.${handle.replace(/\$/g, '\\$')}\\b`).test(flag.closer.getText(this.context.sourceFile));
  }

  /** The closing flag a key reads, when it is the flag of the object this function works on. */
  private closingFlagOf(key: string): ClosingFlag | undefined {
    const property = lastProperty(key);
    if (!property || !isObjectState(key)) return undefined;
    return this.context.lifecycle.closingFlag(property, this.owner);
  }
}

/** The callback goes on with the work (emits results, queues more), rather than only reporting a failure. */
function continuesWork(registration: ts.CallExpression): boolean {
  let works = false;
  for (const argument of registration.arguments) {
    if (!ts.isFunctionLike(argument) || !('body' in argument) || !argument.body) continue;
    walkSubtree(argument.body, (node) => {
      if (works) return false;
      if (ts.isCallExpression(node)) {
        const name = calleeName(node) ?? '';
        const event = node.arguments[0];
        const reportsFailure = FAILURE_ACTS.test(name) || (name === 'emit' && event !== undefined && ts.isStringLiteralLike(event) && FAILURE_ACTS.test(event.text));
        if (!reportsFailure) works = true;
      }
      return !works;
    });
  }
  return works;
}

/** State of the object `this` (or `var self = this`) refers to: `this`, `this.queue`. */
function isObjectState(key: string): boolean {
  return key === 'this' || key.startsWith('this.') || key.startsWith('this[');
}

/** The access names the state itself (`this.nodes.concat`), not a snapshot of it taken earlier (`const all = this.nodes; all.concat`). */
function readsDirectly(access: Access, key: string): boolean {
  const root = /^[^.[]+/.exec(key)?.[0] ?? key;
  return access.node.getText().startsWith(root);
}

/**
 * `const saved = this.x; … finally { this.x = saved }`: putting back the value saved before, on
 * the way out (a `finally`, a `catch`, a `.finally`/`.catch` callback), is a deliberate reset.
 */
function restoresSnapshot(node: ts.Node, key: string, value: Reads, view: FlowView): boolean {
  if (!ts.isBinaryExpression(node) || !ts.isIdentifier(stripParens(node.right)) || value.shared.length > 0) return false;
  const saved = view.taintOfLocal((stripParens(node.right) as ts.Identifier).text);
  if (!saved?.shared.some((r) => r.key === key)) return false;
  for (let current: ts.Node = node; current.parent; current = current.parent) {
    const parent = current.parent;
    if (ts.isCatchClause(parent) || (ts.isTryStatement(parent) && parent.finallyBlock === current)) return true;
    if (isFunctionNode(current)) {
      const call = parent;
      return ts.isCallExpression(call) && ['finally', 'catch'].includes(calleeName(call) ?? '');
    }
  }
  return false;
}
