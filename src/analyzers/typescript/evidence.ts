import ts from 'typescript';
import { bindingName, calleeName, isFunctionNode, lineOf, nearestFunction, stripParens, type FunctionNode } from './syntax';

/**
 * Evidence that an async function can overlap with another invocation of itself — the gate
 * of every JS-ASYNC finding (rules.md, principle 2). Without evidence we stay silent.
 */
export type OverlapKind = 'fan-out' | 'handler' | 'timer' | 'unawaited' | 'exported';

export interface OverlapEvidence {
  kind: OverlapKind;
  site: ts.Node;
  /** Completes "… can overlap with itself: <because>". */
  because: string;
}

const EVENT_REGISTRATION = new Set(['on', 'once', 'addListener', 'prependListener', 'addEventListener', 'subscribe', 'use', 'handle', 'createServer']);
const HTTP_ROUTES = new Set(['get', 'post', 'put', 'patch', 'delete', 'all', 'options', 'head']);
const FAN_OUT = new Set(['map', 'forEach', 'flatMap']);
const PROMISE_COMBINATORS = new Set(['all', 'allSettled', 'race', 'any']);

type Registration = 'handler' | 'timer' | 'fan-out' | 'deferred';

const ONE_SHOT_TIMERS = new Set(['setTimeout', 'setImmediate', 'queueMicrotask', 'nextTick']);

function registrationKind(call: ts.CallExpression): Registration | undefined {
  const name = calleeName(call);
  if (!name) return undefined;
  if (name === 'setInterval') return 'timer';
  if (ONE_SHOT_TIMERS.has(name)) return 'deferred';
  if (FAN_OUT.has(name) && ts.isPropertyAccessExpression(stripParens(call.expression))) return 'fan-out';
  if (EVENT_REGISTRATION.has(name) || /^on(Did|Will)[A-Z]/.test(name)) return 'handler';
  if (HTTP_ROUTES.has(name) && ts.isPropertyAccessExpression(stripParens(call.expression))) {
    const first = call.arguments[0];
    if (first && (ts.isStringLiteralLike(first) || ts.isTemplateExpression(first) || ts.isRegularExpressionLiteral(first))) return 'handler';
  }
  return undefined;
}

function describeRegistration(kind: Exclude<Registration, 'deferred'>, call: ts.CallExpression, sourceFile: ts.SourceFile): string {
  const name = calleeName(call) ?? 'call';
  const line = lineOf(call, sourceFile);
  if (kind === 'fan-out') return `it is started for every element by \`${name}\` at line ${line}, all at once`;
  if (kind === 'timer') return `it runs from the timer \`${name}\` at line ${line}, whether or not the previous run finished`;
  const event = call.arguments[0] && ts.isStringLiteralLike(call.arguments[0]) ? ` '${call.arguments[0].text}'` : '';
  return `it is registered as ${event ? `the${event}` : 'a'} handler with \`${name}\` at line ${line}, so each event starts another run`;
}

function isPromiseCombinatorCall(node: ts.Node): node is ts.CallExpression {
  if (!ts.isCallExpression(node)) return false;
  const callee = stripParens(node.expression);
  return ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === 'Promise' && PROMISE_COMBINATORS.has(callee.name.text);
}

/** A call whose promise nobody waits for before the caller goes on. */
function isStartedWithoutAwait(call: ts.CallExpression): boolean {
  const parent = call.parent;
  if (ts.isExpressionStatement(parent) || ts.isVoidExpression(parent)) return true;
  if (ts.isPropertyAccessExpression(parent) && parent.expression === call && ['then', 'catch', 'finally'].includes(parent.name.text)) {
    return !ts.isAwaitExpression(parent.parent.parent);
  }
  if (ts.isArrayLiteralExpression(parent) && isPromiseCombinatorCall(parent.parent)) return true;
  return false;
}

function insideLoop(node: ts.Node, stopAt: ts.Node | undefined): boolean {
  let current = node.parent;
  while (current && current !== stopAt) {
    if (ts.isIterationStatement(current, false)) return true;
    current = current.parent;
  }
  return false;
}

function isExportedDeclaration(node: ts.Node): boolean {
  return ts.canHaveModifiers(node) && (ts.getCombinedModifierFlags(node as ts.Declaration) & ts.ModifierFlags.Export) !== 0;
}

function isPublicMember(member: ts.ClassElement): boolean {
  if (member.name && ts.isPrivateIdentifier(member.name)) return false;
  const flags = ts.getCombinedModifierFlags(member as ts.Declaration);
  return (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) === 0;
}

