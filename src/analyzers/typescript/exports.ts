import ts from 'typescript';
import { stripParens, type FunctionNode } from './syntax';

const COMMONJS_EXPORT = /^(module\.)?exports(\.|$)/;

/**
 * What a module gives its callers: names exported with ES syntax or CommonJS assignments
 * (`module.exports = X`, `exports.a = a`, `module.exports = { a, b: c }`), and functions
 * assigned to an export directly (`exports.mkdirp = exports.mkdirP = function mkdirP …`).
 */
export class ModuleExports {
  private readonly names = new Set<string>();

  constructor(private readonly sourceFile: ts.SourceFile) {
    for (const statement of sourceFile.statements) {
      if (ts.isExportDeclaration(statement) && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
        for (const element of statement.exportClause.elements) this.names.add((element.propertyName ?? element.name).text);
      } else if (ts.isExportAssignment(statement) && ts.isIdentifier(statement.expression)) {
        this.names.add(statement.expression.text);
      } else if (ts.isExpressionStatement(statement)) {
        this.assignedExport(statement.expression);
      } else if (ts.isVariableStatement(statement)) {
        for (const declaration of statement.declarationList.declarations) {
          // `var Pool = module.exports = function Pool() {…}`
          if (ts.isIdentifier(declaration.name) && declaration.initializer && this.assignedExport(declaration.initializer)) this.names.add(declaration.name.text);
        }
      }
    }
  }

  has(name: string): boolean {
    return this.names.has(name);
  }

  /** `exports.a = function () {…}` (through chains of assignments). */
  isAssignedToExport(fn: FunctionNode): boolean {
    for (let current: ts.Node = fn; ts.isBinaryExpression(current.parent) && current.parent.right === current; current = current.parent) {
      if (current.parent.operatorToken.kind === ts.SyntaxKind.EqualsToken && COMMONJS_EXPORT.test(current.parent.left.getText(this.sourceFile))) return true;
    }
    return false;
  }

  /** Records `module.exports = …` and `exports.a = …`; true when `expression` is such an assignment. */
  private assignedExport(expression: ts.Expression): boolean {
    if (!ts.isBinaryExpression(expression) || expression.operatorToken.kind !== ts.SyntaxKind.EqualsToken) return false;
    if (!COMMONJS_EXPORT.test(expression.left.getText(this.sourceFile))) return false;
    const value = stripParens(expression.right);
    if (ts.isIdentifier(value)) this.names.add(value.text);
    else if ((ts.isFunctionExpression(value) || ts.isClassExpression(value)) && value.name) this.names.add(value.name.text);
    else if (ts.isBinaryExpression(value)) this.assignedExport(value);
    else if (ts.isObjectLiteralExpression(value)) {
      for (const property of value.properties) {
        if (ts.isShorthandPropertyAssignment(property)) this.names.add(property.name.text);
        else if (ts.isPropertyAssignment(property) && ts.isIdentifier(property.initializer)) this.names.add(property.initializer.text);
      }
    }
    return true;
  }
}
