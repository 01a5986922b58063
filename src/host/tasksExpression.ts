/**
 * The tasks expression of "Profile Function Under Pools", read with the Python parser the
 * analyzers already use (tree-sitter; read-only): is what the user typed one Python expression
 * (the harness `eval`s it), what does the function take per task (its signature gives the
 * prompt and a fitting example), and where does a `# conclens: tasks=` comment go. No vscode.
 */
import type { Node } from 'web-tree-sitter';
import { parsePythonSyntaxTree } from '../analyzers/python/parser';

/** Statements that parse but that `eval` refuses: they are not expressions. */
const NOT_EXPRESSIONS = new Set(['assignment', 'augmented_assignment', 'yield', 'print_statement', 'exec_statement']);

/** Tasks per example: enough to keep a few workers busy. */
const EXAMPLE_TASKS = 8;

/**
 * Why `text` is not a single Python expression, or undefined when it is one. Checked as the
 * user types, so a syntax error never reaches the profiler.
 */
export async function tasksExpressionProblem(text: string): Promise<string | undefined> {
  if (!text.trim()) return 'Enter a Python expression that gives the tasks.';
  const tree = await parsePythonSyntaxTree(text).catch(() => undefined);
  if (!tree) return 'The expression is too large to check.';
  try {
    const root = tree.rootNode;
    if (root.hasError) {
      const error = firstError(root);
      if (!error || error.endIndex >= text.trimEnd().length) return 'The expression is incomplete: something is missing at its end (a closing bracket, an operand).';
      const column = error.startPosition.column + 1;
      const line = error.startPosition.row + 1;
      return `Syntax error at ${line > 1 ? `line ${line}, ` : ''}column ${column}: ${JSON.stringify(text.slice(error.startIndex, error.startIndex + 12))}.`;
    }
    const statements = root.namedChildren.filter((node): node is Node => node !== null && node.type !== 'comment');
    if (statements.length !== 1) return 'Enter one expression, not several statements.';
    const statement = statements[0]!;
    const inner = statement.namedChildren[0];
    if (statement.type !== 'expression_statement' || !inner || NOT_EXPRESSIONS.has(inner.type)) {
      return `That is a statement (${statement.type === 'expression_statement' ? inner?.type.replace(/_/g, ' ') : statement.type.replace(/_/g, ' ')}), not an expression.`;
    }
    return undefined;
  } finally {
    tree.delete();
  }
}

function firstError(node: Node): Node | undefined {
  if (node.type === 'ERROR' || node.isMissing) return node;
  for (const child of node.children) {
    if (child && child.hasError) return firstError(child) ?? child;
    if (child?.isMissing) return child;
  }
  return undefined;
}

export interface Parameter {
  name: string;
  kind: 'positional' | 'keyword' | 'varPositional' | 'varKeyword';
  /** Source text of the default value, if any. */
  defaultText?: string;
  /** Source text of the annotation, if any. */
  annotation?: string;
}

/** The parameters of the top-level function `name` in `source`, or undefined when there is none. */
export async function functionParameters(source: string, name: string): Promise<Parameter[] | undefined> {
  const tree = await parsePythonSyntaxTree(source).catch(() => undefined);
  if (!tree) return undefined;
  try {
    for (const top of tree.rootNode.namedChildren) {
      const definition = top?.type === 'decorated_definition' ? top.childForFieldName('definition') : top;
      if (definition?.type !== 'function_definition' || definition.childForFieldName('name')?.text !== name) continue;
      return parametersOf(definition.childForFieldName('parameters'));
    }
    return undefined;
  } finally {
    tree.delete();
  }
}