function enclosingClass(node: ts.Node): ts.ClassLikeDeclaration | undefined {
  for (let current: ts.Node | undefined = node.parent; current; current = current.parent) if (ts.isClassLike(current)) return current;
  return undefined;
}

function isMember(fn: FunctionNode): boolean {
  return ts.isMethodDeclaration(fn) ? ts.isClassLike(fn.parent) : ts.isPropertyDeclaration(fn.parent);
}

/**
 * Which async functions a call or reference can reach. Names are matched precisely enough not
 * to confuse `fs.realpath(…)` with a class's own `realpath` method: `f()` reaches functions,
 * `this.m()` the methods of the enclosing class, `x.m()` those of the class `x` was created from.
 */
class CallTargets {
  private readonly functions = new Map<string, FunctionNode[]>();
  private readonly methods = new Map<ts.ClassLikeDeclaration, Map<string, FunctionNode[]>>();
  private readonly instanceOf = new Map<string, ts.ClassLikeDeclaration>();

  constructor(asyncFunctions: FunctionNode[], newExpressions: ts.NewExpression[]) {
    const classesByName = new Map<string, ts.ClassLikeDeclaration>();
    for (const fn of asyncFunctions) {
      const name = bindingName(fn);
      if (!name) continue;
      if (isMember(fn)) {
        const cls = enclosingClass(fn)!;
        if (cls.name) classesByName.set(cls.name.text, cls);
        const members = this.methods.get(cls) ?? new Map<string, FunctionNode[]>();
        members.set(name, [...(members.get(name) ?? []), fn]);
        this.methods.set(cls, members);
      } else this.functions.set(name, [...(this.functions.get(name) ?? []), fn]);
    }
    for (const created of newExpressions) {
      const holder = created.parent;
      const cls = ts.isIdentifier(created.expression) ? classesByName.get(created.expression.text) : undefined;
      if (cls && ts.isVariableDeclaration(holder) && ts.isIdentifier(holder.name)) this.instanceOf.set(holder.name.text, cls);
    }
  }

  /** `f`, `this.m`, `x.m` (the callee or a reference passed as a callback). */
  resolve(reference: ts.Expression): FunctionNode[] {
    const expr = stripParens(reference);
    if (ts.isIdentifier(expr)) return this.functions.get(expr.text) ?? [];
    if (!ts.isPropertyAccessExpression(expr)) return [];
    const receiver = stripParens(expr.expression);
    const cls = receiver.kind === ts.SyntaxKind.ThisKeyword ? enclosingClass(expr) : ts.isIdentifier(receiver) ? this.instanceOf.get(receiver.text) : undefined;
    return (cls && this.methods.get(cls)?.get(expr.name.text)) || [];
  }
}

export class EvidenceIndex {
  private readonly byFunction = new Map<FunctionNode, OverlapEvidence[]>();
  private readonly exportedNames = new Set<string>();

  private readonly targets: CallTargets;

  constructor(
    private readonly sourceFile: ts.SourceFile,
    asyncFunctions: FunctionNode[],
    calls: ts.CallExpression[],
    newExpressions: ts.NewExpression[],
  ) {
    this.targets = new CallTargets(asyncFunctions, newExpressions);
    this.collectExports();
    for (const fn of asyncFunctions) this.exportEvidence(fn);
    for (const call of calls) this.callEvidence(call);
  }

  evidenceFor(fn: FunctionNode): OverlapEvidence[] {
    return this.byFunction.get(fn) ?? [];
  }

  private add(fn: FunctionNode, evidence: OverlapEvidence): void {
    const list = this.byFunction.get(fn) ?? [];
    if (!list.some((e) => e.kind === evidence.kind && e.site === evidence.site)) list.push(evidence);
    this.byFunction.set(fn, list);
  }

  private collectExports(): void {
    for (const statement of this.sourceFile.statements) {
      if (ts.isExportDeclaration(statement) && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
        for (const element of statement.exportClause.elements) this.exportedNames.add((element.propertyName ?? element.name).text);
      } else if (ts.isExportAssignment(statement) && ts.isIdentifier(statement.expression)) {
        this.exportedNames.add(statement.expression.text);
      } else if (ts.isExpressionStatement(statement) && ts.isBinaryExpression(statement.expression) && statement.expression.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
        this.collectCommonJsExport(statement.expression);
      }
    }
  }

