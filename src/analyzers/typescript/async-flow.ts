import ts from 'typescript';
import { AsyncReporter } from './async-reports';
import type { CallTargets } from './call-targets';
import { deferredCallbacks } from './continuations';
import type { OverlapEvidence } from './evidence';
import type { FindingSink } from './findings';
import { FlowRules } from './flow-rules';
import { Reads, exits, isAssignmentOperator, type Access, type ExternalRead, type Guard, type Suspension, type Taint } from './flow-state';
import type { LifecycleFacts } from './lifecycle';
import { RESOURCE_ACTS, RESOURCE_CHECKS } from './resources';
import type { ScopeIndex } from './scope';
import { calleeName, calleeReceiver, isAsyncFunction, isFunctionNode, ownerOf, stripParens, thisAliases, type FunctionNode } from './syntax';

/**
 * The interleaving model for one function. JavaScript runs the code between two suspension
 * points without interruption; the suspension points are `await`, `yield`, `for await`, and
 * callback boundaries: a callback passed to a timer, `.then`, `once` or an error-first I/O call
 * runs in a later turn of the event loop, as the continuation of the code that registered it.
 * The function is walked in evaluation order, callbacks included where they run, and every
 * access gets the turn ("epoch") it runs in. Only a write whose value, or whose deciding check,
 * was read in an earlier turn of the same path can lose another run's update — and only when
 * another run can overlap (the evidence gathered by `EvidenceIndex`). `FlowRules` decides.
 */

const MAP_READS = new Set(['has', 'get', 'includes']);
const MAP_WRITES = new Set(['set', 'add', 'delete']);
/** Static calls that test an object for a key, like `key in object`. */
const KEY_TESTS = new Set(['Object.hasOwn', 'Reflect.has']);
const STORE_READS = /^(get|read|load|fetch|find|findOne|findById|hget|getItem|count)$/;
const MAX_DEPTH = 400;
const MAX_TAINT = 24;
/** Same-object helpers are followed one call deep while a lifecycle check is in force. */
const MAX_INLINE = 1;

class TooDeep extends Error {}

function rootIdentifier(expr: ts.Expression): string | undefined {
  let node = stripParens(expr);
  while (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) node = stripParens(node.expression);
  return ts.isIdentifier(node) ? node.text : undefined;
}

/** `this` refers to an object other runs can see: a class instance, a prototype method's receiver, an object literal's owner. */
function thisIsShared(fn: FunctionNode): boolean {
  let current: ts.Node | undefined = fn;
  while (current) {
    if (ts.isClassLike(current)) return true;
    if (isFunctionNode(current) && !ts.isArrowFunction(current)) return ownerOf(current) !== undefined;
    current = current.parent;
  }
  return false;
}

export interface FlowContext {
  fn: FunctionNode;
  scope: ScopeIndex;
  evidence: OverlapEvidence[];
  sink: FindingSink;
  /** Every text occurrence of a key in the file is needed to decide whether the promise-caching fix is safe. */
  sourceFile: ts.SourceFile;
  lifecycle: LifecycleFacts;
  targets: CallTargets;
}

export function analyzeAsyncFunction(context: FlowContext): void {
  try {
    new AsyncFlow(context).run();
  } catch (error) {
    // A function nested too deeply to walk within the bound yields no findings rather than a crash.
    if (!(error instanceof TooDeep)) throw error;
  }
}

/** The walk's view for the rules: where it is, what is in force. */
export interface FlowView {
  readonly epoch: number;
  readonly guards: readonly Guard[];
  readonly exclusiveFlag: string | undefined;
  /** A re-check after the last suspension (a generation token) confirmed that no other run got in between. */
  readonly revalidated: boolean;
  /** The walk is inside a same-object helper it followed (or a callback registered there). */
  readonly inHelper: boolean;
  taintOf(reads: Reads): Taint;
  taintOfLocal(name: string): Taint | undefined;
  /** The read ran in an earlier turn of the current path. */
  isStale(epoch: number): boolean;
  /** The first suspension on the current path after a read in `epoch`. */
  suspensionAfter(epoch: number): Suspension | undefined;
  /** The innermost callback turn the walk is in, if any. */
  currentCallback(): Suspension | undefined;
  /** A one-shot callback registered earlier in the current turn that has not run yet. */
  pendingCallback(): ts.CallExpression | undefined;
  /** Keys tested again by an early exit after the suspension in `epoch` (on the current path). */
  recheckedSince(epoch: number): ReadonlySet<string>;
}

