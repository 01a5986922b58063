import type { PyNode } from './parser';
import type { ParamGuard, ParamTest } from './summary';
import { callArguments, field, unparen } from './syntax';

/**
 * Branches on a parameter's value (`if close_conn:` … `elif key in self._in_use:`, `if cdn and
 * not self._cdn_config:`), and the literal `True`/`False`/`None` a call passes for it or leaves to
 * its default: a call that passes `close_conn=True` never runs the `elif`. The analysis keeps, for
 * code under such a branch, only the callers that can take it (constant arguments, as a
 * context-sensitive analysis would see them), so a branch one kind of caller takes is not paired
 * with the callers that cannot reach it.
 */

type Src = (node: PyNode) => string;

/**
 * A literal argument or default, as the truth it has: `True`, `False` or `None`; a string or an
 * integer counts as `True` when non-empty or non-zero (`servercert=""` is `False`).
 */
export function literalTruth(node: PyNode, src: Src): string | undefined {
  // By node type first: most arguments are names and calls, not worth reading.
  switch (node.type) {
    case 'true':
      return 'True';
    case 'false':
      return 'False';
    case 'none':
      return 'None';
    case 'integer':
      return /^0+$/.test(src(node).replace(/_/g, '')) ? 'False' : 'True';
    case 'string': {
      // The tree keeps no parts of a plain string: read it (prefix, quotes, content).
      const text = src(node);
      const body = text.replace(/^[A-Za-z]*/, '');
      if (/^[A-Za-z]*[fF]/.test(text)) return undefined;
      const quote = body.startsWith('"""') || body.startsWith("'''") ? 3 : 1;
      return body.length > 2 * quote ? 'True' : 'False';
    }
    default:
      return undefined;
  }
}

/** A cache key for `fn`'s code under `guards`. */
export function guardsKey(fnKey: string, guards: readonly ParamGuard[]): string {
  return `${fnKey}|${guards.map((g) => `${g.param}:${g.test}`).join(',')}`;
}

const NEGATION: Record<ParamTest, ParamTest> = { truthy: 'falsy', falsy: 'truthy', none: 'notnone', notnone: 'none' };

/** What a literal satisfies. */
export function satisfies(value: string, test: ParamTest): boolean {
  switch (test) {
    case 'truthy':
      return value === 'True';
    case 'falsy':
      return value !== 'True';
    case 'none':
      return value === 'None';
    case 'notnone':
      return value !== 'None';
  }
}

/** `p`, `not p`, `p is None`, `p is not None`, and each conjunct of `… and …`, over plain parameters. */
function conditionsOf(condition: PyNode, params: Set<string>, src: Src): { param: string; test: ParamTest }[] {
  const node = unparen(condition);
  if (node.type === 'identifier') return params.has(src(node)) ? [{ param: src(node), test: 'truthy' }] : [];
  if (node.type === 'not_operator') {
    const operand = field(node, 'argument');
    const inner = operand ? conditionsOf(operand, params, src) : [];
    return inner.length === 1 ? [{ param: inner[0]!.param, test: NEGATION[inner[0]!.test] }] : [];
  }
  const left = field(node, 'left');
  const right = field(node, 'right');
  if (node.type === 'boolean_operator' && left && right && src(node).slice(left.end - node.start, right.start - node.start).trim() === 'and') {
    return [...conditionsOf(left, params, src), ...conditionsOf(right, params, src)];
  }
  // `p is None`: the tree keeps the operator between the operands.
  if (node.type === 'comparison_operator' && node.children.length === 3) {
    const [first, operator, last] = node.children as [PyNode, PyNode, PyNode];
    if (first.type === 'identifier' && params.has(src(first)) && last.type === 'none') {
      if (operator.type === 'is not') return [{ param: src(first), test: 'notnone' }];
      if (operator.type === 'is') return [{ param: src(first), test: 'none' }];
    }
  }
  return [];
}

/**
 * The line ranges that run only when a parameter passes a test: `ifs` are the function's `if`
 * statements and `assigned` the names it binds (both collected by the scope walk).
 */
