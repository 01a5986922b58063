import ts from 'typescript';
import type { FixSuggestion } from '../../shared/findings';
import type { FindingSink } from './findings';
import { isAsyncFunction, nearestFunction, stripParens, walkIteratively } from './syntax';

/**
 * The real fix for a lazy initialisation raced across `await` (JS-ASYNC-002):
 *
 *     if (!client) client = await connect();
 *  →  if (!client) client = connect().catch((error) => { client = undefined; throw error; });
 *
 * Every caller that arrives while the first connection is in flight shares its promise, and a
 * failed attempt is forgotten so the next call tries again instead of failing forever. Offered
 * only when the change keeps the behaviour: every other use of the slot awaits it, returns it
 * from an async function, chains `.then` on it, declares it without a value or clears it; and a
 * TypeScript declaration of the slot, if it has a type, already admits a promise.
 */
export function promiseCachingFix(node: ts.Node, guardTest: ts.Node, context: { sink: FindingSink; sourceFile: ts.SourceFile }): FixSuggestion[] {
  if (!ts.isBinaryExpression(node) || node.operatorToken.kind !== ts.SyntaxKind.EqualsToken) return [];
  const right = stripParens(node.right);
  if (!ts.isAwaitExpression(right)) return [];
  const sourceFile = context.sourceFile;
  const test = stripParens(guardTest as ts.Expression);
  const target = stripParens(node.left);
  const targetText = target.getText(sourceFile);
  if (!ts.isPrefixUnaryExpression(test) || test.operator !== ts.SyntaxKind.ExclamationToken || stripParens(test.operand).getText(sourceFile) !== targetText) return [];
  // A slot the catch handler can name again: `client`, `this.client`, `cache[key]` with a stable key.
  const stableKey = (e: ts.Expression) => ts.isIdentifier(e) || ts.isStringLiteralLike(e) || ts.isNumericLiteral(e);
  if (!(ts.isIdentifier(target) || ts.isPropertyAccessExpression(target) || (ts.isElementAccessExpression(target) && stableKey(target.argumentExpression)))) return [];
  if (!everyOtherUseIsSafe(sourceFile, targetText, new Set([target, stripParens(test.operand)]))) return [];
  const operand = stripParens(right.expression);
  const promise = ts.isCallExpression(operand) || ts.isIdentifier(operand) || ts.isPropertyAccessExpression(operand) ? operand.getText(sourceFile) : `(${operand.getText(sourceFile)})`;
  return [
    {
      title: 'Cache the promise instead of the awaited value',
      edits: [
        {
          file: context.sink.file,
          range: {
            start: sourceFile.getLineAndCharacterOfPosition(right.getStart(sourceFile)),
            end: sourceFile.getLineAndCharacterOfPosition(right.getEnd()),
          },
          newText: `${promise}.catch((error) => { ${targetText} = undefined; throw error; })`,
        },
      ],
    },
  ];
}

function isClearing(value: ts.Expression | undefined): boolean {
  if (!value) return true;
  const expr = stripParens(value);
  return expr.kind === ts.SyntaxKind.NullKeyword || ts.isVoidExpression(expr) || (ts.isIdentifier(expr) && expr.text === 'undefined');
}

/** A declared type that cannot hold a promise makes the edit a type error. */
function typeAdmitsPromise(type: ts.TypeNode | undefined, sourceFile: ts.SourceFile): boolean {
  return type === undefined || /\b(Promise|PromiseLike|any|unknown)\b/.test(type.getText(sourceFile));
}

function everyOtherUseIsSafe(sourceFile: ts.SourceFile, targetText: string, fixed: ReadonlySet<ts.Node>): boolean {
  const member = /^this\.([\w$]+)$/.exec(targetText)?.[1];
  let safe = true;
  walkIteratively(sourceFile, (n) => {
    if (!safe) return false;
    // `let client;` / `let client = undefined;` and a class field `client;` or `client?: Promise<X>`.
    if (ts.isVariableDeclaration(n) && n.name.getText(sourceFile) === targetText) {
      safe = isClearing(n.initializer) && typeAdmitsPromise(n.type, sourceFile);
      return false;
    }
    if (member && ts.isPropertyDeclaration(n) && n.name.getText(sourceFile) === member) {
      safe = isClearing(n.initializer) && typeAdmitsPromise(n.type, sourceFile);
      return false;
    }
    if (!(ts.isPropertyAccessExpression(n) || ts.isIdentifier(n) || ts.isElementAccessExpression(n)) || n.getText(sourceFile) !== targetText) return true;
    // `other.client`: a different object's property, not this slot.
    if (ts.isIdentifier(n) && (ts.isPropertyAccessExpression(n.parent) || ts.isPropertyAssignment(n.parent) || ts.isShorthandPropertyAssignment(n.parent)) && (n.parent as { name?: ts.Node }).name === n) return false;
    const parent = n.parent;
    const returner = ts.isReturnStatement(parent) ? nearestFunction(parent) : ts.isArrowFunction(parent) && parent.body === n ? parent : undefined;
    const returnedFromAsync = returner !== undefined && isAsyncFunction(returner);
    const cleared = ts.isBinaryExpression(parent) && parent.left === n && parent.operatorToken.kind === ts.SyntaxKind.EqualsToken && isClearing(parent.right);
    const allowed =
      fixed.has(n) || cleared || ts.isAwaitExpression(parent) || returnedFromAsync || (ts.isPropertyAccessExpression(parent) && parent.expression === n && parent.name.text === 'then');
    if (!allowed) safe = false;
    return false;
  });
  return safe;
}