function parametersOf(list: Node | null): Parameter[] {
  const parameters: Parameter[] = [];
  let keywordOnly = false;
  for (const node of list?.namedChildren ?? []) {
    if (!node) continue;
    const kind: Parameter['kind'] = keywordOnly ? 'keyword' : 'positional';
    switch (node.type) {
      case 'identifier':
        parameters.push({ name: node.text, kind });
        break;
      case 'typed_parameter': {
        const inner = node.namedChildren[0];
        const annotation = node.childForFieldName('type')?.text;
        if (inner?.type === 'list_splat_pattern') {
          parameters.push({ name: inner.namedChildren[0]?.text ?? 'args', kind: 'varPositional' });
          keywordOnly = true;
        } else if (inner?.type === 'dictionary_splat_pattern') {
          parameters.push({ name: inner.namedChildren[0]?.text ?? 'kwargs', kind: 'varKeyword' });
        } else {
          parameters.push({ name: inner?.text ?? '?', kind, ...(annotation ? { annotation } : {}) });
        }
        break;
      }
      case 'default_parameter':
      case 'typed_default_parameter': {
        const annotation = node.childForFieldName('type')?.text;
        parameters.push({
          name: node.childForFieldName('name')?.text ?? '?',
          kind,
          defaultText: node.childForFieldName('value')?.text,
          ...(annotation ? { annotation } : {}),
        });
        break;
      }
      case 'list_splat_pattern':
        parameters.push({ name: node.namedChildren[0]?.text ?? 'args', kind: 'varPositional' });
        keywordOnly = true;
        break;
      case 'keyword_separator':
        keywordOnly = true;
        break;
      case 'dictionary_splat_pattern':
        parameters.push({ name: node.namedChildren[0]?.text ?? 'kwargs', kind: 'varKeyword' });
        break;
    }
  }
  return parameters;
}

/** A value to show for a parameter in the example: its default, else one of its annotated type. */
function sampleValue(parameter: Parameter): string {
  if (parameter.defaultText !== undefined) return parameter.defaultText;
  const type = parameter.annotation?.replace(/\s/g, '') ?? '';
  if (/^(int|float|complex)$/.test(type)) return type === 'int' ? '100_000' : '1.0';
  if (type === 'str') return "'text'";
  if (type === 'bytes') return "b'data'";
  if (type === 'bool') return 'True';
  if (/^(list|List|Sequence|Iterable)\b/.test(type)) return '[1, 2, 3]';
  if (/^(dict|Dict|Mapping)\b/.test(type)) return '{}';
  // Unannotated: profiled functions mostly take a size; an unknown type gets a visible placeholder.
  return type ? '...' : '100_000';
}

export interface TasksPrompt {
  /** "checksum(n): one value of n per task, e.g. [100_000] * 8" */
  text: string;
  example: string;
}

/** The prompt for `name`, built from what it takes per call. */
export function tasksPrompt(name: string, parameters: readonly Parameter[]): TasksPrompt {
  const signature = `${name}(${parameters.map((p) => (p.kind === 'varPositional' ? `*${p.name}` : p.kind === 'varKeyword' ? `**${p.name}` : p.name)).join(', ')})`;
  const required = parameters.filter((p) => (p.kind === 'positional' || p.kind === 'keyword') && p.defaultText === undefined);
  const named = parameters.filter((p) => p.kind === 'positional' || p.kind === 'keyword');
  const times = ` * ${EXAMPLE_TASKS}`;
  let what: string;
  let example: string;
  if (required.some((p) => p.kind === 'keyword')) {
    what = 'one dict of keyword arguments per task';
    example = `[{${required.map((p) => `'${p.name}': ${sampleValue(p)}`).join(', ')}}]${times}`;
  } else if (required.length >= 2) {
    what = `one tuple (${required.map((p) => p.name).join(', ')}) per task`;
    example = `[(${required.map(sampleValue).join(', ')})]${times}`;
  } else if (required.length === 1 || named.length > 0) {
    const only = required[0] ?? named[0]!;
    what = `one value of ${only.name} per task`;
    example = `[${sampleValue(only)}]${times}`;
  } else {
    what = 'no arguments: one empty tuple per task';
    example = `[()]${times}`;
  }
  return { text: `${signature}: ${what}, e.g. ${example}`, example };
}

/** Where the `# conclens: tasks=` comment of `name` goes: above its decorators, or the existing comment's line. */
export function tasksCommentPlace(source: string, name: string): { line: number; replace: boolean } | undefined {
  const lines = source.split(/\r?\n/);
  const definition = new RegExp(`^(?:async\\s+)?def\\s+${name}\\s*\\(`);
  const index = lines.findIndex((line) => definition.test(line));
  if (index < 0) return undefined;
  let line = index;
  for (let i = index - 1; i >= 0; i--) {
    const text = lines[i]!.trim();
    if (/^#\s*conclens:\s*tasks\s*=/.test(text)) return { line: i, replace: true };
    if (text.startsWith('@')) line = i;
    else if (!text.startsWith('#')) break;
  }
  return { line, replace: false };
}
