import ts from 'typescript';
import type { Range } from '../../shared/findings';

export type FunctionNode = ts.FunctionLikeDeclaration;

const FUNCTION_KINDS = new Set([
  ts.SyntaxKind.FunctionDeclaration,
  ts.SyntaxKind.FunctionExpression,
  ts.SyntaxKind.ArrowFunction,
  ts.SyntaxKind.MethodDeclaration,
  ts.SyntaxKind.Constructor,
  ts.SyntaxKind.GetAccessor,
  ts.SyntaxKind.SetAccessor,
]);

export function isFunctionNode(node: ts.Node): node is FunctionNode {
  return FUNCTION_KINDS.has(node.kind);
}

export function isAsyncFunction(node: FunctionNode): boolean {
  return (ts.getCombinedModifierFlags(node) & ts.ModifierFlags.Async) !== 0;
}

/**
 * Visits every descendant of `root` in source order without recursion: deeply nested input
 * (thousands of levels in generated or hostile code) must not overflow the stack. `visit`
 * returns false to skip a node's children.
 */
export function walkIteratively(root: ts.Node, visit: (node: ts.Node) => boolean): void {
  const stack: ts.Node[] = [];
  // A block body: `forEachChild` stops at the first truthy result, and `push` returns one.
  const push = (child: ts.Node): void => {
    stack.push(child);
  };
  const pushChildren = (node: ts.Node): void => {
    const first = stack.length;
    ts.forEachChild(node, push);
    // Children were pushed in source order; reverse them in place so they pop in source order.
    for (let low = first, high = stack.length - 1; low < high; low++, high--) {
      const swap = stack[low];
      stack[low] = stack[high];
      stack[high] = swap;
    }
  };
  pushChildren(root);
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (visit(node)) pushChildren(node);
  }
}

/** Like `walkIteratively`, visiting `root` itself first (a test or an arrow's expression body is often the node sought). */
export function walkSubtree(root: ts.Node, visit: (node: ts.Node) => boolean): void {
  if (visit(root)) walkIteratively(root, visit);
}

export function rangeOf(node: ts.Node, sourceFile: ts.SourceFile): Range {
  const start = sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile));
  const end = sourceFile.getLineAndCharacterOfPosition(node.getEnd());
  return { start, end };
}

/** One-based line, as people read it in messages. */
export function lineOf(node: ts.Node, sourceFile: ts.SourceFile): number {
  return sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile)).line + 1;
}

export function stripParens(node: ts.Expression): ts.Expression {
  let current = node;
  while (
    ts.isParenthesizedExpression(current) ||
    ts.isAsExpression(current) ||
    ts.isNonNullExpression(current) ||
    ts.isTypeAssertionExpression(current) ||
    ts.isSatisfiesExpression(current)
  ) {
    current = current.expression;
  }
  return current;
}

/** `a.b.c(...)` → `c`; `f(...)` → `f`. */
export function calleeName(call: ts.CallExpression | ts.NewExpression): string | undefined {
  const callee = stripParens(call.expression);
  if (ts.isIdentifier(callee)) return callee.text;
  if (ts.isPropertyAccessExpression(callee)) return callee.name.text;
  return undefined;
}

/** `a.b.c(...)` → the expression `a.b`. */
export function calleeReceiver(call: ts.CallExpression): ts.Expression | undefined {
  const callee = stripParens(call.expression);
  return ts.isPropertyAccessExpression(callee) ? callee.expression : undefined;
}

export function nearestFunction(node: ts.Node): FunctionNode | undefined {
  let current: ts.Node | undefined = node.parent;
  while (current) {
    if (isFunctionNode(current)) return current;
    current = current.parent;
  }
  return undefined;
}

/**
 * The name code uses for a class: the variable a class expression is assigned to (`var Parser =
 * class {…}`, `Parser = class _Parser {…}` in bundles), else its own name.
 */
export function classBindingName(cls: ts.ClassLikeDeclaration): string | undefined {
  const holder = cls.parent;
  if (holder && ts.isVariableDeclaration(holder) && holder.initializer === cls && ts.isIdentifier(holder.name)) return holder.name.text;
  if (holder && ts.isBinaryExpression(holder) && holder.right === cls && ts.isIdentifier(holder.left)) return holder.left.text;
  return cls.name?.text;
}

