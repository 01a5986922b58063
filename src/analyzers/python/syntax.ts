import type { PyNode } from './parser';

/** Small, allocation-light helpers over the compact tree. */

export function field(node: PyNode, name: string): PyNode | undefined {
  for (const child of node.children) if (child.field === name) return child;
  return undefined;
}

export function firstOfType(node: PyNode, type: string): PyNode | undefined {
  for (const child of node.children) if (child.type === type) return child;
  return undefined;
}

export function hasToken(node: PyNode, token: string): boolean {
  for (const child of node.children) if (child.type === token) return true;
  return false;
}

/** A call's arguments, positional and keyword, without the punctuation and comments. */
export function callArguments(call: PyNode): PyNode[] {
  return (field(call, 'arguments')?.children ?? []).filter((a) => a.type !== '(' && a.type !== ')' && a.type !== ',' && a.type !== 'comment');
}

/** `object.method(…)`: the receiver and the method name's node, when `node` is such a call. */
export function methodCall(node: PyNode): { object: PyNode; method: PyNode } | undefined {
  const fn = node.type === 'call' ? field(node, 'function') : undefined;
  const object = fn?.type === 'attribute' ? field(fn, 'object') : undefined;
  const method = fn?.type === 'attribute' ? field(fn, 'attribute') : undefined;
  return object && method ? { object, method } : undefined;
}

export const SCOPE_TYPES = new Set(['function_definition', 'lambda', 'class_definition']);

/**
 * Visits `root` and its descendants in source order without recursion; `visit` returning false
 * skips a node's children. Nested functions, lambdas and classes are skipped unless asked for.
 */
export function walk(root: PyNode, visit: (node: PyNode) => boolean | void, enterScopes = false): void {
  const stack: PyNode[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node !== root && !enterScopes && SCOPE_TYPES.has(node.type)) continue;
    if (visit(node) === false) continue;
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]!);
  }
}

export function some(root: PyNode, test: (node: PyNode) => boolean): PyNode | undefined {
  let found: PyNode | undefined;
  walk(root, (node) => {
    if (found) return false;
    if (test(node)) {
      found = node;
      return false;
    }
    return true;
  });
  return found;
}

/** Strips redundant parentheses: `((x))` is `x`. */
export function unparen(node: PyNode): PyNode {
  let current = node;
  while (current.type === 'parenthesized_expression' && current.children.length === 1) current = current.children[0]!;
  return current;
}

/** The statement (a child of a block or of the module) that contains `node`. */
export function statementOf(node: PyNode): PyNode {
  let current = node;
  while (current.parent && current.parent.type !== 'block' && current.parent.type !== 'module') current = current.parent;
  return current;
}

/** Identifiers bound by an assignment target (`a`, `a, b`, `[a, *b]`). */
export function targetNames(target: PyNode, out: string[], text: string): void {
  walk(target, (node) => {
    if (node.type === 'identifier') {
      out.push(text.slice(node.start, node.end));
      return false;
    }
    return node.type === 'pattern_list' || node.type === 'tuple_pattern' || node.type === 'list_pattern' ||
      node.type === 'list_splat_pattern' || node.type === 'tuple' || node.type === 'list' ||
      node.type === 'expression_list' || node.type === 'parenthesized_expression' || node.type === 'as_pattern_target';
  });
}

/** The nearest function definition around `node`. */
export function enclosingFunction(node: PyNode): PyNode | undefined {
  for (let n = node.parent; n; n = n.parent) if (n.type === 'function_definition') return n;
  return undefined;
}
