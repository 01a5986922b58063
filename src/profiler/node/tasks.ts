/**
 * The `--args` expression: JavaScript evaluated with the module's exports in scope, giving an
 * iterable (or async iterable, or a promise of one) of tasks. A task that is an array is
 * spread as the arguments, like a Python tuple; anything else is the one argument. Tasks are
 * counted while they are drawn, so an endless generator stops at the cap.
 */
import { describeError } from './measured-call';
import type { TaskError } from '../../shared/trace';

/** Names that cannot be parameters of the function the expression is compiled into. */
const RESERVED = new Set(
  'arguments await break case catch class const continue debugger default delete do else enum eval export extends false finally for function if implements import in instanceof interface let new null package private protected public return static super switch this throw true try typeof var void while with yield'.split(' '),
);

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

export type TasksOutcome =
  | { ok: true; tasks: unknown[][] }
  | { ok: false; message: string; error?: TaskError };

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
  return `${typeof value === 'undefined' ? '' : 'a '}${typeof value}${typeof value === 'number' || typeof value === 'boolean' ? ` (${String(value)})` : ''}`;
}

function argumentsOf(task: unknown): unknown[] {
  return Array.isArray(task) ? task : [task];
}

/**
 * Evaluates `expression` and draws at most `cap` tasks; one more means too many, and the
 * message says how to take a slice.
 */
export async function evaluateTasks(expression: string, exported: Record<string, unknown>, cap: number, tooMany: (cap: number) => string): Promise<TasksOutcome> {
  const names = Object.keys(exported).filter((name) => IDENTIFIER.test(name) && !RESERVED.has(name));
  let value: unknown;
  try {
    // The expression is the user's own code, run in the trusted workspace like the module.
    const compiled = new Function(...names, `return (\n${expression}\n);`) as (...values: unknown[]) => unknown;
    value = await compiled(...names.map((name) => exported[name]));
  } catch (thrown) {
    const error = describeError(thrown);
    return { ok: false, message: `the tasks expression ${JSON.stringify(expression)} failed: ${error.type}: ${error.message}`, error };
  }
  const iterable = value as { [Symbol.iterator]?: unknown; [Symbol.asyncIterator]?: unknown } | null | undefined;
  if (iterable === null || iterable === undefined || (typeof iterable[Symbol.iterator] !== 'function' && typeof iterable[Symbol.asyncIterator] !== 'function')) {
    return {
      ok: false,
      message: `the tasks expression ${JSON.stringify(expression)} gave ${describeValue(value)}, not an iterable of tasks (an array, a Set, a generator…)`,
    };
  }
  const tasks: unknown[][] = [];
  const take = (task: unknown): boolean => {
    if (tasks.length === cap) return false;
    tasks.push(argumentsOf(task));
    return true;
  };
  try {
    // A sync iterable is drawn as is: `for await` would also await tasks that are promises.
    if (typeof iterable[Symbol.iterator] === 'function') {
      for (const task of value as Iterable<unknown>) if (!take(task)) return { ok: false, message: tooMany(cap) };
    } else {
      for await (const task of value as AsyncIterable<unknown>) if (!take(task)) return { ok: false, message: tooMany(cap) };
    }
  } catch (thrown) {
    const error = describeError(thrown);
    return { ok: false, message: `drawing the tasks of ${JSON.stringify(expression)} failed at task ${tasks.length}: ${error.type}: ${error.message}`, error };
  }
  if (tasks.length === 0) return { ok: false, message: `the tasks expression ${JSON.stringify(expression)} gave no tasks: there is nothing to time.` };
  return { ok: true, tasks };
}
