import type { PyNode } from './parser';
import type { CheckAct, FunctionSummary } from './summary';
import { field, unparen, walk } from './syntax';

/**
 * Check-then-acts that repeat harmlessly when two threads both pass the check (rules.md
 * principle 7: idempotent memoisation is at most `information`):
 * - a memo fill: the check tests a key's presence or absence (`k not in d`, `if k in d: return
 *   d[k]`, `d.get(k) is None`) and the act stores a value computed only from the function's own
 *   locals, parameters, literals and pure builtins (`d[k] = type(name, bases, ns)`, a class
 *   defined in the function): both threads store equal values;
 * - a refresh: the check compares the state with a local reading (`if now != self._stamp:`) and
 *   the act stores that very reading (`self._stamp = now`): the state ends as one of the two
 *   readings, and nothing read from it is written back.
 * A value made by any other call (`build(key)`, `Connection()`) may differ between the threads
 * or leak what the loser made, so it stays a race.
 */

/** Builtins whose result depends only on their arguments and that change nothing. */
const PURE_CALLS = /^(type|str|int|float|bool|bytes|tuple|frozenset|repr|len|min|max|abs|round|format|hash|ord|chr|divmod|isinstance|issubclass|getattr)$/;
/** Methods of strings that build a new value. */
const PURE_METHODS = /^(format|join|lower|upper|strip|lstrip|rstrip|replace|split|rsplit|partition|rpartition|encode|decode|zfill|ljust|rjust|center)$/;
/** Expressions whose value is pure when all their parts are. */
const COMPOSITE = new Set([
  'tuple', 'list', 'set', 'dictionary', 'pair', 'parenthesized_expression', 'binary_operator', 'unary_operator', 'boolean_operator',
  'not_operator', 'comparison_operator', 'conditional_expression', 'expression_list', 'concatenated_string', 'string', 'interpolation',
  'string_content', 'string_start', 'string_end', 'escape_sequence', 'format_specifier', 'format_expression', 'subscript', 'slice',
]);
const MUTABLE = new Set(['list', 'dictionary', 'set', 'list_comprehension', 'dictionary_comprehension', 'set_comprehension']);
/** Deeper expressions (`a + b + … + z` over hundreds of terms) are not worth proving pure. */
const MAX_NESTING = 64;
const LITERALS = new Set(['integer', 'float', 'true', 'false', 'none', 'ellipsis']);
/** Class names, constants and the module's own dunders: `GenericException`, `MAX_AGE`, `__name__`. */
const CLASS_OR_CONSTANT = /^(_*[A-Z]|__[a-z]+__$)/;

/** `d.items()`, `list(d.values())`, `d.copy().items()`: the entries of a mapping. */
const MAPPING_VIEW = /\.(items|values|keys)\(\)\)?$/;

type Src = (node: PyNode) => string;

const pureAliases = new WeakMap<PyNode, Map<string, boolean>>();

function moduleOf(node: PyNode): PyNode {
  let n = node;
  while (n.parent) n = n.parent;
  return n;
}

/** The name an import binds: `ClassType`, or `T` for `ClassType as T`. */
function importedName(node: PyNode, src: Src): string {
  if (node.type === 'aliased_import') return src(field(node, 'alias') ?? node);
  return src(node);
}

function contains(ancestor: PyNode, node: PyNode): boolean {
  for (let n: PyNode | null = node; n; n = n.parent) if (n === ancestor) return true;
  return false;
}

/**
 * The act repeats harmlessly, and the function changes the stored entry no further: a memo
 * filled with an empty list and then appended to (`d[k] = []; d[k].append(v)`) loses an append.
 * Another harmless fill of the same check (the `else` branch building it another way) is fine.
 */
export function repeatsHarmlessly(fn: FunctionSummary, act: CheckAct): boolean {
  if (!act.idempotent) return false;
  const fills = new Set(act.moreWrites ?? []);
  return !fn.accesses.some((a) => a.key === act.key && a.span.line > act.write.line && a.kind !== 'read' && a.kind !== 'iterate' && !fills.has(a.span.line));
}