  /** `module.exports = x`, `module.exports = { a, b: c }`, `exports.a = x`, `module.exports.a = x`. */
  private collectCommonJsExport(assignment: ts.BinaryExpression): void {
    const target = assignment.left.getText(this.sourceFile);
    if (!/^(module\.)?exports(\.|$)/.test(target)) return;
    const value = stripParens(assignment.right);
    if (ts.isIdentifier(value)) this.exportedNames.add(value.text);
    if (ts.isObjectLiteralExpression(value)) {
      for (const property of value.properties) {
        if (ts.isShorthandPropertyAssignment(property)) this.exportedNames.add(property.name.text);
        else if (ts.isPropertyAssignment(property) && ts.isIdentifier(property.initializer)) this.exportedNames.add(property.initializer.text);
      }
    }
  }

  private exportEvidence(fn: FunctionNode): void {
    const because = 'it is exported, so callers in other modules can start it again before it finishes';
    const name = bindingName(fn);
    if (ts.isFunctionDeclaration(fn) && (isExportedDeclaration(fn) || (name && this.exportedNames.has(name)))) {
      this.add(fn, { kind: 'exported', site: fn.name ?? fn, because });
      return;
    }
    const declaration = fn.parent;
    if (ts.isVariableDeclaration(declaration) && ts.isIdentifier(declaration.name)) {
      const statement = declaration.parent.parent;
      if ((ts.isVariableStatement(statement) && isExportedDeclaration(statement)) || this.exportedNames.has(declaration.name.text)) {
        this.add(fn, { kind: 'exported', site: declaration.name, because });
      }
      return;
    }
    if ((ts.isMethodDeclaration(fn) || ts.isPropertyDeclaration(declaration)) && ts.isClassLike(ts.isMethodDeclaration(fn) ? fn.parent : declaration.parent)) {
      const member = ts.isMethodDeclaration(fn) ? fn : (declaration as ts.PropertyDeclaration);
      const cls = member.parent as ts.ClassLikeDeclaration;
      const classExported = isExportedDeclaration(cls) || (cls.name !== undefined && this.exportedNames.has(cls.name.text));
      if (classExported && isPublicMember(member) && member.name) {
        this.add(fn, { kind: 'exported', site: member.name, because: 'it is a public method of an exported class, so callers can start it again before it finishes' });
      }
    }
  }

  private callEvidence(call: ts.CallExpression): void {
    const registration = registrationKind(call);
    const caller = nearestFunction(call);
    const repeats = caller !== undefined || insideLoop(call, undefined);
    // A one-shot timer runs its callback once; only a repeating registration is evidence.
    if (registration && registration !== 'deferred') {
      const because = describeRegistration(registration, call, this.sourceFile);
      for (const argument of call.arguments) {
        for (const fn of this.functionsReferencedBy(argument)) this.add(fn, { kind: registration, site: call, because });
      }
    }
    const returnedToRegistration =
      ts.isArrowFunction(call.parent) && call.parent.body === call && ts.isCallExpression(call.parent.parent) && registrationKind(call.parent.parent) !== undefined;
    if (!isStartedWithoutAwait(call) && !returnedToRegistration) return;
    const targets = this.targets.resolve(call.expression);
    if (targets.length === 0) return;
    const inCombinator = ts.isArrayLiteralExpression(call.parent);
    // A single top-level `main()` runs once; a call inside a function or a loop can repeat.
    if (!repeats && !inCombinator) return;
    const enclosing = caller && ts.isCallExpression(caller.parent) ? registrationKind(caller.parent) : undefined;
    if (enclosing === 'deferred') return;
    const line = lineOf(call, this.sourceFile);
    let kind: OverlapKind = 'unawaited';
    let because = `it is started without \`await\` at line ${line}, so the caller goes on and can start it again`;
    if (inCombinator) {
      kind = 'fan-out';
      because = `it is started together with other calls in \`Promise.${calleeName(call.parent.parent as ts.CallExpression)}\` at line ${line}`;
    } else if (enclosing) {
      kind = enclosing;
      because = describeRegistration(enclosing, caller!.parent as ts.CallExpression, this.sourceFile);
    }
    for (const fn of targets) {
      // A function that starts itself again (recursion, re-scheduling) has finished its own work first.
      if (call.pos < fn.pos || call.end > fn.end) this.add(fn, { kind, site: call, because });
    }
  }

  /** `async () => …` inline, `save`, `this.save`, `this.save.bind(this)`. */
  private functionsReferencedBy(argument: ts.Expression): FunctionNode[] {
    let expr = stripParens(argument);
    if (isFunctionNode(expr)) return [expr];
    if (ts.isCallExpression(expr) && calleeName(expr) === 'bind') {
      const callee = stripParens(expr.expression);
      if (ts.isPropertyAccessExpression(callee)) expr = callee.expression;
    }
    return this.targets.resolve(expr);
  }
}