/** A callback registered in one turn, walked once that turn is over, under the checks in force where it was registered. */
interface DeferredCallback {
  fn: FunctionNode;
  bindsThis: boolean;
  call: ts.CallExpression;
  guards: Guard[];
  path: Suspension[];
  epoch: number;
  sharedThis: boolean;
  innerLocals: ReadonlySet<string>[];
  inlineDepth: number;
  /** The guard flag in force when the registering turn ended (a claim later in that turn still keeps others out). */
  flag: string | undefined;
  turnOpen: boolean;
}

class AsyncFlow implements FlowView {
  epoch = 0;
  private nextEpoch = 1;
  /** The suspensions passed on the way to the current point, in order. */
  private path: Suspension[] = [];
  private depth = 0;
  private inlineDepth = 0;
  private readonly taints = new Map<string, Taint>();
  private readonly aliases = new Map<string, string>();
  guards: Guard[] = [];
  private sharedThis: boolean;
  /** Names declared in the callbacks and helpers being walked: locals of those, whatever the outer scope holds. */
  private innerLocals: ReadonlySet<string>[] = [];
  private readonly pending: { call: ts.CallExpression; epoch: number }[] = [];
  private readonly deferred: DeferredCallback[] = [];
  private readonly inlined = new Set<FunctionNode>();
  private revalidatedAt: number | undefined;
  private readonly rules: FlowRules;
  /**
   * `if (busy) return; busy = true; …`: while the flag is set no other run gets past the guard,
   * so nothing written until the flag is cleared can race with another run of this function.
   */
  exclusiveFlag: string | undefined;
  /** The check whose claim set the flag. */
  exclusiveBy: Guard | undefined;

  constructor(private readonly context: FlowContext) {
    this.sharedThis = thisIsShared(context.fn);
    // `var self = this` in the method around a nested function: `self.x` is the object's `this.x`.
    for (const [name, declaring] of thisAliases(context.fn)) {
      if (declaring !== context.fn && ownerOf(declaring) !== undefined) this.aliases.set(name, 'this');
    }
    this.rules = new FlowRules(context, new AsyncReporter(context), this);
  }

  get revalidated(): boolean {
    return this.revalidatedAt === this.epoch;
  }

  get inHelper(): boolean {
    return this.inlineDepth > 0;
  }

  run(): void {
    const body = this.context.fn.body;
    if (!body) return;
    if (ts.isBlock(body)) this.statements(body.statements);
    else this.expression(body, new Reads());
    this.closeTurn();
    for (let next = this.deferred.shift(); next; next = this.deferred.shift()) this.continuation(next);
  }

  // ---- statements ----------------------------------------------------------------------

  private statements(list: readonly ts.Statement[]): void {
    let pushed = 0;
    for (const statement of list) {
      const guard = this.statement(statement);
      // `if (cond) return;` guards everything after it in the block.
      if (guard && ts.isIfStatement(statement) && !statement.elseStatement && exits(statement.thenStatement)) {
        guard.earlyExit = true;
        if (this.rules.isTokenRecheck(guard)) this.revalidatedAt = this.epoch;
        this.noteRecheck(guard);
        this.guards.push(guard);
        pushed++;
      }
    }
    this.guards.splice(this.guards.length - pushed, pushed);
  }

  private statement(node: ts.Statement): Guard | undefined {
    this.enter();
    try {
      if (ts.isBlock(node)) this.statements(node.statements);
      else if (ts.isExpressionStatement(node)) this.expression(node.expression, new Reads());
      else if (ts.isVariableStatement(node)) this.variables(node.declarationList);
      else if (ts.isIfStatement(node)) return this.ifStatement(node);
      else if (ts.isReturnStatement(node) || ts.isThrowStatement(node)) {
        if (node.expression) this.expression(node.expression, new Reads());
      } else if (ts.isForOfStatement(node) || ts.isForInStatement(node)) this.forEach(node);
      else if (ts.isForStatement(node)) this.forLoop(node);
      else if (ts.isWhileStatement(node)) this.loopGuarded(node.expression, () => this.statement(node.statement));
      else if (ts.isDoStatement(node)) {
        this.statement(node.statement);
        this.expression(node.expression, new Reads());
      } else if (ts.isTryStatement(node)) {
        this.statement(node.tryBlock);
        if (node.catchClause) this.statement(node.catchClause.block);
        if (node.finallyBlock) this.statement(node.finallyBlock);
      } else if (ts.isSwitchStatement(node)) this.switchStatement(node);
      else if (ts.isLabeledStatement(node)) this.statement(node.statement);
      // Function and class declarations run later, as their own units.
      return undefined;
    } finally {
      this.depth--;
    }
  }

