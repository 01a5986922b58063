/**
 * The functions of a JavaScript or TypeScript file the Node profiler can run: exported from
 * the module's top level (ESM `export function`, `export const f = () => …`, `export { f }`,
 * CommonJS `exports.f = …` and `module.exports = { f }`), found with the TypeScript parser.
 * Each comes with its line range (for the cursor), its parameters (for the tasks prompt) and
 * the tasks of a `// conclens: tasks=EXPR` comment directly above it (for the CodeLens and the
 * prompt).
 */
import ts from 'typescript';

export interface FunctionParameter {
  /** Its name, or the source text of a destructuring pattern. */
  name: string;
  /** `...rest` */
  rest: boolean;
  /** `x?` or `x = …` */
  optional: boolean;
  /** Source text of the default value, if any. */
  defaultText?: string;
  /** Source text of the type annotation, if any. */
  type?: string;
}

export interface ExportedFunction {
  /** The name it is exported under (what the harness looks up). */
  name: string;
  /** Zero-based lines of its definition. */
  line: number;
  endLine: number;
  /** From a `// conclens: tasks=EXPR` comment right above the definition, and that comment's line. */
  tasks: string | null;
  tasksLine: number | null;
  parameters: FunctionParameter[];
}

const TASKS_COMMENT = /^\/\/\s*conclens:\s*tasks\s*=\s*(.+)$/;

function scriptKind(fileName: string): ts.ScriptKind {
  if (/\.[mc]?ts$/i.test(fileName)) return ts.ScriptKind.TS;
  return ts.ScriptKind.JS;
}

function isExported(node: ts.Node): boolean {
  const modifiers = ts.canHaveModifiers(node) ? ts.getModifiers(node) : undefined;
  return !!modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) && !modifiers.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword);
}

function unwrap(expression: ts.Expression | undefined): ts.Expression | undefined {
  let current = expression;
  while (current && (ts.isParenthesizedExpression(current) || ts.isAsExpression(current) || ts.isSatisfiesExpression(current))) current = current.expression;
  return current;
}

function functionValue(expression: ts.Expression | undefined): ts.SignatureDeclaration | undefined {
  const value = unwrap(expression);
  return value && (ts.isArrowFunction(value) || ts.isFunctionExpression(value)) ? value : undefined;
}

function parametersOf(fn: ts.SignatureDeclaration, file: ts.SourceFile): FunctionParameter[] {
  return fn.parameters
    .filter((p) => !(ts.isIdentifier(p.name) && p.name.text === 'this'))
    .map((p) => ({
      name: p.name.getText(file),
      rest: p.dotDotDotToken !== undefined,
      optional: p.questionToken !== undefined || p.initializer !== undefined,
      ...(p.initializer ? { defaultText: p.initializer.getText(file) } : {}),
      ...(p.type ? { type: p.type.getText(file) } : {}),
    }));
}

/** A definition: the node whose lines and comment count, and the function it defines. */
interface Definition {
  node: ts.Node;
  fn: ts.SignatureDeclaration;
}

/** `module.exports` or `exports` (the CommonJS export object). */
function isExportsObject(expression: ts.Expression): boolean {
  if (ts.isIdentifier(expression)) return expression.text === 'exports';
  return ts.isPropertyAccessExpression(expression) && ts.isIdentifier(expression.expression) && expression.expression.text === 'module' && expression.name.text === 'exports';
}

export function exportedFunctions(source: string, fileName: string): ExportedFunction[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, scriptKind(fileName));
  const lineOf = (position: number): number => file.getLineAndCharacterOfPosition(position).line;
  const tasksAbove = (statement: ts.Node): { tasks: string; line: number } | null => {
    const comments = ts.getLeadingCommentRanges(source, statement.pos) ?? [];
    const last = comments[comments.length - 1];
    if (!last || last.kind !== ts.SyntaxKind.SingleLineCommentTrivia) return null;
    const tasks = TASKS_COMMENT.exec(source.slice(last.pos, last.end).trim())?.[1].trim();
    return tasks === undefined ? null : { tasks, line: lineOf(last.pos) };
  };
  // Top-level functions by local name, for `export { f }` and `module.exports = { f }`.
  const local = new Map<string, Definition>();
  for (const statement of file.statements) {
    if (ts.isFunctionDeclaration(statement) && statement.name && statement.body) local.set(statement.name.text, { node: statement, fn: statement });
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        const fn = functionValue(declaration.initializer);
        if (ts.isIdentifier(declaration.name) && fn) local.set(declaration.name.text, { node: statement, fn });
      }
    }
  }
  const found = new Map<string, ExportedFunction>();
  const add = (name: string, { node, fn }: Definition): void => {
    if (found.has(name)) return;
    const comment = tasksAbove(node);
    found.set(name, {
      name,
      line: lineOf(node.getStart(file)),
      endLine: lineOf(node.getEnd()),
      tasks: comment?.tasks ?? null,
      tasksLine: comment?.line ?? null,
      parameters: parametersOf(fn, file),
    });
  };
  for (const statement of file.statements) {
    if (ts.isFunctionDeclaration(statement) && statement.name && statement.body && isExported(statement)) add(statement.name.text, { node: statement, fn: statement });
    else if (ts.isVariableStatement(statement) && isExported(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        const fn = functionValue(declaration.initializer);
        if (ts.isIdentifier(declaration.name) && fn) add(declaration.name.text, { node: statement, fn });
      }
    } else if (ts.isExportDeclaration(statement) && !statement.moduleSpecifier && !statement.isTypeOnly && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
      for (const element of statement.exportClause.elements) {
        const definition = local.get((element.propertyName ?? element.name).text);
        if (definition && element.name.text !== 'default') add(element.name.text, definition);
      }
    } else if (ts.isExpressionStatement(statement) && ts.isBinaryExpression(statement.expression) && statement.expression.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      const { left, right } = statement.expression;
      // exports.f = …, module.exports.f = …
      if (ts.isPropertyAccessExpression(left) && isExportsObject(left.expression)) {
        const value = unwrap(right);
        const fn = functionValue(right);
        if (fn) add(left.name.text, { node: statement, fn });
        else if (value && ts.isIdentifier(value) && local.has(value.text)) add(left.name.text, local.get(value.text)!);
      }
      // module.exports = { f, g: h, k: () => … }
      const object = unwrap(right);
      if (isExportsObject(left) && object && ts.isObjectLiteralExpression(object)) {
        for (const property of object.properties) {
          if (ts.isShorthandPropertyAssignment(property) && local.has(property.name.text)) add(property.name.text, local.get(property.name.text)!);
          else if (ts.isPropertyAssignment(property) && (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name))) {
            const value = unwrap(property.initializer);
            const fn = functionValue(property.initializer);
            if (fn) add(property.name.text, { node: property, fn });
            else if (value && ts.isIdentifier(value) && local.has(value.text)) add(property.name.text, local.get(value.text)!);
          } else if (ts.isMethodDeclaration(property) && ts.isIdentifier(property.name)) add(property.name.text, { node: property, fn: property });
        }
      }
    }
  }
  return [...found.values()].sort((a, b) => a.line - b.line);
}

/** The exported function whose definition contains `line`, if any. */
export function exportedFunctionAt(source: string, fileName: string, line: number): ExportedFunction | undefined {
  return exportedFunctions(source, fileName).find((fn) => fn.line <= line && line <= fn.endLine);
}