export function parameterGuards(ifs: readonly PyNode[], params: string[], assigned: ReadonlySet<string>, lineOf: (node: PyNode) => { line: number; endLine: number }, src: Src): ParamGuard[] {
  if (ifs.length === 0) return [];
  const candidates = new Set(params.filter((p) => p !== 'self' && p !== 'cls' && !assigned.has(p)));
  if (candidates.size === 0) return [];
  const guards: ParamGuard[] = [];
  const add = (block: PyNode | undefined, conditions: { param: string; test: ParamTest }[]) => {
    if (!block) return;
    const { line, endLine } = lineOf(block);
    for (const c of conditions) guards.push({ ...c, line, endLine });
  };
  for (const n of ifs) {
    const own = conditionsOf(field(n, 'condition') ?? n, candidates, src);
    add(field(n, 'consequence'), own);
    // Each later clause runs only when every earlier single test failed.
    const failed: { param: string; test: ParamTest }[] = own.length === 1 ? [{ param: own[0]!.param, test: NEGATION[own[0]!.test] }] : [];
    let exact = own.length <= 1;
    for (const clause of n.children) {
      if (clause.type === 'elif_clause') {
        const conditions = conditionsOf(field(clause, 'condition') ?? clause, candidates, src);
        add(field(clause, 'consequence'), exact ? [...failed, ...conditions] : conditions);
        if (conditions.length === 1) failed.push({ param: conditions[0]!.param, test: NEGATION[conditions[0]!.test] });
        else if (conditions.length > 1) exact = false;
      } else if (clause.type === 'else_clause' && exact) {
        add(field(clause, 'body'), failed);
      }
    }
  }
  return guards;
}

/** `f(a, False, flag=True)`: the count of positional arguments and the `named` string of CallSite. */
export function callArgs(call: PyNode, src: Src): { argc?: number; named?: string } {
  const args = callArguments(call);
  if (args.length === 0) return {};
  let argc = 0;
  let named = '';
  for (const arg of args) {
    if (arg.type === 'list_splat' || arg.type === 'dictionary_splat') return { argc: -1 };
    if (arg.type === 'comment') continue;
    if (arg.type === 'keyword_argument') {
      const value = field(arg, 'value');
      named += `${named ? ',' : ''}${src(field(arg, 'name') ?? arg)}=${(value && literalTruth(value, src)) ?? '?'}`;
    } else {
      const truth = literalTruth(arg, src);
      if (truth) named += `${named ? ',' : ''}#${argc}=${truth}`;
      argc++;
    }
  }
  return named ? { argc, named } : { argc };
}

/** The value `named` gives `key` (`#0`, or a keyword): a literal's truth, `?`, or undefined when absent. */
export function namedValue(named: string | undefined, key: string): string | undefined {
  if (!named) return undefined;
  for (const entry of named.split(',')) {
    const eq = entry.indexOf('=');
    if (entry.slice(0, eq) === key) return entry.slice(eq + 1);
  }
  return undefined;
}

/**
 * `def f(self, conn, close_conn=False, *rest)`: the literal defaults, and how many parameters a
 * call can fill by position (those before `*`, `*args` or `/`-less keyword-only ones).
 */
export function literalDefaults(parameters: PyNode | undefined, src: Src): { paramDefaults?: Record<string, string>; positionalParams: number } {
  let paramDefaults: Record<string, string> | undefined;
  let positionalParams = 0;
  let positional = true;
  for (const p of parameters?.children ?? []) {
    if (p.type === 'list_splat_pattern' || p.type === 'dictionary_splat_pattern' || p.type === 'keyword_separator') positional = false;
    if (p.type === 'identifier' || p.type === 'typed_parameter' || p.type === 'default_parameter' || p.type === 'typed_default_parameter') {
      if (positional) positionalParams++;
    }
    if (p.type !== 'default_parameter' && p.type !== 'typed_default_parameter') continue;
    const name = field(p, 'name');
    const value = field(p, 'value');
    const truth = value && literalTruth(value, src);
    if (name && truth) (paramDefaults ??= {})[src(name)] = truth;
  }
  return { paramDefaults, positionalParams };
}