export function isIdempotentStore(statement: PyNode, checked: PyNode, src: Src): boolean {
  const fn = enclosingFunction(statement);
  const act = statement.children[0];
  if (!fn || !act) return false;
  const locals = new FunctionLocals(fn, src);
  // `seen.add(key)`: adding an equal element twice leaves the set as one add does.
  const added = addedElement(act, src);
  if (added) return locals.isPure(locals.reaching(added, statement), 0);
  if (act.type !== 'assignment') return false;
  let right = field(act, 'right');
  // `a[k] = b[j] = v` stores `v` in both.
  while (right?.type === 'assignment') right = field(right, 'right');
  if (!right) return false;
  const value = locals.reaching(unparen(right), statement);
  // A parameter stored as it came is handed in, not computed: another caller may hand in another.
  if (testsPresence(checked)) {
    return !(value.type === 'identifier' && locals.isParam(src(value))) && !locals.isMutableContainer(value) && locals.isPure(value, 0);
  }
  // A refresh: `if now > self._last + interval: … self._last = now`.
  const stored = unparen(right);
  if (stored.type !== 'identifier' || !locals.isLocal(src(stored))) return false;
  const comparison = enclosingComparison(checked, src);
  let compared = false;
  if (comparison) walk(comparison, (n) => {
    if (n.type === 'identifier' && src(n) === src(stored)) compared = true;
    return n.type !== 'call' && n.type !== 'attribute';
  });
  return compared;
}

/** `k in d`, `k not in d` (the container), `x is None`, `not x`, `if x:` (a looked-up value). */
function testsPresence(checked: PyNode): boolean {
  const parent = checked.parent;
  if (!parent) return false;
  if (parent.type === 'not_operator' || parent.type === 'if_statement' || parent.type === 'elif_clause') return true;
  if (parent.type !== 'comparison_operator') return false;
  if (parent.children.some((c) => c.type === 'none')) return true;
  const operators = parent.children.filter((c) => c.type === 'in' || c.type === 'not in').length;
  return operators > 0 && parent.children[0] !== checked;
}

/** The comparison the state takes part in, directly or through a lookup (`now != d.get(k)`). */
function enclosingComparison(node: PyNode, src: Src): PyNode | undefined {
  for (let n: PyNode | null = node.parent; n; n = n.parent) {
    if (n.type === 'comparison_operator') return n;
    if (n.type === 'attribute' && n.field === 'function' && n.parent?.type === 'call' && src(field(n, 'attribute') ?? n) === 'get') {
      n = n.parent;
      continue;
    }
    if (n.type !== 'binary_operator' && n.type !== 'parenthesized_expression' && n.type !== 'unary_operator') return undefined;
  }
  return undefined;
}

/** `s.add(x)` as a statement: the element added. */
function addedElement(act: PyNode, src: Src): PyNode | undefined {
  if (act.type !== 'call') return undefined;
  const callee = field(act, 'function');
  const args = (field(act, 'arguments')?.children ?? []).filter((c) => !/^[(),]$/.test(c.type) && c.type !== 'comment');
  if (callee?.type !== 'attribute' || src(field(callee, 'attribute') ?? callee) !== 'add' || args.length !== 1) return undefined;
  return args[0]!.type === 'keyword_argument' || args[0]!.type.endsWith('splat') ? undefined : args[0];
}

function enclosingFunction(node: PyNode): PyNode | undefined {
  for (let n: PyNode | null = node.parent; n; n = n.parent) {
    if (n.type === 'function_definition') return n;
    if (n.type === 'class_definition' || n.type === 'module') return undefined;
  }
  return undefined;
}

