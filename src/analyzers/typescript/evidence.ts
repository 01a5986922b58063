import ts from 'typescript';
import type { CallTargets } from './call-targets';
import type { ModuleExports } from './exports';
import { exits, isClearingWrite } from './flow-state';
import { ONE_SHOT_EVENTS } from './lifecycle';
import { calleeName, classBindingName, functionLabel, isAsyncFunction, isFunctionNode, lineOf, memberName, nearestFunction, ownerOf, prototypeOwner, stripParens, thisAliases, walkIteratively, walkSubtree, type FunctionNode } from './syntax';

/**
 * Evidence that a function can overlap with another invocation of itself — the gate of every
 * check-then-act and lost-update finding (rules.md, principle 2). Without evidence we stay
 * silent. A helper inherits the evidence of the functions that call it, unless the call is
 * serialised by a lock the code builds from promises (principle 7).
 */
export type OverlapKind = 'fan-out' | 'handler' | 'timer' | 'unawaited' | 'exported' | 'caller';

export interface OverlapEvidence {
  kind: OverlapKind;
  site: ts.Node;
  /** Completes "… can overlap with itself: <because>". */
  because: string;
  /** For evidence inherited from callers: the kind at its source. */
  origin?: OverlapKind;
}

const EVENT_REGISTRATION = new Set(['on', 'once', 'addListener', 'prependListener', 'addEventListener', 'subscribe', 'use', 'handle', 'createServer']);
const HTTP_ROUTES = new Set(['get', 'post', 'put', 'patch', 'delete', 'all', 'options', 'head']);
const FAN_OUT = new Set(['map', 'forEach', 'flatMap']);
const PROMISE_COMBINATORS = new Set(['all', 'allSettled', 'race', 'any']);
const LOCK_REGIONS = new Set(['runExclusive', 'request']);
/** Propagation through callers stops after this many hops: evidence far from its source is weak. */
const MAX_CALLER_HOPS = 3;

type Registration = 'handler' | 'timer' | 'fan-out' | 'deferred';

const ONE_SHOT_TIMERS = new Set(['setTimeout', 'setImmediate', 'queueMicrotask', 'nextTick']);

function registrationKind(call: ts.CallExpression): Registration | undefined {
  const name = calleeName(call);
  if (!name) return undefined;
  if (name === 'setInterval') return 'timer';
  if (ONE_SHOT_TIMERS.has(name)) return 'deferred';
  if (FAN_OUT.has(name) && ts.isPropertyAccessExpression(stripParens(call.expression))) return 'fan-out';
  if (EVENT_REGISTRATION.has(name) || /^on(Did|Will)[A-Z]/.test(name)) {
    // An event that fires once (`once`, 'ready', 'close') starts one run, not one per event.
    const event = call.arguments[0];
    if (name === 'once' || (event && ts.isStringLiteralLike(event) && ONE_SHOT_EVENTS.has(event.text))) return 'deferred';
    return 'handler';
  }
  if (HTTP_ROUTES.has(name) && ts.isPropertyAccessExpression(stripParens(call.expression))) {
    const first = call.arguments[0];
    if (first && (ts.isStringLiteralLike(first) || ts.isTemplateExpression(first) || ts.isRegularExpressionLiteral(first))) return 'handler';
  }
  return undefined;
}