  /** Walks alternative branches from the same point; the walk goes on along the path of the one that suspended. */
  private branches(alternatives: ((() => void) | undefined)[], leaves: boolean[]): void {
    const startEpoch = this.epoch;
    const startPath = this.path;
    const startPending = this.pending.length;
    const started: { call: ts.CallExpression; epoch: number }[] = [];
    let chosen: { epoch: number; path: Suspension[] } | undefined;
    alternatives.forEach((walk, index) => {
      this.epoch = startEpoch;
      this.path = [...startPath];
      // Callbacks started in one branch are not pending in the other.
      this.pending.length = startPending;
      walk?.();
      if (leaves[index]) return;
      started.push(...this.pending.slice(startPending));
      if (!chosen || (chosen.epoch === startEpoch && this.epoch !== startEpoch)) chosen = { epoch: this.epoch, path: this.path };
    });
    this.pending.length = startPending;
    this.pending.push(...started);
    this.epoch = chosen?.epoch ?? startEpoch;
    this.path = chosen?.path ?? startPath;
  }

  private ifStatement(node: ts.IfStatement): Guard {
    const reads = new Reads();
    this.expression(node.expression, reads);
    const guard: Guard = { test: node.expression, reads, epoch: this.epoch, claimed: new Set(), branch: true };
    this.guards.push(guard);
    const elseStatement = node.elseStatement;
    const flag = this.exclusiveFlag;
    this.branches(
      [() => this.statement(node.thenStatement), elseStatement && (() => this.statement(elseStatement))].map((walk) => walk && (() => {
        this.exclusiveFlag = flag;
        walk();
      })),
      [exits(node.thenStatement), false],
    );
    // A claim on this `if`'s own test keeps other runs out of its branch only.
    if (this.exclusiveBy === guard) this.exclusiveFlag = flag;
    this.guards.pop();
    return guard;
  }

  private loopGuarded(test: ts.Expression, body: () => void): void {
    const reads = new Reads();
    this.expression(test, reads);
    this.guards.push({ test, reads, epoch: this.epoch, claimed: new Set(), loop: true });
    body();
    this.guards.pop();
  }

  private forEach(node: ts.ForOfStatement | ts.ForInStatement): void {
    const reads = new Reads();
    this.expression(node.expression, reads);
    if (ts.isForOfStatement(node) && node.awaitModifier) this.suspend(node.awaitModifier);
    if (ts.isVariableDeclarationList(node.initializer)) {
      // The loop variable holds an element of the collection: a selection, not the collection's value.
      const taint = this.taintOf(reads);
      const element: Taint = { shared: taint.shared.map((r) => ({ ...r, element: true })), external: taint.external };
      for (const declaration of node.initializer.declarations) this.bindLocal(declaration.name, element, undefined);
    }
    this.statement(node.statement);
  }

  private forLoop(node: ts.ForStatement): void {
    if (node.initializer) {
      if (ts.isVariableDeclarationList(node.initializer)) this.variables(node.initializer);
      else this.expression(node.initializer, new Reads());
    }
    const body = (): void => {
      this.statement(node.statement);
      if (node.incrementor) this.expression(node.incrementor, new Reads());
    };
    if (node.condition) this.loopGuarded(node.condition, body);
    else body();
  }

  private switchStatement(node: ts.SwitchStatement): void {
    const reads = new Reads();
    this.expression(node.expression, reads);
    this.guards.push({ test: node.expression, reads, epoch: this.epoch, claimed: new Set() });
    const clauses = node.caseBlock.clauses;
    this.branches(
      clauses.map((clause) => () => {
        if (ts.isCaseClause(clause)) this.expression(clause.expression, new Reads());
        this.statements(clause.statements);
      }),
      clauses.map(() => false),
    );
    this.guards.pop();
  }

