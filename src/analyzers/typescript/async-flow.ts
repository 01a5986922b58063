import ts from 'typescript';
import type { OverlapEvidence } from './evidence';
import { AsyncReporter } from './async-reports';
import type { FindingSink } from './findings';
import { RESOURCE_ACTS, RESOURCE_CHECKS } from './resources';
import type { ScopeIndex } from './scope';
import { calleeName, calleeReceiver, isFunctionNode, stripParens, type FunctionNode } from './syntax';

/**
 * The interleaving model for one async function. JavaScript runs the code between two
 * suspension points (`await`, `yield`, `for await`) without interruption, so the function is
 * walked in evaluation order while counting suspensions: every access gets the "epoch" (number
 * of suspensions passed) in which it runs. Only a write whose value, or whose deciding check,
 * was read in an earlier epoch can lose another run's update — and only when another run can
 * overlap (the evidence gathered by `EvidenceIndex`).
 */

interface Access {
  key: string;
  epoch: number;
  node: ts.Node;
}

/** A value fetched from an external store (`await db.get(k)`), written back later. */
interface ExternalRead {
  receiver: string;
  epoch: number;
  node: ts.Node;
}

interface Taint {
  shared: Access[];
  external: ExternalRead[];
}

interface ResourceCheck {
  subject: string;
  name: string;
  epoch: number;
  node: ts.CallExpression;
}

/** What an expression read: shared paths, locals, and external-resource checks. */
class Reads {
  readonly shared: Access[] = [];
  readonly locals = new Set<string>();
  readonly checks: ResourceCheck[] = [];

  absorb(other: Reads): void {
    this.shared.push(...other.shared);
    for (const local of other.locals) this.locals.add(local);
    this.checks.push(...other.checks);
  }
}

interface Guard {
  test: ts.Node;
  reads: Reads;
  /** Suspensions passed when the test had been evaluated. */
  epoch: number;
  /** Keys written in the epoch of their check: the guard-flag idiom (`busy = true` before the first await). */
  claimed: Set<string>;
  /** `if (cond) return;` at statement level: it guards the rest of the block. */
  earlyExit?: boolean;
  /** A loop condition is checked again after every iteration, so it is no stale check. */
  loop?: boolean;
}

const MAP_READS = new Set(['has', 'get', 'includes']);
const MAP_WRITES = new Set(['set', 'add', 'delete']);
/** Static calls that test an object for a key, like `key in object`. */
const KEY_TESTS = new Set(['Object.hasOwn', 'Reflect.has']);
const STORE_READS = /^(get|read|load|fetch|find|findOne|findById|hget|getItem|count)$/;
const STORE_WRITES = /^(set|put|write|save|update|updateOne|setItem|hset|store|upsert)$/;
const MAX_DEPTH = 400;
const MAX_TAINT = 24;

class TooDeep extends Error {}

/**
 * A write to `written` replaces the value read at `read` when they are the same path, or the
 * read is inside the written object (`this.stats.count` read, `this.stats` replaced). Reading a
 * reference to a container (`cache`) says nothing about the slot written later (`cache[k]`).
 */
function replaces(written: string, read: string): boolean {
  if (written === read) return true;
  return read.startsWith(written) && (read[written.length] === '.' || read[written.length] === '[');
}