/** What the function binds itself: its parameters, plain assignments, classes and functions it defines. */
class FunctionLocals {
  private readonly params = new Set<string>();
  private readonly assigned = new Map<string, PyNode[]>();
  private readonly definitions = new Set<string>();
  /** Bound some other way (loop target, `with … as`, `global`): local or not, its value is unknown. */
  private readonly opaque = new Set<string>();
  /** Every plain assignment statement of a name, in source order. */
  private readonly assignments = new Map<string, PyNode[]>();
  /**
   * `for key, entry in table.items():`: each name is an entry of a mapping every caller
   * iterates alike, an existing object rather than one this run makes.
   */
  private readonly entries = new Set<string>();
  /** Names whose values are being checked: a reference back to one is a cycle, not a new value. */
  private readonly visiting = new Set<string>();

  constructor(private readonly fn: PyNode, private readonly src: Src) {
    const parameters = field(fn, 'parameters');
    for (const p of parameters?.children ?? []) {
      const name = p.type === 'identifier' ? p : field(p, 'name') ?? p.children.find((c) => c.type === 'identifier');
      if (name?.type === 'identifier') this.params.add(src(name));
    }
    const body = field(fn, 'body');
    if (!body) return;
    walk(body, (n) => {
      if (n.type === 'function_definition' || n.type === 'class_definition') {
        const name = field(n, 'name');
        if (name) this.definitions.add(src(name));
        return false;
      }
      if (n.type === 'global_statement' || n.type === 'nonlocal_statement') {
        for (const c of n.children) if (c.type === 'identifier') this.opaque.add(src(c));
        return false;
      }
      if (n.type === 'assignment' || n.type === 'augmented_assignment') {
        const left = field(n, 'left');
        const right = field(n, 'right');
        if (left && n.type === 'assignment' && right) {
          // `a, b = value`: each part is as pure as the whole.
          walk(left, (t) => {
            if (t.type !== 'identifier') return t.type !== 'attribute' && t.type !== 'subscript';
            this.assigned.set(src(t), [...(this.assigned.get(src(t)) ?? []), right]);
            if (left.type === 'identifier') this.assignments.set(src(t), [...(this.assignments.get(src(t)) ?? []), n]);
            return false;
          });
        } else if (left?.type === 'identifier') {
          this.opaque.add(src(left));
        }
      }
      if (n.type === 'for_statement' || n.type === 'as_pattern' || n.type === 'named_expression') {
        const target = field(n, 'left') ?? field(n, 'alias') ?? field(n, 'name');
        if (target) walk(target, (t) => void (t.type === 'identifier' && this.opaque.add(src(t))));
        if (target && n.type === 'for_statement' && MAPPING_VIEW.test(src(field(n, 'right') ?? n))) {
          walk(target, (t) => void (t.type === 'identifier' && this.entries.add(src(t))));
        }
      }
      return true;
    }, true);
  }

  /**
   * `[]`, `{}`, `set()`, or a local holding one: each thread fills the container it stored, and
   * the loser's additions are lost (`d[k] = []` then `d[k].append(v)`).
   */
  isMutableContainer(node: PyNode, depth = 0): boolean {
    const value = unparen(node);
    if (MUTABLE.has(value.type)) return true;
    if (value.type === 'call') return /^(list|dict|set|bytearray)$/.test(this.src(field(value, 'function') ?? value));
    // `mod = mod.parent` may refer to itself: follow a few assignments, as isPure does.
    return value.type === 'identifier' && depth < 3 && (this.assigned.get(this.src(value)) ?? []).some((v) => this.isMutableContainer(v, depth + 1));
  }

  /**
   * What `value` holds at `statement`: for a name, the right side of its last assignment before
   * it in a block that encloses the statement (straight-line code, so that assignment reaches it).
   */
  reaching(value: PyNode, statement: PyNode): PyNode {
    if (value.type !== 'identifier' || this.opaque.has(this.src(value))) return value;
    const before = (this.assignments.get(this.src(value)) ?? []).filter((a) => a.end <= statement.start);
    const last = before[before.length - 1];
    const lastStatement = last?.parent;
    if (!lastStatement?.parent || lastStatement.parent.type !== 'block' || !contains(lastStatement.parent, statement)) return value;
    let right = field(last!, 'right');
    while (right?.type === 'assignment') right = field(right, 'right');
    return right ? unparen(right) : value;
  }