  private variables(list: ts.VariableDeclarationList): void {
    for (const declaration of list.declarations) {
      if (!declaration.initializer) continue;
      const reads = new Reads();
      this.expression(declaration.initializer, reads);
      if (ts.isIdentifier(declaration.name) && this.isSharedName(declaration.name.text)) {
        // A local that a closure writes: its declaration is a write other code can observe.
        this.rules.write(declaration.name.text, declaration, reads, declaration.name);
        continue;
      }
      this.bindLocal(declaration.name, this.taintOf(reads), declaration.initializer);
    }
  }

  private bindLocal(name: ts.BindingName, taint: Taint, initializer: ts.Expression | undefined): void {
    if (!ts.isIdentifier(name)) {
      for (const element of name.elements) if (ts.isBindingElement(element)) this.bindLocal(element.name, taint, undefined);
      return;
    }
    this.aliases.delete(name.text);
    const external = initializer ? this.externalRead(initializer) : undefined;
    this.taints.set(name.text, external ? { shared: taint.shared, external: [...taint.external, external] } : taint);
    // `const cache = this.cache` makes `cache[k]` an access to `this.cache[k]`.
    if (initializer && !external) {
      const aliased = this.sharedPath(initializer);
      if (aliased) this.aliases.set(name.text, aliased);
    }
  }

  /** `await store.get(k)`: the value now lives in two places, the store and this local. */
  private externalRead(initializer: ts.Expression): ExternalRead | undefined {
    const expr = stripParens(initializer);
    if (!ts.isAwaitExpression(expr)) return undefined;
    const call = stripParens(expr.expression);
    if (!ts.isCallExpression(call)) return undefined;
    const name = calleeName(call);
    const receiver = calleeReceiver(call);
    if (!name || !receiver || !STORE_READS.test(name)) return undefined;
    return { receiver: receiver.getText(this.context.sourceFile), epoch: this.epoch, node: expr };
  }

  // ---- expressions (evaluation order) -------------------------------------------------

  private expression(node: ts.Node, reads: Reads): void {
    this.enter();
    try {
      this.expressionInner(node, reads);
    } finally {
      this.depth--;
    }
  }