/** A short name for a function, for messages: `save`, `Store.add`; undefined when anonymous. */
export function functionLabel(fn: FunctionNode): string | undefined {
  const parent = fn.parent;
  // `Pool.prototype.connect = function …` → `Pool.connect`; `exports.mkdirp = function …` → `mkdirp`.
  if (parent && ts.isBinaryExpression(parent) && parent.right === fn && ts.isPropertyAccessExpression(parent.left)) {
    const owner = prototypeOwner(fn);
    return owner ? `${owner}.${parent.left.name.text}` : parent.left.name.text;
  }
  const own = fn.name && (ts.isIdentifier(fn.name) || ts.isPrivateIdentifier(fn.name)) ? fn.name.text : undefined;
  if (own) {
    const className = fn.parent && ts.isClassLike(fn.parent) ? classBindingName(fn.parent) : undefined;
    return className ? `${className}.${own}` : own;
  }
  if (parent && ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (parent && ts.isPropertyAssignment(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (parent && ts.isPropertyDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  return undefined;
}

/** The name a function is referred to by elsewhere in the file, if any. */
export function bindingName(fn: FunctionNode): string | undefined {
  if (fn.name && ts.isIdentifier(fn.name)) return fn.name.text;
  const parent = fn.parent;
  if (parent && ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (parent && ts.isPropertyDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (parent && ts.isPropertyAssignment(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  return undefined;
}

/** Shortens code quoted in messages so that a minified line does not become the message. */
export function quote(text: string, max = 60): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}

/** `X.prototype.m = function …` → `X`: the constructor whose instances share the method. */
export function prototypeOwner(fn: FunctionNode): string | undefined {
  const parent = fn.parent;
  if (!parent || !ts.isBinaryExpression(parent) || parent.right !== fn || !ts.isPropertyAccessExpression(parent.left)) return undefined;
  const holder = parent.left.expression;
  if (ts.isPropertyAccessExpression(holder) && holder.name.text === 'prototype' && ts.isIdentifier(holder.expression)) return holder.expression.text;
  return undefined;
}

/**
 * The name a function has as a member or an export: a method, a class field, an object
 * literal property, `X.prototype.m = function`, `exports.m = function`; else its binding name.
 */
export function memberName(fn: FunctionNode): string | undefined {
  const parent = fn.parent;
  if (parent && ts.isBinaryExpression(parent) && parent.right === fn && ts.isPropertyAccessExpression(parent.left)) return parent.left.name.text;
  if (fn.name && (ts.isIdentifier(fn.name) || ts.isPrivateIdentifier(fn.name))) return fn.name.text;
  return bindingName(fn);
}

/** The class a method belongs to, or the constructor name of a prototype method: what `this` is an instance of. */
export function ownerOf(fn: FunctionNode): ts.ClassLikeDeclaration | string | undefined {
  if (ts.isMethodDeclaration(fn) || ts.isConstructorDeclaration(fn) || ts.isGetAccessorDeclaration(fn) || ts.isSetAccessorDeclaration(fn)) {
    return ts.isClassLike(fn.parent) ? fn.parent : undefined;
  }
  if (fn.parent && ts.isPropertyDeclaration(fn.parent) && ts.isClassLike(fn.parent.parent)) return fn.parent.parent;
  const prototype = prototypeOwner(fn);
  if (prototype) return prototype;
  // `function Pool() { … }` used as a constructor: its body's `this` is the instance.
  if (ts.isFunctionDeclaration(fn) && fn.name && /^[A-Z]/.test(fn.name.text)) return fn.name.text;
  return undefined;
}

/**
 * The names bound to `this` (`var self = this`) in the functions around `node`, each with the
 * function whose `this` it holds: closures reach the object through them.
 */
export function thisAliases(node: ts.Node): Map<string, FunctionNode> {
  const names = new Map<string, FunctionNode>();
  for (let current: ts.Node | undefined = node; current; current = current.parent) {
    if (!isFunctionNode(current)) continue;
    for (const name of ownThisAliases(current)) if (!names.has(name)) names.set(name, current);
  }
  return names;
}

// Asked for every receiver in a file: a bundle's wrapper function has thousands of statements,
// so each function's own aliases are read once.
const ownAliases = new WeakMap<FunctionNode, readonly string[]>();

/** The names a function's own top-level statements bind to `this`. */
function ownThisAliases(fn: FunctionNode): readonly string[] {
  let names = ownAliases.get(fn);
  if (names) return names;
  const found: string[] = [];
  if (fn.body && ts.isBlock(fn.body)) {
    for (const statement of fn.body.statements) {
      if (!ts.isVariableStatement(statement)) continue;
      for (const declaration of statement.declarationList.declarations) {
        if (ts.isIdentifier(declaration.name) && declaration.initializer?.kind === ts.SyntaxKind.ThisKeyword) found.push(declaration.name.text);
      }
    }
  }
  names = found;
  ownAliases.set(fn, names);
  return names;
}
