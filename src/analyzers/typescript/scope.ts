import ts from 'typescript';
import { isFunctionNode, walkIteratively, type FunctionNode } from './syntax';

/**
 * Where a name lives, seen from one function:
 * - `local`: declared in the function and not written by a closure inside it — no other
 *   invocation can see it, so it never races (the `x = await f(); x++` case).
 * - `shared`: a module variable, a variable captured from an enclosing function, or a local
 *   that a nested closure writes.
 * - `parameter`: owned by the caller (a request's `ctx`); not treated as shared, because
 *   flagging every write to an argument is what made `require-atomic-updates` unusable.
 * - `global`: not declared in the file (`window`, `process`): not tracked.
 */
export type NameKind = 'local' | 'shared' | 'parameter' | 'global';

type Container = FunctionNode | ts.SourceFile;

function addBindingNames(name: ts.BindingName, into: Set<string>): void {
  if (ts.isIdentifier(name)) {
    into.add(name.text);
    return;
  }
  for (const element of name.elements) {
    if (ts.isBindingElement(element)) addBindingNames(element.name, into);
  }
}

export class ScopeIndex {
  private readonly declared = new Map<Container, Set<string>>();
  private readonly parameters = new Map<FunctionNode, Set<string>>();
  private readonly closureWritten = new Map<FunctionNode, Set<string>>();

  constructor(private readonly sourceFile: ts.SourceFile) {}

  classify(name: string, from: FunctionNode): NameKind {
    if (this.declaredIn(from).has(name)) {
      if (this.writtenByClosure(from).has(name)) return 'shared';
      return this.parametersOf(from).has(name) ? 'parameter' : 'local';
    }
    let current: ts.Node | undefined = from.parent;
    while (current) {
      if (isFunctionNode(current) && this.declaredIn(current).has(name)) return 'shared';
      current = current.parent;
    }
    return this.declaredIn(this.sourceFile).has(name) ? 'shared' : 'global';
  }

  declaredIn(container: Container): Set<string> {
    let names = this.declared.get(container);
    if (names) return names;
    names = new Set<string>();
    if (!ts.isSourceFile(container)) {
      for (const parameter of container.parameters) addBindingNames(parameter.name, names);
      if (ts.isFunctionExpression(container) && container.name) names.add(container.name.text);
    }
    const body = ts.isSourceFile(container) ? container : container.body;
    if (body) this.collectDeclarations(body, names);
    this.declared.set(container, names);
    return names;
  }

  private parametersOf(fn: FunctionNode): Set<string> {
    let names = this.parameters.get(fn);
    if (!names) {
      names = new Set<string>();
      for (const parameter of fn.parameters) addBindingNames(parameter.name, names);
      this.parameters.set(fn, names);
    }
    return names;
  }

  private collectDeclarations(body: ts.Node, names: Set<string>): void {
    const visit = (node: ts.Node): boolean => {
      if (ts.isVariableDeclaration(node)) addBindingNames(node.name, names);
      else if (ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node)) {
        if (node.name) names.add(node.name.text);
      } else if (ts.isCatchClause(node) && node.variableDeclaration) addBindingNames(node.variableDeclaration.name, names);
      else if (ts.isImportClause(node) && node.name) names.add(node.name.text);
      else if (ts.isImportSpecifier(node) || ts.isNamespaceImport(node) || ts.isImportEqualsDeclaration(node)) names.add(node.name.text);
      else if (ts.isEnumDeclaration(node)) names.add(node.name.text);
      return !isFunctionNode(node) && !ts.isClassLike(node);
    };
    if (visit(body)) walkIteratively(body, visit);
  }

  /** Names declared in `fn` that a function nested in `fn` assigns: such a local is shared. */
  private writtenByClosure(fn: FunctionNode): Set<string> {
    let names = this.closureWritten.get(fn);
    if (names) return names;
    names = new Set<string>();
    const own = this.declaredIn(fn);
    const found = names;
    if (fn.body) {
      walkIteratively(fn.body, (node) => {
        const target = assignedIdentifier(node);
        if (target && own.has(target.text)) {
          const inner = innermostFunction(target, fn);
          if (inner && !this.declaredIn(inner).has(target.text)) found.add(target.text);
        }
        return true;
      });
    }
    this.closureWritten.set(fn, names);
    return names;
  }
}

function assignedIdentifier(node: ts.Node): ts.Identifier | undefined {
  if (ts.isBinaryExpression(node) && node.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && node.operatorToken.kind <= ts.SyntaxKind.LastAssignment) {
    return ts.isIdentifier(node.left) ? node.left : undefined;
  }
  if ((ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) && ts.isIdentifier(node.operand)) {
    const op = node.operator;
    return op === ts.SyntaxKind.PlusPlusToken || op === ts.SyntaxKind.MinusMinusToken ? node.operand : undefined;
  }
  return undefined;
}

/** The function nested inside `outer` that contains `node`, if `node` is not directly in `outer`. */
function innermostFunction(node: ts.Node, outer: FunctionNode): FunctionNode | undefined {
  let current: ts.Node | undefined = node.parent;
  let innermost: FunctionNode | undefined;
  while (current && current !== outer) {
    if (isFunctionNode(current) && !innermost) innermost = current;
    current = current.parent;
  }
  return innermost;
}