  private expressionInner(node: ts.Node, reads: Reads): void {
    if (isFunctionNode(node) || ts.isClassLike(node) || ts.isTypeNode(node)) return;
    if (ts.isPropertyAssignment(node)) return this.expression(node.initializer, reads);
    if (ts.isAwaitExpression(node) || ts.isYieldExpression(node)) {
      // The awaited result is a new value from the call, not the state passed to it
      // (`cfg = await load(cfg.path)`); only resource checks inside it matter to the caller.
      const operand = new Reads();
      if (node.expression) this.expression(node.expression, operand);
      reads.checks.push(...operand.checks);
      this.suspend(node);
      return;
    }
    if (ts.isBinaryExpression(node)) {
      const op = node.operatorToken.kind;
      if (isAssignmentOperator(op)) return this.assignment(node, reads);
      if (op === ts.SyntaxKind.InKeyword && this.keyTest(node.right, node.left, node, reads)) return;
      if (op === ts.SyntaxKind.AmpersandAmpersandToken || op === ts.SyntaxKind.BarBarToken || op === ts.SyntaxKind.QuestionQuestionToken) {
        const left = new Reads();
        this.expression(node.left, left);
        reads.absorb(left);
        this.guards.push({ test: node.left, reads: left, epoch: this.epoch, claimed: new Set() });
        this.expression(node.right, reads);
        this.guards.pop();
        return;
      }
    }
    if (ts.isConditionalExpression(node)) {
      const test = new Reads();
      this.expression(node.condition, test);
      reads.absorb(test);
      this.guards.push({ test: node.condition, reads: test, epoch: this.epoch, claimed: new Set() });
      this.branches([() => this.expression(node.whenTrue, reads), () => this.expression(node.whenFalse, reads)], [false, false]);
      this.guards.pop();
      return;
    }
    if ((ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) && (node.operator === ts.SyntaxKind.PlusPlusToken || node.operator === ts.SyntaxKind.MinusMinusToken)) {
      const key = this.sharedPath(node.operand);
      if (key) {
        const own = new Reads();
        own.shared.push({ key, epoch: this.epoch, node: node.operand });
        this.rules.write(key, node, own, node.operand);
        if (node.operator === ts.SyntaxKind.MinusMinusToken) this.rules.trackerRemoval(node, key);
        reads.absorb(own);
      } else this.expression(node.operand, reads);
      return;
    }
    if (ts.isDeleteExpression(node)) {
      const key = this.sharedPath(node.expression);
      if (key) this.rules.write(key, node, new Reads(), node.expression);
      return;
    }
    if (ts.isCallExpression(node)) return this.call(node, reads);
    if (ts.isIdentifier(node) || ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node) || node.kind === ts.SyntaxKind.ThisKeyword) {
      const key = this.sharedPath(node as ts.Expression);
      if (key === 'this') return;
      if (key) {
        reads.shared.push({ key, epoch: this.epoch, node });
        // Through `const all = this.nodes`, the snapshot taken into `all` is read too.
        const root = rootIdentifier(node as ts.Expression);
        if (root && this.aliases.has(root)) reads.locals.add(root);
        if (ts.isElementAccessExpression(node)) this.expression(node.argumentExpression, reads);
        return;
      }
      if (ts.isIdentifier(node)) {
        reads.locals.add(node.text);
        return;
      }
      if (ts.isPropertyAccessExpression(node)) return this.expression(node.expression, reads);
    }
    ts.forEachChild(node, (child) => {
      this.expression(child, reads);
    });
  }

  /**
   * `k in cache`, `Object.hasOwn(cache, k)`: a read of the entry `cache[k]`, like `map.has(k)`,
   * so a write of `cache[k]` after an await is checked against it. False: `object` is not shared.
   */
  private keyTest(object: ts.Expression, key: ts.Expression, node: ts.Node, reads: Reads): boolean {
    const base = this.sharedPath(object, true);
    if (!base || base === 'this') return false;
    const epoch = this.epoch;
    this.expression(key, reads);
    reads.shared.push({ key: `${base}[${key.getText(this.context.sourceFile)}]`, epoch, node });
    return true;
  }

  private call(node: ts.CallExpression, reads: Reads): void {
    const name = calleeName(node);
    const receiver = calleeReceiver(node);
    const [first, second] = node.arguments;
    if (first && second && node.arguments.length === 2 && receiver && ts.isIdentifier(receiver) && KEY_TESTS.has(`${receiver.text}.${name}`) && this.keyTest(first, second, node, reads)) return;
    if (first && node.arguments.length === 1 && name === 'hasOwnProperty' && receiver && this.keyTest(receiver, first, node, reads)) return;
    const receiverKey = receiver ? this.sharedPath(receiver, true) : undefined;
    const subject = node.arguments[0];
    const startEpoch = this.epoch;
    if (!receiverKey || !name || !(MAP_READS.has(name) || MAP_WRITES.has(name))) this.expression(node.expression, reads);
    const subjectReads = new Reads();
    const valueReads = new Reads();
    node.arguments.forEach((argument, index) => this.expression(argument, index === 0 ? subjectReads : valueReads));
    const argumentReads = new Reads();
    argumentReads.absorb(subjectReads);
    argumentReads.absorb(valueReads);
    reads.absorb(argumentReads);
    if (receiverKey && name && subject) {
      const key = `${receiverKey}[${subject.getText(this.context.sourceFile)}]`;
      if (MAP_READS.has(name)) reads.shared.push({ key, epoch: startEpoch, node });
      else if (MAP_WRITES.has(name)) this.rules.write(key, node, name === 'delete' ? new Reads() : valueReads, node);
    }
    if (name && subject && RESOURCE_CHECKS.has(name)) {
      reads.checks.push({ subject: subject.getText(this.context.sourceFile), name, epoch: startEpoch, node });
    }
    if (name && subject && RESOURCE_ACTS.has(name)) this.rules.resourceAct(node, name, subject);
    if (name && receiver) this.rules.storeWrite(node, name, receiver, argumentReads);
    if (name && receiverKey !== undefined) this.rules.callOnShared(node, name, receiverKey);
    this.followHelper(node);
    for (const callback of deferredCallbacks(node)) {
      if (callback.timing !== 'later' || !callback.fn.body) continue;
      this.deferred.push({
        fn: callback.fn,
        bindsThis: callback.bindsThis,
        call: node,
        guards: [...this.guards],
        path: [...this.path],
        epoch: this.epoch,
        sharedThis: this.sharedThis,
        innerLocals: [...this.innerLocals, this.context.scope.declaredIn(callback.fn)],
        inlineDepth: this.inlineDepth,
        flag: this.exclusiveFlag,
        turnOpen: true,
      });
      this.pending.push({ call: node, epoch: this.epoch });
    }
  }

  /** The current turn ends (a suspension, or the end of the code that runs in it): its callbacks see how it left the guard flag. */
  private closeTurn(): void {
    for (const task of this.deferred) {
      if (!task.turnOpen || task.epoch !== this.epoch) continue;
      task.turnOpen = false;
      task.flag ??= this.exclusiveFlag;
    }
  }

  /**
   * A callback that runs in a later turn, walked where it runs: the checks in force when it was
   * registered still guard it, but every read before it is now from an earlier turn.
   */
  private continuation(task: DeferredCallback): void {
    const body = task.fn.body!;
    this.guards = [...task.guards];
    this.path = [...task.path];
    this.epoch = task.epoch;
    this.suspend(task.fn, task.call);
    this.sharedThis = task.bindsThis && task.sharedThis;
    this.innerLocals = task.innerLocals;
    this.inlineDepth = task.inlineDepth;
    this.exclusiveFlag = task.flag;
    if (ts.isBlock(body)) this.statements(body.statements);
    else this.expression(body, new Reads());
    this.closeTurn();
  }

  /** `if (this.closed) return;` after a suspension: the flag is known fresh on the rest of this path. */
  private noteRecheck(guard: Guard): void {
    const last = this.path[this.path.length - 1];
    if (!last || last.epoch !== this.epoch) return;
    const fresh = guard.reads.shared.filter((r) => r.epoch === this.epoch).map((r) => r.key);
    if (fresh.length > 0) this.path[this.path.length - 1] = { ...last, rechecked: new Set([...(last.rechecked ?? []), ...fresh]) };
  }

  /**
   * `this.helper(…)` while a lifecycle check is in force: the helper runs under that check, so
   * its callbacks are walked with it (bounded), as a helper called from an entry point runs there.
   */
  private followHelper(call: ts.CallExpression): void {
    if (this.inlineDepth >= MAX_INLINE || !this.rules.lifecycleCheckInForce()) return;
    const receiver = calleeReceiver(call);
    if (!receiver || this.sharedPath(receiver, true) !== 'this') return;
    for (const helper of this.context.targets.resolve(call.expression)) {
      if (helper === this.context.fn || this.inlined.has(helper) || isAsyncFunction(helper) || !helper.body || !ts.isBlock(helper.body)) continue;
      this.inlined.add(helper);
      this.inlineDepth++;
      const outerLocals = this.innerLocals;
      this.innerLocals = [...outerLocals, this.context.scope.declaredIn(helper)];
      try {
        this.statements(helper.body.statements);
      } finally {
        this.innerLocals = outerLocals;
        this.inlineDepth--;
      }
    }
  }

  private assignment(node: ts.BinaryExpression, reads: Reads): void {
    const op = node.operatorToken.kind;
    const target = stripParens(node.left);
    if (ts.isObjectLiteralExpression(target) || ts.isArrayLiteralExpression(target)) {
      this.expression(node.right, reads);
      return;
    }
    const key = this.sharedPath(target);
    const compound = op !== ts.SyntaxKind.EqualsToken;
    if (!key) {
      if (ts.isIdentifier(target)) {
        const value = new Reads();
        if (compound) value.locals.add(target.text);
        this.expression(node.right, value);
        const taint = this.taintOf(value);
        const external = this.externalRead(node.right);
        this.aliases.delete(target.text);
        this.taints.set(target.text, external ? { shared: taint.shared, external: [...taint.external, external] } : taint);
        reads.absorb(value);
        return;
      }
      this.expression(target, reads);
      this.expression(node.right, reads);
      return;
    }
    if (ts.isElementAccessExpression(target)) this.expression(target.argumentExpression, reads);
    const value = new Reads();
    const logical = op === ts.SyntaxKind.BarBarEqualsToken || op === ts.SyntaxKind.QuestionQuestionEqualsToken || op === ts.SyntaxKind.AmpersandAmpersandEqualsToken;
    const implicit: Access = { key, epoch: this.epoch, node: target };
    if (logical) {
      // `k ||= await load()` checks `k`, then writes after the await: a check-then-act.
      const check = new Reads();
      check.shared.push(implicit);
      this.guards.push({ test: target, reads: check, epoch: this.epoch, claimed: new Set() });
      this.expression(node.right, value);
      this.rules.write(key, node, value, target);
      this.guards.pop();
    } else {
      if (compound) value.shared.push(implicit);
      this.expression(node.right, value);
      this.rules.write(key, node, value, target);
      if (op === ts.SyntaxKind.MinusEqualsToken) this.rules.trackerRemoval(node, key);
    }
    reads.absorb(value);
  }

  // ---- state ---------------------------------------------------------------------------

  private isInnerLocal(name: string): boolean {
    return this.innerLocals.some((names) => names.has(name));
  }

  /**
   * Module state and variables of enclosing functions are shared with other runs. A variable of
   * this function is not, even when its own callbacks write it: each run has its own.
   */
  private isSharedName(name: string): boolean {
    if (this.context.scope.declaredIn(this.context.fn).has(name)) return false;
    return this.context.scope.classify(name, this.context.fn) === 'shared';
  }

  /** The key of an access to state other runs can see, or undefined for locals and unknowns. */
  sharedPath(expr: ts.Expression, asBase = false): string | undefined {
    const node = stripParens(expr);
    if (node.kind === ts.SyntaxKind.ThisKeyword) return this.sharedThis ? 'this' : undefined;
    if (ts.isIdentifier(node)) {
      // `const c = this.cache`: `c[k]` reaches the shared object, while reading `c` itself is a snapshot.
      const alias = asBase ? this.aliases.get(node.text) : undefined;
      if (alias) return alias;
      if (this.taints.has(node.text) || this.isInnerLocal(node.text)) return undefined;
      return this.isSharedName(node.text) ? node.text : undefined;
    }
    if (ts.isPropertyAccessExpression(node)) {
      const base = this.sharedPath(node.expression, true);
      return base ? `${base}.${node.name.text}` : undefined;
    }
    if (ts.isElementAccessExpression(node)) {
      const base = this.sharedPath(node.expression, true);
      return base ? `${base}[${node.argumentExpression.getText(this.context.sourceFile)}]` : undefined;
    }
    return undefined;
  }

  taintOf(reads: Reads): Taint {
    const shared = [...reads.shared];
    const external: ExternalRead[] = [];
    for (const local of reads.locals) {
      const taint = this.taints.get(local);
      if (!taint) continue;
      shared.push(...taint.shared);
      external.push(...taint.external);
    }
    return { shared: shared.slice(-MAX_TAINT), external: external.slice(-MAX_TAINT) };
  }

  taintOfLocal(name: string): Taint | undefined {
    return this.taints.get(name);
  }

  private suspend(node: ts.Node, callbackOf?: ts.CallExpression): void {
    this.closeTurn();
    this.epoch = this.nextEpoch++;
    this.path.push({ epoch: this.epoch, node, callbackOf });
  }

  isStale(epoch: number): boolean {
    return epoch !== this.epoch && (epoch === 0 || this.path.some((s) => s.epoch === epoch));
  }

  suspensionAfter(epoch: number): Suspension | undefined {
    if (epoch === 0) return this.path[0];
    const index = this.path.findIndex((s) => s.epoch === epoch);
    return index < 0 ? undefined : this.path[index + 1];
  }

  currentCallback(): Suspension | undefined {
    for (let i = this.path.length - 1; i >= 0; i--) if (this.path[i].callbackOf) return this.path[i];
    return undefined;
  }

  recheckedSince(epoch: number): ReadonlySet<string> {
    const start = epoch === 0 ? 0 : this.path.findIndex((s) => s.epoch === epoch) + 1;
    const keys = new Set<string>();
    if (start <= 0 && epoch !== 0) return keys;
    for (const suspension of this.path.slice(start)) for (const key of suspension.rechecked ?? []) keys.add(key);
    return keys;
  }

  pendingCallback(): ts.CallExpression | undefined {
    return this.pending.find((p) => p.epoch === this.epoch)?.call;
  }

  private enter(): void {
    if (++this.depth > MAX_DEPTH) throw new TooDeep();
  }
}