function describeRegistration(kind: Exclude<Registration, 'deferred'>, call: ts.CallExpression, sourceFile: ts.SourceFile): string {
  const name = calleeName(call) ?? 'call';
  const line = lineOf(call, sourceFile);
  if (kind === 'fan-out') return `\`${name}\` at line ${line} starts it for every element at once`;
  if (kind === 'timer') return `the timer \`${name}\` at line ${line} starts it whether or not the previous run finished`;
  const event = call.arguments[0] && ts.isStringLiteralLike(call.arguments[0]) ? ` '${call.arguments[0].text}'` : '';
  return `\`${name}\` at line ${line} registers it as${event ? ` the${event}` : ' a'} handler, so each event starts another run`;
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

/** `constructor() {…}`, or `function Pool() {…}` whose prototype carries the methods. */
function isConstructor(fn: FunctionNode): boolean {
  return ts.isConstructorDeclaration(fn) || (ts.isFunctionDeclaration(fn) && fn.name !== undefined && ownerOf(fn) === fn.name.text);
}

/** Public by modifiers and by the `_name` convention JavaScript uses for what TypeScript marks private. */
function isPublicName(name: string | undefined): boolean {
  return name !== undefined && !name.startsWith('_') && !name.startsWith('#');
}

function isPublicMember(member: ts.ClassElement): boolean {
  if (member.name && ts.isPrivateIdentifier(member.name)) return false;
  const flags = ts.getCombinedModifierFlags(member as ts.Declaration);
  const name = member.name && ts.isIdentifier(member.name) ? member.name.text : undefined;
  return (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) === 0 && isPublicName(name);
}

/** The text naming the object a lock lives on, with `var self = this` aliases read as `this`. */
function objectText(expr: ts.Expression, aliases: ReadonlySet<string>): string {
  const names: string[] = [];
  let node = stripParens(expr);
  while (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) {
    names.unshift(ts.isPropertyAccessExpression(node) ? `.${node.name.text}` : `[${node.argumentExpression.getText()}]`);
    node = stripParens(node.expression);
  }
  const base = ts.isIdentifier(node) && aliases.has(node.text) ? 'this' : node.getText();
  return base + names.join('');
}

/** A slot of the object (`this.p`, `this.pending[key]`), the kind a pending-promise lock lives in. */
function isSlot(expr: ts.Expression): boolean {
  const node = stripParens(expr);
  return ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node);
}

export class EvidenceIndex {
  private readonly byFunction = new Map<FunctionNode, OverlapEvidence[]>();
  private readonly unitSet: Set<FunctionNode>;
  private readonly serialised = new Map<ts.CallExpression, boolean>();
  /** Per callee text and calling function, how many calls start it without `await`. */
  private unawaitedStarts: Map<string, Map<FunctionNode | undefined, number>> | undefined;

  constructor(
    private readonly sourceFile: ts.SourceFile,
    private readonly units: FunctionNode[],
    private readonly calls: ts.CallExpression[],
    private readonly targets: CallTargets,
    private readonly exports: ModuleExports,
  ) {
    this.unitSet = new Set(units);
    const locked = this.lockedCallees();
    for (const fn of units) if (!locked.has(fn)) this.exportEvidence(fn);
    for (const call of calls) this.callEvidence(call);
    this.propagateToCallees(locked);
  }

  evidenceFor(fn: FunctionNode): OverlapEvidence[] {
    return this.byFunction.get(fn) ?? [];
  }

  private add(fn: FunctionNode, evidence: OverlapEvidence): void {
    const list = this.byFunction.get(fn) ?? [];
    if (!list.some((e) => e.kind === evidence.kind && e.site === evidence.site)) list.push(evidence);
    this.byFunction.set(fn, list);
  }

