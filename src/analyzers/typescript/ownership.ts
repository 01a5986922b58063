import ts from 'typescript';
import type { Finding } from '../../shared/findings';
import { isFunctionNode, nearestFunction, stripParens, walkIteratively } from './syntax';

/**
 * One object per request (rules.md, principle 6): a class whose instances the code creates for
 * one operation (a query runner, a poll operation, a per-request context) and never stores
 * where other operations reach it. "Public method of an exported class, so it can overlap with
 * itself" does not hold for such an object, so a race that rests only on that evidence is
 * information. The creation sites can be in any file of the run, hence the cross-file step.
 */

export interface Construction {
  className: string;
  /** The object lives for one operation: used right away, kept in a local, returned, handed to a constructor. */
  perCall: boolean;
}

/** What `check` needs to know about a finding to refine it with the constructions of the whole run. */
export interface OwnershipFacts {
  /** The class whose instance the racing state belongs to. */
  className?: string;
  /** The only evidence of overlap is "exported" (directly or through callers). */
  exportedOnly: boolean;
  /** The check rejects a second call (`if (this.finished) throw …`): the author expects callers to overlap. */
  anticipated: boolean;
}

function className(expr: ts.Expression): string | undefined {
  const callee = stripParens(expr);
  if (ts.isIdentifier(callee)) return callee.text;
  if (ts.isPropertyAccessExpression(callee)) return callee.name.text;
  return undefined;
}

/**
 * A local holding the new object is only used for this operation: calls on it, fields set on
 * it, returned, awaited, and only by the function itself (a callback using it, say in a fan-out,
 * shares it between tasks).
 */
function localStaysLocal(name: string, fn: ts.Node): boolean {
  return (identifiersIn(fn).get(name) ?? []).every((node) => {
    if (nearestFunction(node) !== fn) return false;
    const parent = node.parent;
    if (ts.isVariableDeclaration(parent) && parent.name === node) return true;
    return (
      (ts.isPropertyAccessExpression(parent) && parent.expression === node) ||
      (ts.isElementAccessExpression(parent) && parent.expression === node) ||
      ts.isReturnStatement(parent) ||
      ts.isAwaitExpression(parent) ||
      (ts.isNewExpression(parent) && parent.expression !== node) ||
      // `super(operation)`: handed to the object being constructed, which owns it from then on.
      (ts.isCallExpression(parent) && parent.expression.kind === ts.SyntaxKind.SuperKeyword) ||
      (ts.isArrowFunction(parent) && parent.body === node)
    );
  });
}

// A bundle's wrapper function creates hundreds of objects into locals: its identifiers are
// indexed once, not walked again for each of them.
const identifierIndex = new WeakMap<ts.Node, Map<string, ts.Identifier[]>>();

/** Every identifier under `fn` (nested functions included), by name. */
function identifiersIn(fn: ts.Node): Map<string, ts.Identifier[]> {
  let index = identifierIndex.get(fn);
  if (index) return index;
  const built = new Map<string, ts.Identifier[]>();
  walkIteratively(fn, (node) => {
    if (!ts.isIdentifier(node)) return true;
    const list = built.get(node.text);
    if (list) list.push(node);
    else built.set(node.text, [node]);
    return false;
  });
  index = built;
  identifierIndex.set(fn, index);
  return index;
}

function isPerCall(created: ts.NewExpression): boolean {
  let node: ts.Node = created;
  while (ts.isParenthesizedExpression(node.parent) || ts.isAwaitExpression(node.parent)) node = node.parent;
  const parent = node.parent;
  if (ts.isReturnStatement(parent) || (ts.isArrowFunction(parent) && parent.body === node) || ts.isNewExpression(parent)) return true;
  if (ts.isPropertyAccessExpression(parent) && parent.expression === node) return true;
  if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) {
    const fn = nearestFunction(parent);
    return fn !== undefined && localStaysLocal(parent.name.text, fn);
  }
  return false;
}

/** `function C() { if (!(this instanceof C)) return new C(); … }`: `C()` without `new` is `new C()`, not a use of it. */
function insideOwnConstructor(created: ts.NewExpression, name: string): boolean {
  const fn = nearestFunction(created);
  if (!fn) return false;
  if (ts.isConstructorDeclaration(fn)) return ts.isClassLike(fn.parent) && fn.parent.name?.text === name;
  if (fn.name && ts.isIdentifier(fn.name) && fn.name.text === name) return true;
  return ts.isVariableDeclaration(fn.parent) && ts.isIdentifier(fn.parent.name) && fn.parent.name.text === name;
}

/**
 * The language's own constructors: their state is never a finding's (their code is not in the
 * run), and `const seen = new Map()` is in nearly every function, so they are not looked at.
 */
