import ts from 'typescript';
import { bindingName, classBindingName, isFunctionNode, memberName, ownerOf, stripParens, thisAliases, type FunctionNode } from './syntax';

type Owner = ts.ClassLikeDeclaration | string;

/**
 * Which of the file's analyzed functions a call or reference can reach. Names are matched
 * precisely enough not to confuse `fs.realpath(…)` with a class's own `realpath` method: `f()`
 * reaches functions, `this.m()` and `self.m()` (with `var self = this`) the methods of the
 * enclosing class or constructor, `x.m()` those of the class `x` was created from.
 */
export class CallTargets {
  private readonly functions = new Map<string, FunctionNode[]>();
  private readonly methods = new Map<Owner, Map<string, FunctionNode[]>>();
  private readonly instanceOf = new Map<string, Owner>();

  constructor(units: FunctionNode[], newExpressions: ts.NewExpression[]) {
    const ownersByName = new Map<string, Owner>();
    for (const fn of units) {
      const owner = ownerOf(fn);
      const name = owner !== undefined ? memberName(fn) : bindingName(fn);
      if (!name) continue;
      if (owner !== undefined && !(ts.isFunctionDeclaration(fn) && typeof owner === 'string' && fn.name?.text === owner)) {
        const className = typeof owner !== 'string' ? classBindingName(owner) : undefined;
        if (className) ownersByName.set(className, owner);
        if (typeof owner === 'string') ownersByName.set(owner, owner);
        const members = this.methods.get(owner) ?? new Map<string, FunctionNode[]>();
        members.set(name, [...(members.get(name) ?? []), fn]);
        this.methods.set(owner, members);
      } else this.functions.set(name, [...(this.functions.get(name) ?? []), fn]);
    }
    for (const created of newExpressions) {
      const holder = created.parent;
      const owner = ts.isIdentifier(created.expression) ? ownersByName.get(created.expression.text) : undefined;
      if (owner !== undefined && ts.isVariableDeclaration(holder) && ts.isIdentifier(holder.name)) this.instanceOf.set(holder.name.text, owner);
    }
  }

  /** `f`, `this.m`, `self.m`, `x.m` (the callee or a reference passed as a callback). */
  resolve(reference: ts.Expression): FunctionNode[] {
    const expr = stripParens(reference);
    if (ts.isIdentifier(expr)) return this.functions.get(expr.text) ?? [];
    if (!ts.isPropertyAccessExpression(expr)) return [];
    const owner = this.ownerOfReceiver(expr.expression);
    return (owner !== undefined && this.methods.get(owner)?.get(expr.name.text)) || [];
  }

  /** The methods of the object `receiver` refers to (`this`, an alias of it, a local instance). */
  private ownerOfReceiver(receiverExpr: ts.Expression): Owner | undefined {
    const receiver = stripParens(receiverExpr);
    if (receiver.kind === ts.SyntaxKind.ThisKeyword) return enclosingOwner(receiver);
    if (!ts.isIdentifier(receiver)) return undefined;
    const aliased = thisAliases(receiver).get(receiver.text);
    if (aliased) return ownerOf(aliased);
    return this.instanceOf.get(receiver.text);
  }
}

/** The owner of the `this` seen at `node`: arrow functions see through to the function around them. */
export function enclosingOwner(node: ts.Node): Owner | undefined {
  for (let current: ts.Node | undefined = node.parent; current; current = current.parent) {
    if (ts.isClassLike(current)) return current;
    if (!isFunctionNode(current) || ts.isArrowFunction(current)) continue;
    return ownerOf(current);
  }
  return undefined;
}