  private exportEvidence(fn: FunctionNode): void {
    const because = 'it is exported, so callers in other modules can start it again before it finishes';
    const name = memberName(fn);
    if (ts.isFunctionDeclaration(fn) && (isExportedDeclaration(fn) || (name && this.exports.has(name)))) {
      this.add(fn, { kind: 'exported', site: fn.name ?? fn, because });
      return;
    }
    if (this.exports.isAssignedToExport(fn)) {
      this.add(fn, { kind: 'exported', site: fn, because });
      return;
    }
    const declaration = fn.parent;
    if (ts.isVariableDeclaration(declaration) && ts.isIdentifier(declaration.name)) {
      const statement = declaration.parent.parent;
      if ((ts.isVariableStatement(statement) && isExportedDeclaration(statement)) || this.exports.has(declaration.name.text)) {
        this.add(fn, { kind: 'exported', site: declaration.name, because });
      }
      return;
    }
    const methodBecause = 'it is a public method of an exported class, so callers can start it again before it finishes';
    const constructorName = prototypeOwner(fn);
    if (constructorName !== undefined) {
      if (this.exports.has(constructorName) && isPublicName(name)) this.add(fn, { kind: 'exported', site: fn.parent, because: methodBecause });
      return;
    }
    if ((ts.isMethodDeclaration(fn) || ts.isPropertyDeclaration(declaration)) && ts.isClassLike(ts.isMethodDeclaration(fn) ? fn.parent : declaration.parent)) {
      const member = ts.isMethodDeclaration(fn) ? fn : (declaration as ts.PropertyDeclaration);
      const cls = member.parent as ts.ClassLikeDeclaration;
      const name = classBindingName(cls);
      const holder = ts.isClassExpression(cls) && ts.isVariableDeclaration(cls.parent) ? cls.parent.parent.parent : undefined;
      const classExported = isExportedDeclaration(cls) || (holder !== undefined && isExportedDeclaration(holder)) || (name !== undefined && this.exports.has(name));
      if (classExported && isPublicMember(member) && member.name) this.add(fn, { kind: 'exported', site: member.name, because: methodBecause });
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
    // One call started without `await` overlaps with another run only if the caller starts it
    // again (a loop, a second call) or runs again itself, which propagation to callees covers.
    const startedAgain = insideLoop(call, caller) || this.startedTwice(call, caller);
    if (!inCombinator && !startedAgain && (!caller || !ts.isCallExpression(caller.parent) || !registrationKind(caller.parent))) return;
    // A callback-style function hands its continuation on: only a loop starts several at once.
    const callbackStyle = targets.filter((fn) => !isAsyncFunction(fn));
    if (callbackStyle.length === targets.length && !inCombinator && !insideLoop(call, caller)) return;
    const enclosing = caller && ts.isCallExpression(caller.parent) ? registrationKind(caller.parent) : undefined;
    if (enclosing === 'deferred') return;
    const line = lineOf(call, this.sourceFile);
    let kind: OverlapKind = 'unawaited';
    let because = `it is started without \`await\` at line ${line}, so the caller goes on and can start it again`;
    if (inCombinator) {
      kind = 'fan-out';
      because = `\`Promise.${calleeName(call.parent.parent as ts.CallExpression)}\` at line ${line} starts it together with other calls`;
    } else if (enclosing) {
      kind = enclosing;
      because = describeRegistration(enclosing, caller!.parent as ts.CallExpression, this.sourceFile);
    }
    for (const fn of targets) {
      // A function that starts itself again (recursion, re-scheduling) has finished its own work first.
      if (call.pos < fn.pos || call.end > fn.end) this.add(fn, { kind, site: call, because });
    }
  }

  /** The same function is started without `await` by another call of the same caller. */
  private startedTwice(call: ts.CallExpression, caller: FunctionNode | undefined): boolean {
    if (!this.unawaitedStarts) {
      this.unawaitedStarts = new Map();
      for (const other of this.calls) {
        if (!isStartedWithoutAwait(other)) continue;
        const key = other.expression.getText(this.sourceFile);
        const byCaller = this.unawaitedStarts.get(key) ?? new Map<FunctionNode | undefined, number>();
        const fn = nearestFunction(other);
        byCaller.set(fn, (byCaller.get(fn) ?? 0) + 1);
        this.unawaitedStarts.set(key, byCaller);
      }
    }
    return (this.unawaitedStarts.get(call.expression.getText(this.sourceFile))?.get(caller) ?? 0) > 1;
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

  /** The unit a call runs in: its function, or the unit around the callbacks it sits in. */
  private unitOf(call: ts.Node): FunctionNode | undefined {
    for (let fn = nearestFunction(call); fn; fn = nearestFunction(fn)) {
      if (this.unitSet.has(fn)) return fn;
      const isCallback = ts.isCallExpression(fn.parent) || (ts.isPropertyAccessExpression(fn.parent) && fn.parent.name.text === 'bind');
      if (!isCallback) return undefined;
    }
    return undefined;
  }

  /** "A helper called from an entry point runs there": callees inherit their callers' evidence. */
  private propagateToCallees(locked: ReadonlySet<FunctionNode>): void {
    const edges: { caller: FunctionNode; callee: FunctionNode; site: ts.CallExpression }[] = [];
    for (const call of this.calls) {
      const callees = this.targets.resolve(call.expression).filter((callee) => !locked.has(callee) && this.unitSet.has(callee));
      if (callees.length === 0 || this.isSerialised(call)) continue;
      const caller = this.unitOf(call);
      // A constructor works on the object it is creating, which no other run has seen yet.
      if (!caller || isConstructor(caller)) continue;
      for (const callee of callees) if (callee !== caller) edges.push({ caller, callee, site: call });
    }
    let frontier = new Set(this.units.filter((fn) => this.evidenceFor(fn).length > 0));
    for (let hop = 0; hop < MAX_CALLER_HOPS && frontier.size > 0; hop++) {
      const reached = new Set<FunctionNode>();
      for (const { caller, callee, site } of edges) {
        if (!frontier.has(caller) || this.evidenceFor(callee).length > 0) continue;
        const label = functionLabel(caller) ?? `the function at line ${lineOf(caller, this.sourceFile)}`;
        const source = this.evidenceFor(caller).find((e) => (e.origin ?? e.kind) !== 'exported') ?? this.evidenceFor(caller)[0];
        this.add(callee, { kind: 'caller', origin: source.origin ?? source.kind, site, because: `\`${label}\` calls it at line ${lineOf(site, this.sourceFile)}, and ${label.startsWith('the ') ? 'that function' : `\`${label}\``} can overlap with itself` });
        reached.add(callee);
      }
      frontier = reached;
    }
  }

  /**
   * Functions that only ever run under a lock the code builds from promises: every call is
   * `this.p = this.m()` behind a test of `this.p` (a pending-promise lock), or chained as
   * `this.p = this.p.then(() => this.m())`, or inside `runExclusive`/`locks.request`.
   */
  private lockedCallees(): Set<FunctionNode> {
    const sites = new Map<FunctionNode, boolean>();
    for (const call of this.calls) {
      // Only units take evidence (and pass it on), so only calls of units need the check.
      const callees = this.targets.resolve(call.expression).filter((callee) => this.unitSet.has(callee));
      if (callees.length === 0) continue;
      const serialised = this.isSerialised(call);
      for (const callee of callees) sites.set(callee, (sites.get(callee) ?? true) && serialised);
    }
    return new Set([...sites].filter(([, serialised]) => serialised).map(([fn]) => fn));
  }

  private isSerialised(call: ts.CallExpression): boolean {
    let known = this.serialised.get(call);
    if (known === undefined) {
      known = this.findSerialisation(call);
      this.serialised.set(call, known);
    }
    return known;
  }

  private findSerialisation(call: ts.CallExpression): boolean {
    const caller = nearestFunction(call);
    const aliases = new Set(caller ? thisAliases(caller).keys() : []);
    // `this.p = this.m()` (or `this.m().finally(…)`, or through a local) after `if (this.p) return this.p`.
    let value: ts.Node = call;
    while (ts.isPropertyAccessExpression(value.parent) && ts.isCallExpression(value.parent.parent)) value = value.parent.parent;
    const store = caller && storeOf(value, caller);
    if (store && caller && testsBefore(caller, objectText(store.left, aliases), store, aliases)) return true;
    // `if (this.busy) return; this.busy = true; … this.m()`: the claim keeps every other run out.
    const unit = this.unitOf(call);
    if (unit && claimedBefore(unit, call, aliases)) return true;
    for (let current: ts.Node = call; current.parent; current = current.parent) {
      if (!isFunctionNode(current) || !ts.isCallExpression(current.parent)) continue;
      const region = current.parent;
      const name = calleeName(region);
      if (name && LOCK_REGIONS.has(name)) return true;
      // `this.lock = this.lock.then(() => this.m())`
      const receiver = ts.isPropertyAccessExpression(stripParens(region.expression)) ? (stripParens(region.expression) as ts.PropertyAccessExpression).expression : undefined;
      const chained = region.parent;
      if (name === 'then' && receiver && ts.isBinaryExpression(chained) && chained.right === region) {
        if (objectText(chained.left, aliases) === objectText(receiver, aliases)) return true;
      }
    }
    return false;
  }
}

/** An early exit on `this.f` at the top level of `fn`, then `this.f = <something>`, both before `site`. */
function claimedBefore(fn: FunctionNode, site: ts.Node, aliases: ReadonlySet<string>): boolean {
  const claim = firstClaim(fn, aliases);
  return claim !== undefined && claim < site.pos;
}

// Asked for every call of a function: a bundle's wrapper has thousands of statements, so its
// first claim is found once (per set of `this` aliases, which depends on the calling function).
const claims = new WeakMap<FunctionNode, Map<string, number | undefined>>();

/** Where the first claim of `fn` starts: the store of a slot that an earlier early exit tested. */
function firstClaim(fn: FunctionNode, aliases: ReadonlySet<string>): number | undefined {
  const key = [...aliases].join(' ');
  const known = claims.get(fn) ?? new Map<string, number | undefined>();
  claims.set(fn, known);
  if (known.has(key)) return known.get(key);
  let found: number | undefined;
  if (fn.body && ts.isBlock(fn.body)) {
    const tested = new Set<string>();
    for (const statement of fn.body.statements) {
      if (ts.isIfStatement(statement) && !statement.elseStatement && exits(statement.thenStatement)) {
        walkSubtree(statement.expression, (node) => {
          if (ts.isPropertyAccessExpression(node)) tested.add(objectText(node, aliases));
          return true;
        });
        continue;
      }
      const expression = ts.isExpressionStatement(statement) ? stripParens(statement.expression) : undefined;
      if (expression && ts.isBinaryExpression(expression) && expression.operatorToken.kind === ts.SyntaxKind.EqualsToken && !isClearingWrite(expression)) {
        if (ts.isPropertyAccessExpression(stripParens(expression.left)) && tested.has(objectText(expression.left, aliases))) {
          found = statement.pos;
          break;
        }
      }
    }
  }
  known.set(key, found);
  return found;
}

/** An `if` before `site` in `fn` whose condition reads `slot` (`this.connecting`). */
function testsBefore(fn: FunctionNode, slot: string, site: ts.Node, aliases: ReadonlySet<string>): boolean {
  let found = false;
  if (!fn.body) return false;
  // `const pending = this.pending[key]; if (pending) …` tests the slot through a local.
  const snapshots = new Set<string>();
  walkIteratively(fn.body, (node) => {
    if (found || node.pos >= site.pos || isFunctionNode(node)) return false;
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer && isSlot(node.initializer) && objectText(node.initializer, aliases) === slot) snapshots.add(node.name.text);
    if (!ts.isIfStatement(node)) return true;
    walkSubtree(node.expression, (inner) => {
      if ((isSlot(inner as ts.Expression) && objectText(inner as ts.Expression, aliases) === slot) || (ts.isIdentifier(inner) && snapshots.has(inner.text))) found = true;
      return !found;
    });
    return !found;
  });
  return found;
}

/** The assignment that stores `value` in a slot: `this.p = value`, or `const v = value; … this.p = v`. */
function storeOf(value: ts.Node, fn: FunctionNode): ts.BinaryExpression | undefined {
  const parent = value.parent;
  if (ts.isBinaryExpression(parent) && parent.right === value && parent.operatorToken.kind === ts.SyntaxKind.EqualsToken && isSlot(parent.left)) return parent;
  if (!ts.isVariableDeclaration(parent) || !ts.isIdentifier(parent.name)) return undefined;
  return slotStoresOf(fn).get(parent.name.text);
}

// Asked for every `const x = call()` of a function: a bundle's wrapper has thousands, so the
// function's stores are indexed once.
const slotStores = new WeakMap<FunctionNode, Map<string, ts.BinaryExpression>>();

/** The first `this.p = local` (a slot set from a local) of each local in `fn`'s own body. */
function slotStoresOf(fn: FunctionNode): Map<string, ts.BinaryExpression> {
  let stores = slotStores.get(fn);
  if (stores) return stores;
  const found = new Map<string, ts.BinaryExpression>();
  if (fn.body) {
    walkIteratively(fn.body, (node) => {
      if (isFunctionNode(node)) return false;
      if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken && isSlot(node.left)) {
        const right = stripParens(node.right);
        if (ts.isIdentifier(right) && !found.has(right.text)) found.set(right.text, node);
      }
      return true;
    });
  }
  stores = found;
  slotStores.set(fn, stores);
  return stores;
}