const BUILT_IN_CLASSES = new Set([
  'Array', 'ArrayBuffer', 'SharedArrayBuffer', 'DataView', 'Date', 'RegExp', 'Map', 'Set', 'WeakMap', 'WeakSet', 'WeakRef',
  'FinalizationRegistry', 'Promise', 'Proxy', 'Object', 'Function', 'Boolean', 'Number', 'String', 'Error', 'TypeError',
  'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError', 'AggregateError', 'Int8Array', 'Uint8Array',
  'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array',
  'BigInt64Array', 'BigUint64Array',
]);

export function constructionsIn(newExpressions: readonly ts.NewExpression[]): Construction[] {
  return newExpressions.flatMap((created) => {
    const name = className(created.expression);
    return name && !BUILT_IN_CLASSES.has(name) && !insideOwnConstructor(created, name) ? [{ className: name, perCall: isPerCall(created) }] : [];
  });
}

/**
 * For files not worth parsing (nothing any rule looks at): constructions found in the text.
 * Only `return new C(…)`, `=> new C(…)` and `const c = new C(…); … super(c)` count as per
 * call; anything else is taken as shared.
 */
export function scanConstructions(text: string): Construction[] {
  const found: Construction[] = [];
  for (const match of text.matchAll(/(\breturn\s+|=>\s*|\b(?:const|let|var)\s+([\w$]+)\s*=\s*)?\bnew\s+([A-Z][\w$]*)\s*\(/g)) {
    const [, before, local, className] = match;
    if (BUILT_IN_CLASSES.has(className)) continue;
    // `if (!(this instanceof C)) return new C(…)`: the constructor making `new` optional.
    if (before?.startsWith('return') && new RegExp(`instanceof\\s+${className.replace(/\$/g, '\\$')}\\b`).test(text)) continue;
    const handedToSuper = local !== undefined && new RegExp(`\\bsuper\\(\\s*${local.replace(/\$/g, '\\$')}\\s*[,)]`).test(text);
    found.push({ className, perCall: (before !== undefined && local === undefined) || handedToSuper });
  }
  return found;
}

/** The facts of a flow finding: its class, whether its evidence is only "exported", whether its check throws. */
export function ownershipFacts(className: string | undefined, evidenceKinds: readonly string[], test: ts.Node | undefined): OwnershipFacts {
  let guard: ts.Node | undefined = test;
  while (guard && !ts.isIfStatement(guard) && !isFunctionNode(guard)) guard = guard.parent;
  let anticipated = false;
  if (guard && ts.isIfStatement(guard)) {
    // The branch rejects the call outright: `throw new Error('already …')`, `return Promise.reject(…)`.
    let last: ts.Statement | undefined = guard.thenStatement;
    while (last && ts.isBlock(last)) last = last.statements[last.statements.length - 1];
    anticipated =
      last !== undefined &&
      (ts.isThrowStatement(last) || (ts.isReturnStatement(last) && last.expression !== undefined && /\.reject\(/.test(last.expression.getText())));
  }
  return { className, exportedOnly: evidenceKinds.length > 0 && evidenceKinds.every((k) => k === 'exported' || k === 'caller'), anticipated };
}

/** Class names mean one class within an installed package (two packages can each have a `Runner`), or within the project. */
export function packageScope(file: string): string {
  const parts = file.replace(/\\/g, '/').split('/');
  const modules = parts.lastIndexOf('node_modules');
  if (modules < 0 || modules + 1 >= parts.length - 1) return '';
  return parts.slice(0, modules + (parts[modules + 1].startsWith('@') ? 3 : 2)).join('/');
}

/** Per package and class name, whether every creation of the class in the run is for one operation. */
export function perCallClasses(constructions: readonly (Construction & { scope: string })[]): ReadonlyMap<string, boolean> {
  const perCall = new Map<string, boolean>();
  for (const { className: name, perCall: local, scope } of constructions) perCall.set(`${scope}\n${name}`, (perCall.get(`${scope}\n${name}`) ?? true) && local);
  return perCall;
}

/** Findings on per-call objects that rest only on "exported" evidence become information. */
export function refineByOwnership(entries: { finding: Finding; facts?: OwnershipFacts }[], perCall: ReadonlyMap<string, boolean>): Finding[] {
  return entries.map(({ finding, facts }) => {
    if (!facts?.className || !facts.exportedOnly || facts.anticipated || perCall.get(`${packageScope(finding.file)}\n${facts.className}`) !== true) return finding;
    if (finding.severity !== 'warning') return finding;
    return { ...finding, severity: 'information' };
  });
}
