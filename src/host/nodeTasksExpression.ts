/**
 * The tasks expression of a JavaScript or TypeScript function, read with the TypeScript parser
 * the Node profiler already uses: is what the user typed one JavaScript expression (the Node
 * harness compiles it as `return (EXPR);`), and what the exported function takes per task
 * (its parameters give the prompt and a fitting example). No vscode.
 */
import ts from 'typescript';
import type { FunctionParameter } from '../profiler/node/exported-functions';
import type { TasksPrompt } from './tasksExpression';

/** Tasks per example: enough to keep a few workers busy. */
const EXAMPLE_TASKS = 8;
/** The expression is checked where the harness puts it; the prefix is one line of its own. */
const PREFIX = 'function tasks() { return (\n';
const wrapped = (text: string): string => `${PREFIX}${text}\n); }`;

/**
 * Why `text` is not a single JavaScript expression, or undefined when it is one. Checked as
 * the user types, so a syntax error never reaches the profiler.
 */
export function nodeTasksExpressionProblem(text: string): string | undefined {
  if (!text.trim()) return 'Enter a JavaScript expression that gives the tasks.';
  const source = wrapped(text);
  const { diagnostics = [] } = ts.transpileModule(source, { reportDiagnostics: true, compilerOptions: { target: ts.ScriptTarget.Latest, allowJs: true } });
  const error = diagnostics.find((d) => d.category === ts.DiagnosticCategory.Error);
  if (error) {
    const at = error.start ?? source.length;
    if (at >= PREFIX.length + text.trimEnd().length) {
      return 'The expression is incomplete: something is missing at its end (a closing bracket, an operand).';
    }
    // Line 0 is the prefix, so TypeScript's zero-based line is the expression's one-based line.
    const { line, character } = ts.getLineAndCharacterOfPosition(ts.createSourceFile('tasks.js', source, ts.ScriptTarget.Latest), at);
    const message = ts.flattenDiagnosticMessageText(error.messageText, ' ').replace(/\.$/, '');
    return `Syntax error at ${line > 1 ? `line ${line}, ` : ''}column ${character + 1}: ${message}.`;
  }
  // `1); other(` parses too once wrapped: the expression must be the one returned, whole.
  const file = ts.createSourceFile('tasks.js', source, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const fn = file.statements[0];
  const body = fn && ts.isFunctionDeclaration(fn) ? fn.body?.statements : undefined;
  const only = body?.length === 1 ? body[0] : undefined;
  if (file.statements.length !== 1 || !only || !ts.isReturnStatement(only)) return 'Enter one expression, not several statements.';
  return undefined;
}

/** A value to show for a parameter in the example: its default, else one of its declared type. */
function sampleValue(parameter: FunctionParameter): string {
  if (parameter.defaultText !== undefined) return parameter.defaultText;
  const type = parameter.type?.replace(/\s/g, '') ?? '';
  if (type === 'number' || type === 'bigint') return type === 'number' ? '100_000' : '100_000n';
  if (type === 'string') return "'text'";
  if (type === 'boolean') return 'true';
  if (/\[\]$|^(Readonly)?Array<|^Iterable</.test(type)) return '[1, 2, 3]';
  if (/^(Uint8Array|Buffer)$/.test(type)) return 'new Uint8Array(1024)';
  if (/^(Record<|\{)/.test(type)) return '{}';
  // Untyped: profiled functions mostly take a size; another type gets a visible placeholder.
  return type ? 'null' : '100_000';
}

/**
 * The prompt for `name`, built from what it takes per call. The harness spreads a task that
 * is an array as the arguments, so an array argument is wrapped in one.
 */
export function nodeTasksPrompt(name: string, parameters: readonly FunctionParameter[]): TasksPrompt {
  const signature = `${name}(${parameters.map((p) => `${p.rest ? '...' : ''}${p.name}`).join(', ')})`;
  const named = parameters.filter((p) => !p.rest);
  const required = named.filter((p) => !p.optional);
  const perTask = (task: string) => `Array.from({ length: ${EXAMPLE_TASKS} }, () => ${task})`;
  let what: string;
  let example: string;
  if (required.length >= 2) {
    what = `one array [${required.map((p) => p.name).join(', ')}] of arguments per task`;
    example = perTask(`[${required.map(sampleValue).join(', ')}]`);
  } else if (named.length > 0) {
    const only = required[0] ?? named[0]!;
    const value = sampleValue(only);
    what = `one value of ${only.name} per task (an array is spread as the arguments)`;
    example = perTask(value.startsWith('[') ? `[${value}]` : value);
  } else {
    what = 'no arguments: one empty array per task';
    example = perTask('[]');
  }
  return { text: `${signature}: ${what}, e.g. ${example}`, example };
}