/** `x = null`, `x = false`, `delete x`: resetting loses no other run's value. */
function isClearingWrite(node: ts.Node): boolean {
  if (ts.isDeleteExpression(node)) return true;
  if (ts.isCallExpression(node)) return calleeName(node) === 'delete';
  if (!ts.isBinaryExpression(node) || node.operatorToken.kind !== ts.SyntaxKind.EqualsToken) return false;
  const value = stripParens(node.right);
  return (
    value.kind === ts.SyntaxKind.NullKeyword ||
    value.kind === ts.SyntaxKind.FalseKeyword ||
    ts.isVoidExpression(value) ||
    (ts.isIdentifier(value) && value.text === 'undefined')
  );
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

function insideCatch(node: ts.Node, fn: FunctionNode): boolean {
  for (let current: ts.Node | undefined = node.parent; current && current !== fn; current = current.parent) {
    if (ts.isCatchClause(current)) return true;
  }
  return false;
}

function isAssignmentOperator(kind: ts.SyntaxKind): boolean {
  return kind >= ts.SyntaxKind.FirstAssignment && kind <= ts.SyntaxKind.LastAssignment;
}

function exits(statement: ts.Statement): boolean {
  let last: ts.Statement | undefined = statement;
  while (last && ts.isBlock(last)) last = last.statements[last.statements.length - 1];
  return last !== undefined && (ts.isReturnStatement(last) || ts.isThrowStatement(last) || ts.isBreakStatement(last) || ts.isContinueStatement(last));
}

/** `this` refers to an object other runs can see: a class instance or an object literal's owner. */
function thisIsShared(fn: FunctionNode): boolean {
  let current: ts.Node | undefined = fn;
  while (current) {
    if (ts.isClassLike(current)) return true;
    if (isFunctionNode(current) && !ts.isArrowFunction(current)) {
      if (ts.isMethodDeclaration(current) || ts.isGetAccessorDeclaration(current) || ts.isSetAccessorDeclaration(current) || ts.isConstructorDeclaration(current)) return true;
      const parent = current.parent;
      return ts.isBinaryExpression(parent) && /\.prototype\./.test(parent.left.getText());
    }
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
}

export function analyzeAsyncFunction(context: FlowContext): void {
  try {
    new AsyncFlow(context).run();
  } catch (error) {
    // A function nested too deeply to walk within the bound yields no findings rather than a crash.
    if (!(error instanceof TooDeep)) throw error;
  }
}

class AsyncFlow {
  private epoch = 0;
  private depth = 0;
  private readonly suspensions: { epoch: number; node: ts.Node }[] = [];
  private readonly taints = new Map<string, Taint>();
  private readonly aliases = new Map<string, string>();
  private readonly guards: Guard[] = [];
  private readonly sharedThis: boolean;
  private readonly report: AsyncReporter;
  /**
   * `if (busy) return; busy = true; …`: while the flag is set no other run gets past the guard,
   * so nothing written until the flag is cleared can race with another run of this function.
   */
  private exclusiveFlag: string | undefined;

  constructor(private readonly context: FlowContext) {
    this.sharedThis = thisIsShared(context.fn);
    this.report = new AsyncReporter(context);
  }

  run(): void {
    const body = this.context.fn.body;
    if (!body) return;
    if (ts.isBlock(body)) this.statements(body.statements);
    else this.expression(body, new Reads());
  }

  // ---- statements ----------------------------------------------------------------------

  private statements(list: readonly ts.Statement[]): void {
    let pushed = 0;
    for (const statement of list) {
      const guard = this.statement(statement);
      // `if (cond) return;` guards everything after it in the block.
      if (guard && ts.isIfStatement(statement) && !statement.elseStatement && exits(statement.thenStatement)) {
        guard.earlyExit = true;
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

  private ifStatement(node: ts.IfStatement): Guard {
    const reads = new Reads();
    this.expression(node.expression, reads);
    const guard: Guard = { test: node.expression, reads, epoch: this.epoch, claimed: new Set() };
    this.guards.push(guard);
    const start = this.epoch;
    this.statement(node.thenStatement);
    const afterThen = this.epoch;
    this.epoch = start;
    if (node.elseStatement) this.statement(node.elseStatement);
    const afterElse = this.epoch;
    this.guards.pop();
    this.epoch = exits(node.thenStatement) ? afterElse : Math.max(afterThen, afterElse);
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
      for (const declaration of node.initializer.declarations) this.bindLocal(declaration.name, this.taintOf(reads), undefined);
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
    const start = this.epoch;
    let end = start;
    for (const clause of node.caseBlock.clauses) {
      this.epoch = start;
      if (ts.isCaseClause(clause)) this.expression(clause.expression, new Reads());
      this.statements(clause.statements);
      end = Math.max(end, this.epoch);
    }
    this.guards.pop();
    this.epoch = end;
  }

  private variables(list: ts.VariableDeclarationList): void {
    for (const declaration of list.declarations) {
      if (!declaration.initializer) continue;
      const reads = new Reads();
      this.expression(declaration.initializer, reads);
      if (ts.isIdentifier(declaration.name) && this.context.scope.classify(declaration.name.text, this.context.fn) === 'shared') {
        // A local that a closure writes: its declaration is a write other code can observe.
        this.write(declaration.name.text, declaration, reads, declaration.name);
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
      const start = this.epoch;
      this.expression(node.whenTrue, reads);
      const afterTrue = this.epoch;
      this.epoch = start;
      this.expression(node.whenFalse, reads);
      this.epoch = Math.max(afterTrue, this.epoch);
      this.guards.pop();
      return;
    }
    if ((ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) && (node.operator === ts.SyntaxKind.PlusPlusToken || node.operator === ts.SyntaxKind.MinusMinusToken)) {
      const key = this.sharedPath(node.operand);
      if (key) {
        const own = new Reads();
        own.shared.push({ key, epoch: this.epoch, node: node.operand });
        this.write(key, node, own, node.operand);
        reads.absorb(own);
      } else this.expression(node.operand, reads);
      return;
    }
    if (ts.isDeleteExpression(node)) {
      const key = this.sharedPath(node.expression);
      if (key) this.write(key, node, new Reads(), node.expression);
      return;
    }
    if (ts.isCallExpression(node)) return this.call(node, reads);
    if (ts.isIdentifier(node) || ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node) || node.kind === ts.SyntaxKind.ThisKeyword) {
      const key = this.sharedPath(node as ts.Expression);
      if (key === 'this') return;
      if (key) {
        reads.shared.push({ key, epoch: this.epoch, node });
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
      else if (MAP_WRITES.has(name)) this.write(key, node, name === 'delete' ? new Reads() : valueReads, node);
    }
    if (name && subject && RESOURCE_CHECKS.has(name)) {
      reads.checks.push({ subject: subject.getText(this.context.sourceFile), name, epoch: startEpoch, node });
    }
    if (name && subject && RESOURCE_ACTS.has(name)) this.resourceAct(node, name, subject);
    if (name && receiver && STORE_WRITES.test(name)) this.storeWrite(node, name, receiver, argumentReads);
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
      this.write(key, node, value, target);
      this.guards.pop();
    } else {
      if (compound) value.shared.push(implicit);
      this.expression(node.right, value);
      this.write(key, node, value, target);
    }
    reads.absorb(value);
  }

  // ---- state ---------------------------------------------------------------------------

  /** The key of an access to state other runs can see, or undefined for locals and unknowns. */
  private sharedPath(expr: ts.Expression, asBase = false): string | undefined {
    const node = stripParens(expr);
    if (node.kind === ts.SyntaxKind.ThisKeyword) return this.sharedThis ? 'this' : undefined;
    if (ts.isIdentifier(node)) {
      // `const c = this.cache`: `c[k]` reaches the shared object, while reading `c` itself is a snapshot.
      const alias = asBase ? this.aliases.get(node.text) : undefined;
      if (alias) return alias;
      if (this.taints.has(node.text)) return undefined;
      return this.context.scope.classify(node.text, this.context.fn) === 'shared' ? node.text : undefined;
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

  private taintOf(reads: Reads): Taint {
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

  private suspend(node: ts.Node): void {
    this.epoch++;
    this.suspensions.push({ epoch: this.epoch, node });
  }

  private suspensionBetween(from: number, to: number): ts.Node | undefined {
    return this.suspensions.find((s) => s.epoch > from && s.epoch <= to)?.node;
  }

  private enter(): void {
    if (++this.depth > MAX_DEPTH) throw new TooDeep();
  }

  // ---- rules ---------------------------------------------------------------------------

  private write(key: string, node: ts.Node, value: Reads, target: ts.Node): void {
    const epoch = this.epoch;
    for (const guard of this.guards) {
      if (!guard.reads.shared.some((r) => replaces(key, r.key) && r.epoch === epoch)) continue;
      guard.claimed.add(key);
      if (guard.earlyExit && !isClearingWrite(node)) this.exclusiveFlag = key;
    }
    if (this.exclusiveFlag !== undefined) {
      if (key === this.exclusiveFlag && isClearingWrite(node)) this.exclusiveFlag = undefined;
      return;
    }
    // Resetting state loses no other run's value and is not the act of a check-then-act.
    if (this.context.evidence.length === 0 || isClearingWrite(node)) return;
    const stale = this.taintOf(value).shared.find((r) => replaces(key, r.key) && r.epoch < epoch);
    if (stale) return this.report.lostUpdate(node, target, stale.node, this.suspensionBetween(stale.epoch, epoch));
    // Recording a failure in a catch block, or storing the result of a promise every run shares
    // (`x = await sharedPromise`), does not act on a stale check either.
    if (insideCatch(node, this.context.fn) || awaitsSharedPromise(node)) return;
    for (let i = this.guards.length - 1; i >= 0; i--) {
      const guard = this.guards[i];
      const check = guard.reads.shared.find((r) => replaces(key, r.key));
      if (!check || guard.loop) continue;
      if (check.epoch < epoch && !guard.claimed.has(key)) this.report.checkThenAct(node, target, check.node, guard.test, this.suspensionBetween(check.epoch, epoch));
      return;
    }
    for (const guard of this.guards) {
      for (const local of guard.reads.locals) {
        const snapshot = this.taints.get(local)?.shared.find((r) => replaces(key, r.key) && r.epoch < epoch);
        if (!snapshot || guard.claimed.has(key)) continue;
        // A snapshot tested before the await is a plain check-then-act; tested after it, a stale decision.
        const suspension = this.suspensionBetween(snapshot.epoch, epoch);
        if (guard.epoch > snapshot.epoch) return this.report.staleSnapshot(node, target, local, snapshot.node, guard.test, suspension);
        return this.report.checkThenAct(node, target, snapshot.node, guard.test, suspension);
      }
    }
  }

  private resourceAct(node: ts.CallExpression, name: string, subject: ts.Expression): void {
    if (this.exclusiveFlag !== undefined) return;
    const subjectText = subject.getText(this.context.sourceFile);
    for (const guard of this.guards) {
      const check = guard.reads.checks.find((c) => c.subject === subjectText && c.epoch < this.epoch);
      if (!check) continue;
      this.report.externalCheckThenAct(node, name, subjectText, check.name, check.node);
      return;
    }
  }

  private storeWrite(node: ts.CallExpression, name: string, receiver: ts.Expression, argumentReads: Reads): void {
    const kinds = new Set(this.context.evidence.map((e) => e.kind));
    if (this.exclusiveFlag !== undefined || (!kinds.has('handler') && !kinds.has('timer') && !kinds.has('fan-out'))) return;
    const receiverText = receiver.getText(this.context.sourceFile);
    const fetched = this.taintOf(argumentReads).external.find((e) => e.receiver === receiverText);
    if (fetched) this.report.storeReadModifyWrite(node, `${receiverText}.${name}`, fetched.node);
  }
}