  isParam(name: string): boolean {
    return this.params.has(name);
  }

  isLocal(name: string): boolean {
    return !this.opaque.has(name) && (this.params.has(name) || this.assigned.has(name) || this.definitions.has(name));
  }

  /**
   * Computed only from locals, parameters, literals, class names and pure builtins. `nesting`
   * bounds the recursion: an expression nested deeper than that is not called pure.
   */
  isPure(node: PyNode, depth: number, nesting = 0): boolean {
    if (nesting > MAX_NESTING) return false;
    const value = unparen(node);
    const pure = (child: PyNode) => this.isPure(child, depth, nesting + 1);
    if (LITERALS.has(value.type) || value.type === 'comment') return true;
    if (value.type === 'identifier') return this.isPureName(this.src(value), depth);
    if (value.type === 'attribute') {
      const object = unparen(field(value, 'object') ?? value);
      return object.type === 'identifier' && !/^(self|cls)$/.test(this.src(object)) && (this.entries.has(this.src(object)) || pure(object));
    }
    if (value.type === 'call') {
      const callee = field(value, 'function');
      const args = field(value, 'arguments');
      const pureCallee = callee?.type === 'identifier'
        ? PURE_CALLS.test(this.src(callee)) || this.isPureAlias(this.src(callee))
        : callee?.type === 'attribute' && PURE_METHODS.test(this.src(field(callee, 'attribute') ?? callee)) && pure(field(callee, 'object') ?? callee);
      return pureCallee === true && (args?.children ?? []).every((a) => pure(a.type === 'keyword_argument' ? field(a, 'value') ?? a : a));
    }
    // An operator or punctuation token (`%`, `,`, `and`, `not in`).
    if (value.children.length === 0 && this.src(value) === value.type) return true;
    if (!COMPOSITE.has(value.type)) return false;
    return value.children.every(pure);
  }

  /**
   * A module name bound only to a pure builtin or a constructor of `types` (compatibility
   * code: `try: from types import ClassType` / `except ImportError: ClassType = type`).
   */
  private isPureAlias(name: string): boolean {
    if (this.isLocal(name) || this.opaque.has(name)) return false;
    const module = moduleOf(this.fn);
    let known = pureAliases.get(module);
    if (!known) pureAliases.set(module, (known = new Map()));
    let pure = known.get(name);
    if (pure === undefined) known.set(name, (pure = this.bindsOnlyPure(module, name)));
    return pure;
  }

  /** Every module-level binding of `name` is a pure builtin or an import from `types` (one walk per module and name). */
  private bindsOnlyPure(module: PyNode, name: string): boolean {
    let bindings = 0;
    let pure = true;
    walk(module, (n) => {
      if (n.type === 'function_definition' || n.type === 'class_definition') return false;
      if (n.type === 'assignment' && field(n, 'left')?.type === 'identifier' && this.src(field(n, 'left')!) === name) {
        bindings++;
        const right = field(n, 'right');
        pure &&= right?.type === 'identifier' && PURE_CALLS.test(this.src(right));
      } else if (n.type === 'import_from_statement' && n.children.some((c) => (c.type === 'dotted_name' || c.type === 'aliased_import') && c.field !== 'module_name' && importedName(c, this.src) === name)) {
        bindings++;
        pure &&= this.src(field(n, 'module_name') ?? n) === 'types';
      }
      return true;
    });
    return bindings > 0 && pure;
  }

  private isPureName(name: string, depth: number): boolean {
    if (this.opaque.has(name)) return false;
    if (this.definitions.has(name) || this.params.has(name)) return true;
    const values = this.assigned.get(name);
    if (!values) return CLASS_OR_CONSTANT.test(name);
    // `name = str(name)` refers to its own earlier values, which the other assignments cover.
    if (this.visiting.has(name)) return true;
    if (depth >= 3) return false;
    this.visiting.add(name);
    try {
      return values.every((v) => this.isPure(v, depth + 1));
    } finally {
      this.visiting.delete(name);
    }
  }
}
