import path from 'node:path';
import type { SourceFile } from '../language';
import { isLockKind, kindOfConstructor, looksLikeLockName } from './kinds';
import { parsePython, type PyNode } from './parser';
import { collectParams, collectScopeNames, emptyScopeNames, type ScopeNames } from './scopes';
import { LineIndex } from './source-text';
import type {
  AccessKind,
  FunctionSummary,
  LockUse,
  PythonModuleSummary,
  Span,
  Spawn,
  SpawnKind,
  StatementSite,
} from './summary';
import { UNVERIFIED_LOCK } from './summary';
import { field, hasToken, some, statementOf, unparen, walk } from './syntax';

/** Container methods that change the container in one atomic step. */
const MUTATORS = new Set([
  'append', 'extend', 'insert', 'pop', 'popitem', 'remove', 'clear', 'update', 'setdefault', 'add',
  'discard', 'sort', 'reverse', 'appendleft', 'popleft', 'extendleft', 'rotate', '__setitem__', '__delitem__',
]);
const ITERATION_VIEWS = new Set(['items', 'keys', 'values']);
const POOL_MAPS = new Set(['map', 'starmap', 'imap', 'imap_unordered', 'map_async', 'starmap_async']);
const POOL_SINGLE = new Set(['submit', 'apply_async', 'apply']);
/** Event-loop methods that are only safe on the loop's own thread. */
const LOOP_BOUND_METHODS = new Set([
  'put_nowait', 'get_nowait', 'put', 'get', 'set', 'clear', 'set_result', 'set_exception', 'cancel',
  'call_soon', 'call_later', 'call_at', 'create_task', 'stop', 'task_done',
]);
const HANDLER_DECORATOR = /\.(get|post|put|patch|delete|route|websocket|api_route|on|on_event|listener|handler|command|message_handler)\b|^(route|get|post)\b/;
const CONSTRUCTOR_NAMES = new Set(['__init__', '__new__', '__post_init__', 'setUp', 'setUpClass', '__enter__']);
/** `sorted((a, b), key=id)`, `min(a, b, key=id)`, `if id(a) < id(b):` order two instances by identity. */
const ORDERED_BY_ID = /key\s*=\s*id\b|\bid\(\w+\)\s*[<>]/;
const LOCK_ORDER_DECLARATION = /#\s*conclens:\s*lock-order\s+([\w.*]+)\s+by\s+id\b/g;

interface Resolved {
  key: string;
  /** Module global, class attribute, captured local or another module's attribute. */
  shared: boolean;
  viaSelf: boolean;
  /** Kind known at summary time (constructor seen in this module). */
  kind?: string;
}

interface CheckFrame {
  node: PyNode;
  keys: Map<string, PyNode>;
  span: Span;
  text: string;
  locks: string[];
  epoch: number;
  lazy: Set<string>;
  reported: Set<string>;
}

interface HeldLock extends LockUse {
  block: number;
  receiver: string;
  /** Taken by a bare `acquire()`: another thread may release it (hand-off), not a re-entry. */
  manual?: boolean;
  /** For a bare `acquire()` statement: the block whose end releases it at the latest. */
  manualBlock?: PyNode;
}

interface Scope {
  fn: FunctionSummary;
  qual: string;
  parent: Scope | null;
  className?: string;
  selfName?: string;
  names: ScopeNames;
  isModule: boolean;
  held: HeldLock[];
  epoch: number;
  loops: PyNode[];
  whileDepth: number;
  checks: CheckFrame[];
  /** Local → shared keys it snapshots, the await epoch and where (asyncio lost update). */
  snapshots: Map<string, { keys: Set<string>; epoch: number; span: Span; locks: string[] }>;
  /** Local assigned inside a critical section → lock key, block id, where. */
  critical: Map<string, { lock: string; block: number; span: Span }>;
  /** Loop variable → the handle collection it iterates (`for t in threads`). */
  aliases: Map<string, string>;
  /** Local → executor whose `submit` produced it. */
  futureOf: Map<string, string>;
  localKinds: Map<string, string>;
  /** Local → loop node it was assigned in (bound methods of per-iteration objects). */
  assignedInLoop: Map<string, PyNode | null>;
  /** Extra awaits the right-hand side of the assignment being visited adds before its store. */
  pendingAwaits: number;
  manualHeld: number;
  pendingHandle?: string;
  pendingRmwKeys?: Set<string>;
  ordersById: boolean;
}

type Task = { node: PyNode; scope: Scope } | { exit: () => void };

/** The module, blocks and the compound statements that own blocks: where statements can be. */
const STATEMENT_CONTAINERS = new Set([
  'module', 'block', 'if_statement', 'elif_clause', 'else_clause', 'for_statement', 'while_statement', 'try_statement',
  'except_clause', 'except_group_clause', 'finally_clause', 'with_statement', 'function_definition', 'class_definition',
  'decorated_definition', 'match_statement', 'case_clause',
]);

/**
 * One frozen empty list stands for every empty fact list and lock set of a module. Most of
 * them are empty, and structured cloning copies a shared object once, so the summary a worker
 * sends shrinks by about a million objects on the standard library. Frozen: a push would throw.
 */
const NONE: never[] = Object.freeze([]) as never[];

function heldKeys(scope: Scope): string[] {
  return scope.held.length === 0 ? NONE : scope.held.map((h) => h.key);
}

const FACT_LISTS = [
  'params', 'accesses', 'calls', 'spawns', 'joins', 'acquires', 'edges', 'checkActs', 'awaitUpdates', 'splitDecisions',
  'asyncioUses', 'poolWaits', 'conditionOps', 'bareAcquires', 'lockAcrossAwait', 'mpUpdates', 'eventSets', 'eventWaits',
] as const satisfies readonly (keyof FunctionSummary)[];

function shareEmptyLists(fn: FunctionSummary): void {
  for (const name of FACT_LISTS) if (fn[name].length === 0) fn[name] = NONE;
}

export async function summarizePython(file: SourceFile): Promise<PythonModuleSummary> {
  const root = await parsePython(file.text);
  return new Summarizer(file, root).run();
}

export function moduleNameOf(filePath: string): string {
  const base = path.basename(filePath).replace(/\.pyw?$/, '');
  return base === '__init__' ? path.basename(path.dirname(filePath)) : base;
}

function lastComponent(dotted: string): string {
  const trimmed = dotted.replace(/^\.+/, '');
  const dot = trimmed.lastIndexOf('.');
  return dot === -1 ? trimmed : trimmed.slice(dot + 1);
}

class Summarizer {
  private readonly text: string;
  private readonly lines: LineIndex;
  private readonly module: string;
  /** Local import name → fully qualified dotted name. */
  private readonly imports = new Map<string, string>();
  private readonly moduleVars = new Set<string>();
  private readonly moduleDefs = new Set<string>();
  private readonly classes = new Map<string, { methods: Set<string>; bases: string[] }>();
  private readonly summary: PythonModuleSummary;
  private blockCounter = 0;
  private readonly spawnLoops = new Map<Spawn, PyNode>();
  private readonly functionKeys = new Set<string>();
  /** `if pid == 0:` bodies after `os.fork()`: the child process has a single thread. */
  private readonly forkChildBlocks = new Set<PyNode>();
  private readonly forks: boolean;
  /** The file's line ending, for the statement sites of fixes. */
  private readonly eol: string;

  constructor(
    private readonly file: SourceFile,
    private readonly root: PyNode,
  ) {
    this.text = file.text;
    this.lines = new LineIndex(file.text);
    this.eol = file.text.includes('\r\n') ? '\r\n' : '\n';
    this.module = moduleNameOf(file.path);
    this.forks = /\bos\.fork1?\(\)/.test(file.text);
    this.summary = {
      file: file.path,
      module: this.module,
      // Null prototypes: state keys such as `m:constructor` must not hit Object.prototype.
      kinds: Object.create(null) as Record<string, string>,
      classBases: Object.create(null) as Record<string, string[]>,
      declaredOrders: [...file.text.matchAll(LOCK_ORDER_DECLARATION)].map((m) => m[1]!),
      functions: [],
    };
  }

  run(): PythonModuleSummary {
    this.collectModuleFacts();
    const names = emptyScopeNames();
    collectScopeNames(this.root, this.text, names, true);
    const moduleScope = this.newScope(this.newFunction(`${this.module}:<module>`, '<module>', this.root, false), '<module>', null, names, true);
    this.walkScope(this.root, moduleScope);
    for (const fn of this.summary.functions) shareEmptyLists(fn);
    return this.summary;
  }

  // ---------------------------------------------------------------- module facts

  private src(node: PyNode): string {
    return this.text.slice(node.start, node.end);
  }

  private span(node: PyNode): Span {
    return this.lines.span(node.start, node.end);
  }

  /**
   * The node's source with whitespace runs collapsed, cut to 60 characters. Big statements
   * (a module-level table) are read in growing prefixes: collapsing a prefix gives the same
   * first characters as collapsing the whole, so only what the message shows is copied.
   */
  private shortText(node: PyNode): string {
    for (let window = 256; ; window *= 4) {
      const whole = node.start + window >= node.end;
      const raw = this.text.slice(node.start, whole ? node.end : node.start + window).replace(/\s+/g, ' ');
      if (raw.length > 60) return `${raw.slice(0, 57)}...`;
      if (whole) return raw;
    }
  }

  private collectModuleFacts(): void {
    // Imports are statements, so only statements that hold blocks are descended into.
    walk(this.root, (node) => {
      if (node.type === 'import_statement' || node.type === 'import_from_statement') {
        this.recordImport(node);
        return false;
      }
      return STATEMENT_CONTAINERS.has(node.type);
    }, true);
    for (const stmt of this.topLevelStatements(this.root)) {
      if (stmt.type === 'function_definition') {
        const name = field(stmt, 'name');
        if (name) this.moduleDefs.add(this.src(name));
      } else if (stmt.type === 'class_definition') {
        this.collectClass(stmt, '');
      } else {
        walk(stmt, (node) => {
          if (node.type === 'assignment' || node.type === 'augmented_assignment') {
            const left = field(node, 'left');
            if (left?.type === 'identifier') {
              this.moduleVars.add(this.src(left));
              const kind = this.kindOfValue(field(node, 'right'));
              if (kind) this.summary.kinds[`${this.module}:${this.src(left)}`] = kind;
            } else if (left) {
              walk(left, (n) => {
                if (n.type === 'identifier') this.moduleVars.add(this.src(n));
                return n.type !== 'attribute' && n.type !== 'subscript';
              });
            }
          }
          return !(node.type === 'function_definition' || node.type === 'class_definition');
        });
      }
    }
  }

  /** Statements of a module or class body, including those under `if`/`try` at that level. */
  private topLevelStatements(body: PyNode): PyNode[] {
    const out: PyNode[] = [];
    walk(body, (node) => {
      if (node === body || node.type === 'block' || node.type === 'if_statement' || node.type === 'try_statement' ||
        node.type === 'else_clause' || node.type === 'elif_clause' || node.type === 'except_clause' || node.type === 'finally_clause') {
        return true;
      }
      if (node.type === 'decorated_definition') {
        const def = field(node, 'definition');
        if (def) out.push(def);
        return false;
      }
      if (node.parent && (node.parent === body || node.parent.type === 'block')) out.push(node);
      return false;
    }, true);
    return out;
  }

  private collectClass(node: PyNode, prefix: string): void {
    const nameNode = field(node, 'name');
    const body = field(node, 'body');
    if (!nameNode || !body) return;
    const name = prefix + this.src(nameNode);
    const bases: string[] = [];
    const superclasses = field(node, 'superclasses');
    if (superclasses) {
      for (const base of superclasses.children) {
        if (base.type === 'identifier' || base.type === 'attribute') bases.push(this.qualify(base));
      }
    }
    const methods = new Set<string>();
    this.classes.set(name, { methods, bases });
    this.summary.classBases[`${this.module}:${name}`] = bases;
    for (const stmt of this.topLevelStatements(body)) {
      if (stmt.type === 'function_definition') {
        const methodName = field(stmt, 'name');
        if (methodName) methods.add(this.src(methodName));
        this.collectFieldKinds(stmt, name);
      } else if (stmt.type === 'class_definition') {
        this.collectClass(stmt, `${name}.`);
      } else if (stmt.type === 'expression_statement') {
        const assignment = stmt.children[0];
        const left = assignment && field(assignment, 'left');
        if (assignment?.type === 'assignment' && left?.type === 'identifier') {
          const kind = this.kindOfValue(field(assignment, 'right'));
          if (kind) this.summary.kinds[`${this.module}:${name}.${this.src(left)}`] = kind;
        }
      }
    }
  }

  /** `self.x = threading.Lock()` in any method: field kinds are known before methods are walked. */
  private collectFieldKinds(method: PyNode, className: string): void {
    const params = field(method, 'parameters');
    const first = params?.children[0];
    const body = field(method, 'body');
    if (!body || first?.type !== 'identifier') return;
    const selfName = this.src(first);
    walk(body, (node) => {
      if (node.type !== 'assignment') return true;
      const left = field(node, 'left');
      const object = left?.type === 'attribute' ? field(left, 'object') : undefined;
      const attr = left?.type === 'attribute' ? field(left, 'attribute') : undefined;
      if (object && attr && object.type === 'identifier' && this.src(object) === selfName) {
        const kind = this.kindOfValue(field(node, 'right'), undefined, { className, selfName });
        if (kind) this.summary.kinds[`${this.module}:${className}.${this.src(attr)}`] ??= kind;
      }
      return false;
    });
  }

  private recordImport(node: PyNode): void {
    if (node.type === 'import_statement') {
      for (const child of node.children) {
        if (child.field !== 'name') continue;
        if (child.type === 'aliased_import') {
          const target = field(child, 'name');
          const alias = field(child, 'alias');
          if (target && alias) this.imports.set(this.src(alias), this.src(target));
        } else if (child.type === 'dotted_name') {
          const first = this.src(child).split('.')[0]!.trim();
          this.imports.set(first, first);
        }
      }
      return;
    }
    const moduleNode = field(node, 'module_name');
    const from = moduleNode ? this.src(moduleNode) : '';
    for (const child of node.children) {
      if (child.field !== 'name') continue;
      const target = child.type === 'aliased_import' ? field(child, 'name') : child;
      const alias = child.type === 'aliased_import' ? field(child, 'alias') : child;
      if (!target || !alias) continue;
      const base = from.replace(/^\.+/, '');
      this.imports.set(this.src(alias), base ? `${base}.${this.src(target)}` : this.src(target));
    }
  }

  /** `th.Lock` → `threading.Lock` through the import table. */
  private qualify(node: PyNode): string {
    const raw = this.src(node).replace(/\s+/g, '');
    const dot = raw.indexOf('.');
    const head = dot === -1 ? raw : raw.slice(0, dot);
    const mapped = this.imports.get(head);
    return mapped ? mapped + (dot === -1 ? '' : raw.slice(dot)) : raw;
  }

  private kindOfValue(value: PyNode | undefined, scope?: Scope, method?: { className: string; selfName: string }): string | undefined {
    if (!value) return undefined;
    const node = unparen(value);
    switch (node.type) {
      case 'list':
      case 'dictionary':
      case 'set':
      case 'list_comprehension':
      case 'dictionary_comprehension':
      case 'set_comprehension':
        return 'container';
      case 'call': {
        const fn = field(node, 'function');
        if (!fn) return undefined;
        const qualified = this.qualify(fn);
        if (this.classes.has(qualified)) return `class:${this.module}:${qualified}`;
        let kind = kindOfConstructor(qualified);
        const dot = qualified.lastIndexOf('.');
        if (!kind && fn.type === 'identifier' && dot > 0 && /^[A-Z]/.test(qualified.slice(dot + 1))) {
          return `class:${lastComponent(qualified.slice(0, dot))}:${qualified.slice(dot + 1)}`;
        }
        if (kind === 'Condition') {
          const args = field(node, 'arguments');
          const lockArg = args?.children.find((c) => c.type !== 'keyword_argument');
          const lockKey = lockArg && scope ? this.resolve(lockArg, scope)?.key : lockArg && method ? this.selfFieldKey(lockArg, method) : undefined;
          kind = lockKey ? `Condition@${lockKey}` : 'Condition';
        }
        if (!kind && fn.type === 'attribute' && field(fn, 'attribute') && this.src(field(fn, 'attribute')!) === 'create_future') kind = 'aio.Future';
        return kind;
      }
      default:
        return undefined;
    }
  }

  private selfFieldKey(node: PyNode, method: { className: string; selfName: string }): string | undefined {
    const object = node.type === 'attribute' ? field(node, 'object') : undefined;
    const attr = node.type === 'attribute' ? field(node, 'attribute') : undefined;
    if (!object || !attr || this.src(object) !== method.selfName) return undefined;
    return `${this.module}:${method.className}.${this.src(attr)}`;
  }

  // ---------------------------------------------------------------- scopes

  private newFunction(key: string, name: string, node: PyNode, isAsync: boolean, className?: string): FunctionSummary {
    // A second definition with the same name (property setter, conditional variant) keeps its own facts.
    const span = this.span(node);
    const unique = this.functionKeys.has(key) ? `${key}@${span.line + 1}` : key;
    this.functionKeys.add(unique);
    const fn: FunctionSummary = {
      key: unique,
      name,
      params: [],
      className,
      isAsync,
      span,
      handler: false,
      constructor: CONSTRUCTOR_NAMES.has(name.slice(name.lastIndexOf('.') + 1)),
      accesses: [],
      calls: [],
      spawns: [],
      joins: [],
      acquires: [],
      edges: [],
      checkActs: [],
      awaitUpdates: [],
      splitDecisions: [],
      asyncioUses: [],
      poolWaits: [],
      conditionOps: [],
      bareAcquires: [],
      lockAcrossAwait: [],
      mpUpdates: [],
      eventSets: [],
      eventWaits: [],
    };
    this.summary.functions.push(fn);
    return fn;
  }

  private newScope(fn: FunctionSummary, qual: string, parent: Scope | null, names: ScopeNames, isModule = false): Scope {
    return {
      fn,
      qual,
      parent,
      names,
      isModule,
      held: [],
      epoch: 0,
      loops: [],
      whileDepth: 0,
      checks: [],
      snapshots: new Map(),
      critical: new Map(),
      aliases: new Map(),
      futureOf: new Map(),
      localKinds: new Map(),
      assignedInLoop: new Map(),
      pendingAwaits: 0,
      manualHeld: 0,
      ordersById: false,
    };
  }

  private lambdaKey(node: PyNode, scope: Scope): string {
    const span = this.span(node);
    const owner = scope.isModule ? '' : `${scope.qual}.`;
    return `${this.module}:${owner}<lambda>@${span.line + 1}:${span.col}`;
  }

  private enterFunction(node: PyNode, outer: Scope, stack: Task[]): void {
    const body = field(node, 'body');
    if (!body) return;
    const names = emptyScopeNames();
    collectParams(field(node, 'parameters'), this.text, names);
    let qual: string;
    let className: string | undefined;
    let isAsync = false;
    let key: string;
    if (node.type === 'lambda') {
      key = this.lambdaKey(node, outer);
      qual = key.slice(key.indexOf(':') + 1);
      if (body.type !== 'block') collectScopeNames(body, this.text, names);
    } else {
      const nameNode = field(node, 'name');
      const name = nameNode ? this.src(nameNode) : '<anonymous>';
      className = this.enclosingClass(node);
      qual = className && outer.isModule ? `${className}.${name}` : outer.isModule ? name : `${outer.qual}.${name}`;
      key = `${this.module}:${qual}`;
      isAsync = hasToken(node, 'async');
      collectScopeNames(body, this.text, names);
    }
    const fn = this.newFunction(key, qual, node, isAsync, className);
    fn.params = names.params;
    const decorated = node.parent?.type === 'decorated_definition' ? node.parent : undefined;
    if (decorated) {
      fn.handler = decorated.children.some((d) => d.type === 'decorator' && HANDLER_DECORATOR.test(this.src(d).slice(1)));
    }
    const scope = this.newScope(fn, qual, outer.isModule ? null : outer, names);
    scope.ordersById = ORDERED_BY_ID.test(this.src(body));
    if (className && names.params.length > 0) {
      scope.className = className;
      scope.selfName = names.params[0];
    }
    if (node.type === 'lambda') stack.push({ node: body, scope });
    else this.walkScopeInto(body, scope, stack);
  }

  private enclosingClass(def: PyNode): string | undefined {
    let node: PyNode | null = def.parent;
    if (node?.type === 'decorated_definition') node = node.parent;
    const parts: string[] = [];
    while (node?.type === 'block' && node.parent?.type === 'class_definition') {
      const nameNode = field(node.parent, 'name');
      if (!nameNode) break;
      parts.unshift(this.src(nameNode));
      node = node.parent.parent;
      if (node?.type === 'decorated_definition') node = node.parent;
    }
    return parts.length > 0 ? parts.join('.') : undefined;
  }

  // ---------------------------------------------------------------- main walk

  private walkScope(root: PyNode, scope: Scope): void {
    const stack: Task[] = [];
    this.walkScopeInto(root, scope, stack);
    while (stack.length > 0) {
      const task = stack.pop()!;
      if ('exit' in task) task.exit();
      else this.visit(task.node, task.scope, stack);
    }
  }

  private walkScopeInto(root: PyNode, scope: Scope, stack: Task[]): void {
    this.pushChildren(root, scope, stack);
  }

  private pushChildren(node: PyNode, scope: Scope, stack: Task[]): void {
    for (let i = node.children.length - 1; i >= 0; i--) stack.push({ node: node.children[i]!, scope });
  }

  private visit(node: PyNode, scope: Scope, stack: Task[]): void {
    if (scope.manualHeld > 0) this.dropManualLocksOutside(node, scope);
    switch (node.type) {
      case 'function_definition':
      case 'lambda':
        this.enterFunction(node, scope, stack);
        return;
      case 'class_definition': {
        const body = field(node, 'body');
        if (body) {
          const defs = this.topLevelStatements(body).filter((d) => d.type === 'function_definition' || d.type === 'class_definition');
          for (let i = defs.length - 1; i >= 0; i--) stack.push({ node: defs[i]!, scope });
        }
        return;
      }
      case 'decorated_definition': {
        const def = field(node, 'definition');
        if (def) stack.push({ node: def, scope });
        return;
      }
      case 'import_statement':
      case 'import_from_statement':
      case 'global_statement':
      case 'nonlocal_statement':
      case 'parameters':
      case 'lambda_parameters':
        return;
      case 'keyword_argument': {
        const value = field(node, 'value');
        if (value) stack.push({ node: value, scope });
        return;
      }
      case 'with_statement':
        this.visitWith(node, scope, stack);
        return;
      case 'if_statement':
      case 'elif_clause':
        this.visitIf(node, scope, stack);
        return;
      case 'for_statement':
      case 'while_statement':
      case 'list_comprehension':
      case 'set_comprehension':
      case 'dictionary_comprehension':
      case 'generator_expression':
        this.visitLoop(node, scope, stack);
        return;
      case 'for_in_clause':
        this.visitForIn(node, scope);
        break;
      case 'await':
        scope.epoch++;
        break;
      case 'assignment':
      case 'augmented_assignment':
        this.visitAssignment(node, scope, stack);
        return;
      case 'call':
        this.visitCall(node, scope);
        break;
      case 'identifier':
      case 'attribute':
      case 'subscript':
        if (this.visitReference(node, scope)) return;
        break;
      default:
        break;
    }
    this.pushChildren(node, scope, stack);
  }

  // ---------------------------------------------------------------- references and accesses

  private resolveName(name: string, scope: Scope): Resolved | undefined {
    if (!scope.isModule && scope.names.globals.has(name)) return this.globalRef(name);
    if (!scope.isModule && scope.names.locals.has(name)) {
      const captured = scope.names.usedInside.has(name);
      return { key: `${this.module}:${scope.qual}#${name}`, shared: captured, viaSelf: false, kind: scope.localKinds.get(name) };
    }
    for (let outer = scope.isModule ? null : scope.parent; outer; outer = outer.parent) {
      if (outer.names.locals.has(name)) {
        return { key: `${this.module}:${outer.qual}#${name}`, shared: true, viaSelf: false, kind: outer.localKinds.get(name) };
      }
    }
    return this.globalRef(name);
  }

  private globalRef(name: string): Resolved | undefined {
    if (this.moduleVars.has(name)) {
      const key = `${this.module}:${name}`;
      return { key, shared: true, viaSelf: false, kind: this.summary.kinds[key] };
    }
    const imported = this.imports.get(name);
    if (imported && imported.includes('.') && !this.moduleDefs.has(name)) {
      const dot = imported.lastIndexOf('.');
      return { key: `${lastComponent(imported.slice(0, dot))}:${imported.slice(dot + 1)}`, shared: true, viaSelf: false };
    }
    return undefined;
  }

  /** Resolves a name or attribute chain to a state key, when it names something trackable. */
  private resolve(node: PyNode, scope: Scope): Resolved | undefined {
    const target = unparen(node);
    if (target.type === 'identifier') return this.resolveName(this.src(target), scope);
    if (target.type === 'call') {
      const fn = field(target, 'function');
      const attr = fn && fn.type === 'attribute' ? field(fn, 'attribute') : undefined;
      const object = fn && field(fn, 'object');
      if (attr && object && this.src(attr) === 'get_lock') {
        const base = this.resolve(object, scope);
        return base ? { key: `${base.key}.get_lock()`, shared: base.shared, viaSelf: base.viaSelf, kind: 'Lock' } : undefined;
      }
      return undefined;
    }
    if (target.type !== 'attribute') return undefined;
    const object = field(target, 'object');
    const attrNode = field(target, 'attribute');
    if (!object || !attrNode) return undefined;
    const attr = this.src(attrNode);
    const obj = unparen(object);
    if (obj.type !== 'identifier') return undefined;
    const objName = this.src(obj);
    if (scope.className && (objName === scope.selfName || objName === 'cls')) {
      if (this.classes.get(scope.className)?.methods.has(attr)) return undefined;
      const key = `${this.module}:${scope.className}.${attr}`;
      return { key, shared: true, viaSelf: true, kind: this.summary.kinds[key] };
    }
    const outerSelf = this.outerSelf(objName, scope);
    if (outerSelf) {
      const key = `${this.module}:${outerSelf}.${attr}`;
      return { key, shared: true, viaSelf: true, kind: this.summary.kinds[key] };
    }
    if (this.classes.has(objName) && !scope.names.locals.has(objName)) {
      const key = `${this.module}:${objName}.${attr}`;
      return { key, shared: true, viaSelf: false, kind: this.summary.kinds[key] };
    }
    const imported = this.imports.get(objName);
    if (imported && !scope.names.locals.has(objName)) {
      return { key: `${lastComponent(imported)}:${attr}`, shared: true, viaSelf: false };
    }
    // A module-level (or closure-shared) instance of a known class: its attributes are shared.
    const holder = this.resolveName(objName, scope);
    if (holder?.shared && holder.kind?.startsWith('class:')) {
      const key = `${holder.kind.slice(6)}.${attr}`;
      return { key, shared: true, viaSelf: false, kind: this.summary.kinds[key] };
    }
    const classKey = this.classOfLocal(objName, scope);
    if (classKey) {
      const key = `${classKey}.${attr}`;
      return { key, shared: false, viaSelf: false, kind: this.summary.kinds[key] };
    }
    return { key: `${this.module}:*.${attr}`, shared: false, viaSelf: false };
  }

  /** `self` of an enclosing method, seen from a nested function or lambda. */
  private outerSelf(name: string, scope: Scope): string | undefined {
    if (scope.names.locals.has(name)) return undefined;
    for (let outer = scope.parent; outer; outer = outer.parent) {
      if (outer.className && outer.selfName === name) return outer.className;
      if (outer.names.locals.has(name)) return undefined;
    }
    return undefined;
  }

  /** Class of a local: `a = Account()` or a parameter annotated `a: Account`. */
  private classOfLocal(name: string, scope: Scope): string | undefined {
    const kind = scope.localKinds.get(name);
    if (kind?.startsWith('class:')) return kind.slice(6);
    const annotation = scope.names.annotations.get(name)?.replace(/^["']|["']$/g, '');
    if (annotation && this.classes.has(annotation)) return `${this.module}:${annotation}`;
    return undefined;
  }

  private roleOf(node: PyNode, key: string, scope: Scope): AccessKind | undefined {
    let child = node;
    let parent = node.parent;
    while (parent && (parent.type === 'parenthesized_expression' || parent.type === 'pattern_list' || parent.type === 'tuple_pattern' ||
      (parent.type === 'expression_list' && parent.parent?.type !== 'delete_statement' && parent.parent?.type !== 'for_statement'))) {
      child = parent;
      parent = parent.parent;
    }
    if (!parent) return 'read';
    switch (parent.type) {
      case 'assignment':
        if (child.field === 'left') return scope.pendingRmwKeys?.has(key) ? 'rmw' : 'write';
        return 'read';
      case 'augmented_assignment':
        return child.field === 'left' ? 'rmw' : 'read';
      case 'for_statement':
      case 'for_in_clause':
        if (child.field === 'right') return 'iterate';
        return child.field === 'left' ? 'write' : 'read';
      case 'delete_statement':
      case 'expression_list':
        return 'write';
      case 'attribute': {
        if (child.field !== 'object') return 'read';
        const call = parent.parent;
        const attr = field(parent, 'attribute');
        if (call?.type === 'call' && parent.field === 'function' && attr) {
          const method = this.src(attr);
          if (MUTATORS.has(method)) return 'mutate';
          if (ITERATION_VIEWS.has(method) && (call.field === 'right' && (call.parent?.type === 'for_statement' || call.parent?.type === 'for_in_clause'))) {
            return 'iterate';
          }
          if (method === 'acquire' || method === 'release' || method === 'wait' || method === 'notify' || method === 'notify_all' ||
            method === 'join' || method === 'result' || method === 'start' || method === 'set' || method === 'is_set') {
            return undefined;
          }
        }
        return 'read';
      }
      case 'subscript': {
        if (child.field !== 'value') return 'read';
        let outer: PyNode = parent;
        while (outer.parent?.type === 'pattern_list' || outer.parent?.type === 'expression_list') outer = outer.parent;
        const holder = outer.parent;
        if (holder?.type === 'assignment' && outer.field === 'left') return scope.pendingRmwKeys?.has(key) ? 'compound' : 'mutate';
        if (holder?.type === 'augmented_assignment' && outer.field === 'left') return 'compound';
        if (holder?.type === 'delete_statement') return 'mutate';
        return 'read';
      }
      case 'call':
        return 'read';
      default:
        return 'read';
    }
  }

  /** Returns true when the node's children must not be visited (it was a resolved reference). */
  private visitReference(node: PyNode, scope: Scope): boolean {
    if (node.type === 'subscript') return false;
    if (node.type === 'identifier' && (node.parent?.type === 'attribute' && node.field === 'attribute')) return true;
    if (node.type === 'identifier' && node.parent?.type === 'keyword_argument' && node.field === 'name') return true;
    const resolved = this.resolve(node, scope);
    if (!resolved) return false;
    if (!resolved.shared) return false;
    const kind = this.roleOf(node, resolved.key, scope);
    if (!kind) return true;
    if (kind === 'read' && this.isSyncObject(resolved.kind)) return true;
    // Reading an imported name (a function, a class) is not shared state worth tracking.
    if (kind === 'read' && node.type === 'identifier' && !resolved.key.startsWith(`${this.module}:`)) return true;
    this.recordAccess(node, resolved, kind, scope);
    return true;
  }

  private isSyncObject(kind: string | undefined): boolean {
    return kind !== undefined && kind !== 'container' && !kind.startsWith('class:');
  }

  private inForkChild(node: PyNode): boolean {
    if (this.forkChildBlocks.size === 0) return false;
    for (let n: PyNode | null = node; n; n = n.parent) if (this.forkChildBlocks.has(n)) return true;
    return false;
  }

  private recordAccess(node: PyNode, resolved: Resolved, kind: AccessKind, scope: Scope): void {
    if (this.inForkChild(node)) return;
    // Plain reads matter only for module globals (a parent reading what a process worker wrote);
    // attribute reads are the bulk of all accesses and no rule pairs them, so they are not kept.
    if (kind === 'read' && /[.#]/.test(resolved.key.slice(resolved.key.indexOf(':') + 1))) return;
    const statement = statementOf(node);
    const locks = heldKeys(scope);
    scope.fn.accesses.push({
      key: resolved.key,
      kind,
      text: this.shortText(kind === 'read' || kind === 'iterate' ? node : statement),
      span: this.span(kind === 'read' || kind === 'iterate' ? node : statement.type === 'expression_statement' ? statement.children[0] ?? statement : statement),
      locks,
      viaSelf: resolved.viaSelf,
      stmt: kind === 'read' || kind === 'iterate' ? undefined : this.statementSite(statement),
    });
    if (kind !== 'read' && kind !== 'iterate' && kind !== 'rmw') this.noteCheckThenAct(node, resolved.key, kind, scope);
  }

  /** `flag = True`, `x = None`: writing a constant twice is idempotent. */
  /** Between the check and the act, a `try` with handlers: the author tolerates losing the race. */
  private insideTry(node: PyNode, checkNode: PyNode): boolean {
    for (let n = node.parent; n && n !== checkNode; n = n.parent) {
      if (n.type === 'block' && n.parent?.type === 'try_statement' && n.parent.children.some((c) => c.type === 'except_clause')) return true;
    }
    return false;
  }

  private writesConstant(statement: PyNode): boolean {
    const assignment = statement.children[0];
    if (assignment?.type !== 'assignment') return false;
    const right = field(assignment, 'right');
    return right !== undefined && /^(true|false|none|integer|float|string|unary_operator)$/.test(unparen(right).type);
  }

  private statementSite(statement: PyNode): StatementSite | undefined {
    if (statement.type !== 'expression_statement' && statement.type !== 'delete_statement') return undefined;
    const line = this.lines.line(statement.start);
    const indent = this.text.slice(this.lines.lineStart(line), statement.start);
    if (!/^[ \t]*$/.test(indent)) return undefined;
    const end = this.lines.span(statement.end, statement.end);
    const after = this.text.slice(statement.end, this.lines.lineStart(end.line + 1)).trim();
    if (after !== '' && !after.startsWith('#')) return undefined;
    return {
      span: { line, col: 0, endLine: end.line, endCol: end.col },
      indent,
      source: this.text.slice(this.lines.lineStart(line), statement.end),
      eol: this.eol,
    };
  }

  private noteCheckThenAct(node: PyNode, key: string, kind: AccessKind, scope: Scope): void {
    for (let i = scope.checks.length - 1; i >= 0; i--) {
      const frame = scope.checks[i]!;
      if (!frame.keys.has(key)) continue;
      if (frame.reported.has(key) || this.insideTry(node, frame.node)) return;
      const locks = heldKeys(scope);
      const common = frame.locks.some((l) => locks.includes(l));
      const writeEpoch = scope.epoch + scope.pendingAwaits;
      const awaitBetween = writeEpoch > frame.epoch;
      if (common) return;
      frame.reported.add(key);
      const statement = statementOf(node);
      scope.fn.checkActs.push({
        key,
        check: frame.span,
        checkText: frame.text,
        write: this.span(statement.type === 'expression_statement' ? statement.children[0] ?? statement : statement),
        writeText: this.shortText(statement),
        lazyInit: frame.lazy.has(key) && kind === 'write',
        constantWrite: this.writesConstant(statement),
        awaitBetween,
        unguarded: frame.locks.length === 0 && locks.length === 0,
        stmt: this.statementSite(statement),
      });
      return;
    }
  }

  // ---------------------------------------------------------------- statements

  private visitAssignment(node: PyNode, scope: Scope, stack: Task[]): void {
    const left = field(node, 'left');
    const right = field(node, 'right');
    const rhsKeys = new Set<string>();
    let rhsAwait: PyNode | undefined;
    if (right) {
      walk(right, (n) => {
        if (n.type === 'await') rhsAwait ??= n;
        if (n.type === 'identifier' || n.type === 'attribute') {
          const r = this.resolve(n, scope);
          if (r?.shared) rhsKeys.add(r.key);
        }
        return true;
      });
    }
    const leftRef = left ? this.resolve(left, scope) : undefined;
    // `tmp = self.x` … `self.x = tmp + 1`: a read-modify-write split over two statements.
    const snapshotKeys = new Set<string>();
    if (right && leftRef?.shared && !scope.fn.isAsync) {
      walk(right, (n) => {
        if (n.type !== 'identifier') return true;
        if (scope.snapshots.get(this.src(n))?.keys.has(leftRef.key)) snapshotKeys.add(leftRef.key);
        return false;
      });
    }
    const leftBase = left && left.type === 'subscript' ? this.resolve(field(left, 'value') ?? left, scope) : undefined;

    if (left && node.type === 'augmented_assignment') this.noteMpUpdate(left, scope);
    if (scope.fn.isAsync && left) this.noteAwaitUpdate(node, left, leftRef, right, rhsKeys, rhsAwait, scope);
    if (left?.type === 'identifier' && right) this.noteLocalValue(this.src(left), right, rhsKeys, rhsAwait, scope);
    if (left && right) this.noteKind(left, right, scope);

    const saved = { awaits: scope.pendingAwaits, handle: scope.pendingHandle, rmw: scope.pendingRmwKeys };
    const restore = () => {
      scope.pendingAwaits = saved.awaits;
      scope.pendingHandle = saved.handle;
      scope.pendingRmwKeys = saved.rmw;
    };
    stack.push({ exit: restore });
    if (right) stack.push({ node: right, scope });
    stack.push({
      exit: () => {
        scope.pendingAwaits = saved.awaits;
        scope.pendingRmwKeys = saved.rmw;
      },
    });
    if (left) stack.push({ node: left, scope });
    stack.push({
      exit: () => {
        scope.pendingAwaits = rhsAwait ? 1 : 0;
        const rmwKeys = new Set<string>();
        if (node.type === 'assignment') {
          if (leftRef && (rhsKeys.has(leftRef.key) || snapshotKeys.has(leftRef.key))) rmwKeys.add(leftRef.key);
          if (leftBase && rhsKeys.has(leftBase.key)) rmwKeys.add(leftBase.key);
        }
        scope.pendingRmwKeys = rmwKeys;
        scope.pendingHandle = leftRef?.key ?? (left?.type === 'identifier' ? `${this.module}:${scope.qual}#${this.src(left)}` : undefined);
      },
    });
  }

  private noteKind(left: PyNode, right: PyNode, scope: Scope): void {
    const kind = this.kindOfValue(right, scope);
    if (left.type === 'identifier') {
      const name = this.src(left);
      if (!scope.isModule && scope.names.locals.has(name)) {
        if (kind) scope.localKinds.set(name, kind);
        else scope.localKinds.delete(name);
        scope.assignedInLoop.set(name, scope.loops[scope.loops.length - 1] ?? null);
        if (kind && scope.names.usedInside.has(name)) this.summary.kinds[`${this.module}:${scope.qual}#${name}`] = kind;
      }
      return;
    }
    if (kind && left.type === 'attribute') {
      const ref = this.resolve(left, scope);
      if (ref?.viaSelf) this.summary.kinds[ref.key] ??= kind;
    }
  }

  /** Snapshots (asyncio), critical-section results (split decisions) and futures. */
  private noteLocalValue(name: string, right: PyNode, rhsKeys: Set<string>, rhsAwait: PyNode | undefined, scope: Scope): void {
    if (scope.isModule) return;
    if (rhsKeys.size > 0 && !rhsAwait) {
      scope.snapshots.set(name, { keys: rhsKeys, epoch: scope.epoch, span: this.span(right), locks: heldKeys(scope) });
    } else {
      scope.snapshots.delete(name);
    }
    const innermost = scope.held[scope.held.length - 1];
    if (innermost && rhsKeys.size > 0) scope.critical.set(name, { lock: innermost.key, block: innermost.block, span: this.span(right.parent ?? right) });
    else scope.critical.delete(name);
    const call = unparen(right);
    const fn = call.type === 'call' ? field(call, 'function') : undefined;
    const method = fn?.type === 'attribute' ? field(fn, 'attribute') : undefined;
    const receiver = fn?.type === 'attribute' ? field(fn, 'object') : undefined;
    if (method && receiver && this.src(method) === 'submit') {
      const executor = this.resolve(receiver, scope);
      if (executor) scope.futureOf.set(name, executor.key);
    } else {
      scope.futureOf.delete(name);
    }
  }

  private noteAwaitUpdate(
    node: PyNode,
    left: PyNode,
    leftRef: Resolved | undefined,
    right: PyNode | undefined,
    rhsKeys: Set<string>,
    rhsAwait: PyNode | undefined,
    scope: Scope,
  ): void {
    if (!leftRef?.shared) return;
    const locks = heldKeys(scope);
    const push = (read: Span) =>
      scope.fn.awaitUpdates.push({ key: leftRef.key, read, write: this.span(node), text: this.shortText(node), locks });
    if (rhsAwait && (node.type === 'augmented_assignment' || rhsKeys.has(leftRef.key))) {
      push(this.span(left));
      return;
    }
    if (!right) return;
    let found: Span | undefined;
    walk(right, (n) => {
      if (found) return false;
      if (n.type === 'identifier') {
        const snap = scope.snapshots.get(this.src(n));
        if (snap && snap.keys.has(leftRef.key) && snap.epoch < scope.epoch + (rhsAwait ? 1 : 0) &&
          !snap.locks.some((l) => locks.includes(l))) {
          found = snap.span;
        }
      }
      return true;
    });
    if (found) push(found);
  }

  private noteMpUpdate(left: PyNode, scope: Scope): void {
    if (scope.held.length > 0) return;
    let base: PyNode | undefined;
    if (left.type === 'attribute' && field(left, 'attribute') && this.src(field(left, 'attribute')!) === 'value') base = field(left, 'object');
    else if (left.type === 'subscript') base = field(left, 'value');
    if (!base || base.type !== 'identifier') return;
    const name = this.src(base);
    const param = scope.names.params.indexOf(name);
    const resolved = param === -1 ? this.resolve(base, scope) : undefined;
    if (param === -1 && !resolved?.shared) return;
    scope.fn.mpUpdates.push({ param, key: resolved?.key ?? '', span: this.span(left.parent ?? left), text: this.shortText(left.parent ?? left) });
  }

  private visitIf(node: PyNode, scope: Scope, stack: Task[]): void {
    const condition = field(node, 'condition');
    if (!condition) {
      this.pushChildren(node, scope, stack);
      return;
    }
    if (this.forks && /^(\w+\s*==\s*0|not\s+\w+)$/.test(this.src(condition))) {
      const name = this.src(condition).replace(/==\s*0|not\s+/g, '').trim();
      const body = field(node, 'consequence');
      if (body && new RegExp(`\\b${name}\\s*=\\s*os\\.fork1?\\(`).test(this.text)) this.forkChildBlocks.add(body);
    }
    this.noteSplitDecision(condition, scope);
    const keys = new Map<string, PyNode>();
    const lazy = new Set<string>();
    walk(condition, (n) => {
      if (n.type === 'identifier' || n.type === 'attribute') {
        const r = this.resolve(n, scope);
        if (r?.shared && !this.isSyncObject(r.kind)) {
          keys.set(r.key, n);
          if (this.isNoneCheck(n)) lazy.add(r.key);
          return false;
        }
      }
      return true;
    });
    const acquireCall = this.acquireInCondition(condition);
    if (acquireCall) {
      const negated = unparen(condition).type === 'not_operator';
      const baseline = scope.held.length;
      this.noteAcquireCall(acquireCall, scope, node, negated);
      // `if lock.acquire(…):` holds it in the body; `if not lock.acquire(…): raise` holds it afterwards.
      if (scope.held.length > baseline && !(negated && this.exitsEarly(node))) stack.push({ exit: () => void scope.held.splice(baseline) });
    }
    if (keys.size > 0) {
      scope.checks.push({
        node,
        keys,
        span: this.span(condition),
        text: this.shortText(condition),
        locks: heldKeys(scope),
        epoch: scope.epoch,
        lazy,
        reported: new Set(),
      });
      stack.push({ exit: () => void scope.checks.pop() });
    }
    this.pushChildren(node, scope, stack);
  }

  private isNoneCheck(ref: PyNode): boolean {
    const parent = ref.parent;
    if (!parent) return false;
    if (parent.type === 'not_operator') return true;
    if (parent.type === 'comparison_operator') return parent.children.some((c) => c.type === 'none');
    return parent.type === 'if_statement' || parent.type === 'elif_clause';
  }

  /** The `if` body always leaves the block (`raise`, `return`, `continue`, `break`). */
  private exitsEarly(ifNode: PyNode): boolean {
    const body = field(ifNode, 'consequence');
    const last = body?.children[body.children.length - 1];
    return last !== undefined && /^(raise|return|continue|break)_statement$/.test(last.type);
  }

  private acquireInCondition(condition: PyNode): PyNode | undefined {
    const bare = unparen(condition);
    const inner = unparen(bare.type === 'not_operator' ? field(bare, 'argument') ?? bare : bare);
    if (inner.type !== 'call') return undefined;
    const fn = field(inner, 'function');
    const attr = fn?.type === 'attribute' ? field(fn, 'attribute') : undefined;
    return attr && this.src(attr) === 'acquire' ? inner : undefined;
  }

  private noteSplitDecision(condition: PyNode, scope: Scope): void {
    if (scope.held.length === 0 || scope.critical.size === 0) return;
    walk(condition, (n) => {
      if (n.type !== 'identifier') return true;
      const name = this.src(n);
      const earlier = scope.critical.get(name);
      if (!earlier) return false;
      const current = [...scope.held].reverse().find((h) => h.key === earlier.lock);
      if (current && current.block !== earlier.block) {
        scope.fn.splitDecisions.push({ lock: earlier.lock, first: earlier.span, second: this.span(condition), variable: name });
        scope.critical.delete(name);
      }
      return false;
    });
  }

  private visitLoop(node: PyNode, scope: Scope, stack: Task[]): void {
    if (node.type === 'for_statement') {
      const right = field(node, 'right');
      const left = field(node, 'left');
      if (right && left) this.noteLoopAlias(left, right, scope);
      if (hasToken(node, 'async')) scope.epoch++;
    }
    const isWhile = node.type === 'while_statement';
    scope.loops.push(node);
    if (isWhile) scope.whileDepth++;
    stack.push({
      exit: () => {
        scope.loops.pop();
        if (isWhile) scope.whileDepth--;
      },
    });
    this.pushChildren(node, scope, stack);
  }

  private visitForIn(node: PyNode, scope: Scope): void {
    const right = field(node, 'right');
    const left = field(node, 'left');
    if (right && left) this.noteLoopAlias(left, right, scope);
  }

  /** `for t in threads:` / `for f in as_completed(futs):` makes `t`/`f` stand for the collection. */
  private noteLoopAlias(left: PyNode, right: PyNode, scope: Scope): void {
    if (left.type !== 'identifier') return;
    let collection = unparen(right);
    if (collection.type === 'call') {
      const args = field(collection, 'arguments');
      const first = args?.children[0];
      if (!first) return;
      collection = first;
    }
    const ref = this.resolve(collection, scope);
    if (ref) scope.aliases.set(this.src(left), ref.key);
  }

  // ---------------------------------------------------------------- locks

  private visitWith(node: PyNode, scope: Scope, stack: Task[]): void {
    const clause = node.children.find((c) => c.type === 'with_clause');
    const body = field(node, 'body');
    const isAsyncWith = hasToken(node, 'async');
    let pushed = 0;
    const joins: string[] = [];
    const valueNodes: PyNode[] = [];
    for (const item of clause?.children ?? []) {
      if (item.type !== 'with_item') continue;
      let value = field(item, 'value');
      if (!value) continue;
      let alias: PyNode | undefined;
      if (value.type === 'as_pattern') {
        alias = field(value, 'alias');
        value = value.children[0];
        if (!value) continue;
      }
      const kind = this.kindOfValue(value, scope);
      if (alias && kind) {
        const aliasName = alias.children.find((c) => c.type === 'identifier') ?? alias;
        const name = this.src(aliasName);
        scope.localKinds.set(name, kind);
        if (kind === 'ThreadPool' || kind === 'ProcessPool') joins.push(`${this.module}:${scope.qual}#${name}`);
      }
      const lock = this.lockOf(value, scope);
      if (!lock) {
        valueNodes.push(value);
        continue;
      }
      this.acquire(lock, scope, this.blockCounter++);
      pushed++;
      if (scope.fn.isAsync && !isAsyncWith && body) {
        const awaitNode = some(body, (n) => n.type === 'await' || (n.type === 'for_statement' && hasToken(n, 'async')) ||
          (n.type === 'with_statement' && hasToken(n, 'async')));
        if (awaitNode) {
          scope.fn.lockAcrossAwait.push({ lock: lock.key, expr: lock.expr, withSpan: this.span(value), awaitSpan: this.span(awaitNode) });
        }
      }
    }
    if (isAsyncWith) scope.epoch++;
    stack.push({
      exit: () => {
        scope.held.splice(scope.held.length - pushed, pushed);
        for (const handle of joins) scope.fn.joins.push({ handle, span: this.span(node), locks: heldKeys(scope) });
      },
    });
    if (body) stack.push({ node: body, scope });
    for (let i = valueNodes.length - 1; i >= 0; i--) stack.push({ node: valueNodes[i]!, scope });
  }

  private lockOf(value: PyNode, scope: Scope): HeldLock | undefined {
    const resolved = this.resolve(value, scope);
    if (!resolved) return undefined;
    const name = resolved.key.slice(resolved.key.search(/[^.#:]*$/));
    const lockish = resolved.kind ? isLockKind(resolved.kind) : looksLikeLockName(name.replace(/\(\)$/, '')) || resolved.key.endsWith('.get_lock()');
    // Defined in another module: `check` keeps it if that module creates a lock there.
    const imported = !lockish && !resolved.kind && !resolved.key.startsWith(`${this.module}:`) && !resolved.key.startsWith('?');
    if (!lockish && !imported) return undefined;
    const target = unparen(value);
    const receiverNode = target.type === 'attribute' ? field(target, 'object') : undefined;
    return {
      key: imported ? `${UNVERIFIED_LOCK}${resolved.key}` : resolved.key,
      expr: this.src(target),
      span: this.span(target),
      block: 0,
      receiver: receiverNode ? this.src(receiverNode) : '',
    };
  }

  private acquire(lock: HeldLock, scope: Scope, block: number): void {
    const use: LockUse = { key: lock.key, expr: lock.expr, span: lock.span, manual: lock.manual };
    scope.fn.acquires.push(use);
    for (const outer of scope.held) {
      if (outer.manual && outer.key === lock.key) continue;
      const distinct = outer.key === lock.key && outer.receiver !== lock.receiver && outer.expr !== lock.expr;
      scope.fn.edges.push({
        outer: { key: outer.key, expr: outer.expr, span: outer.span },
        inner: use,
        distinctReceivers: distinct,
        ordered: distinct && scope.ordersById,
      });
    }
    scope.held.push({ ...lock, block });
  }

  private noteAcquireCall(call: PyNode, scope: Scope, ifStatement?: PyNode, negated = false): void {
    const fn = field(call, 'function');
    const object = fn && field(fn, 'object');
    if (!object) return;
    const lock = this.lockOf(object, scope);
    if (!lock) return;
    const statement = ifStatement ?? statementOf(call);
    this.acquire({ ...lock, manual: true, manualBlock: ifStatement ? undefined : statement.parent ?? undefined }, scope, this.blockCounter++);
    if (!ifStatement && statement.parent) scope.manualHeld++;
    const resolved = this.resolve(object, scope);
    const shared = resolved !== undefined && resolved.shared && !resolved.key.includes('#');
    if (shared && !this.releaseGuaranteed(statement, lock.expr, ifStatement, negated) && this.releasedLater(statement, lock.expr)) {
      scope.fn.bareAcquires.push({ lock: lock.key, expr: lock.expr, span: this.span(call) });
    }
  }

  /**
   * A manual acquire/release pair with work in between: the same function releases the lock
   * after this statement, not as the very next statement. Acquires inside `finally`/`except`
   * (re-acquiring after a wait) and lock-wrapper methods (`__enter__`) are deliberate.
   */
  private releasedLater(statement: PyNode, expr: string): boolean {
    let scopeNode: PyNode | null = statement.parent;
    while (scopeNode && scopeNode.type !== 'function_definition' && scopeNode.type !== 'module') {
      if (scopeNode.type === 'finally_clause' || scopeNode.type === 'except_clause') return false;
      scopeNode = scopeNode.parent;
    }
    if (!scopeNode) return false;
    if (scopeNode.type === 'function_definition') {
      const name = field(scopeNode, 'name');
      if (name && /^(__enter__|__aenter__|acquire|lock|_acquire\w*|_lock\w*|__exit__)$/.test(this.src(name))) return false;
    }
    const siblings = statement.parent?.children ?? [];
    const next = siblings[siblings.indexOf(statement) + 1];
    if (next && this.src(next).startsWith(`${expr}.release(`)) return false;
    const before = this.text.slice(scopeNode.start, statement.start);
    const previous = before.lastIndexOf(`${expr}.acquire(`);
    if (previous !== -1 && before.indexOf(`${expr}.release(`, previous) === -1) return false;
    const rest = this.text.slice(statement.end, scopeNode.end);
    const release = rest.indexOf(`${expr}.release(`);
    if (release === -1) return false;
    const between = rest.slice(0, release);
    // Acquired again before the release: a lock used as a semaphore that another thread releases.
    if (between.includes(`${expr}.acquire(`)) return false;
    // Only calls can raise in practice between the two (lock operations aside).
    return /\w\s*\(/.test(between.replace(/\.(acquire|release|notify|notify_all)\s*\(/g, ''));
  }

  /** `acquire()` directly followed by `try: … finally: release()`, or inside such a `try`. */
  private releaseGuaranteed(statement: PyNode, expr: string, ifStatement?: PyNode, negated = false): boolean {
    const releases = (tryNode: PyNode | undefined) => {
      const fin = tryNode?.type === 'try_statement' ? tryNode.children.find((c) => c.type === 'finally_clause') : undefined;
      return fin !== undefined && this.src(fin).includes(`${expr}.release(`);
    };
    if (ifStatement && !negated) {
      const consequence = field(ifStatement, 'consequence');
      if (consequence && releases(consequence.children[0])) return true;
    } else if (ifStatement && negated && !this.exitsEarly(ifStatement)) {
      const alternative = ifStatement.children.find((c) => c.type === 'else_clause');
      const body = alternative && field(alternative, 'body');
      if (body && releases(body.children[0])) return true;
    } else {
      // `if lock is not None: lock.acquire()` followed by the `try`: look past enclosing `if`s
      // of which the acquire is the last statement.
      let current = statement;
      for (;;) {
        const siblings = current.parent?.children ?? [];
        const index = siblings.indexOf(current);
        if (releases(siblings[index + 1])) return true;
        const block = current.parent;
        const ifNode = block?.type === 'block' && index === siblings.length - 1 ? block.parent : undefined;
        if (ifNode?.type !== 'if_statement') break;
        current = ifNode;
      }
    }
    for (let node = statement.parent; node && node.type !== 'function_definition'; node = node.parent) {
      if (node.type === 'block' && node.field === 'body' && releases(node.parent ?? undefined)) return true;
    }
    return false;
  }

  /** A bare `acquire()` holds the lock until its release or the end of the enclosing block. */
  private dropManualLocksOutside(node: PyNode, scope: Scope): void {
    for (let i = scope.held.length - 1; i >= 0; i--) {
      const held = scope.held[i]!;
      if (!held.manualBlock) continue;
      let inside = false;
      for (let n: PyNode | null = node; n; n = n.parent) {
        if (n === held.manualBlock) {
          inside = true;
          break;
        }
      }
      if (!inside) {
        scope.held.splice(i, 1);
        scope.manualHeld--;
      }
    }
  }

  private release(object: PyNode, scope: Scope): void {
    const resolved = this.resolve(object, scope);
    if (!resolved) return;
    for (let i = scope.held.length - 1; i >= 0; i--) {
      if (scope.held[i]!.key === resolved.key) {
        if (scope.held[i]!.manualBlock) scope.manualHeld--;
        scope.held.splice(i, 1);
        return;
      }
    }
  }

  // ---------------------------------------------------------------- calls

  private visitCall(node: PyNode, scope: Scope): void {
    const fn = field(node, 'function');
    if (!fn) return;
    const args = field(node, 'arguments');
    if (fn.type === 'attribute') {
      const attr = field(fn, 'attribute');
      const object = field(fn, 'object');
      if (attr && object) this.visitMethodCall(node, object, this.src(attr), args, scope);
    }
    const qualified = this.qualify(fn);
    const spawnKind = this.constructorSpawn(qualified, fn, scope);
    if (spawnKind) {
      const target = this.keywordArg(args, spawnKind === 'timer' ? 'function' : 'target') ??
        (spawnKind === 'timer' ? this.positionalArg(args, 1) : undefined);
      if (spawnKind === 'thread-subclass' || spawnKind === 'process-subclass') {
        const cls = this.src(fn);
        this.addSpawn(node, spawnKind === 'thread-subclass' ? 'thread' : 'process', `${this.module}:${cls}.run`, false, scope);
      } else if (target) {
        this.addSpawnFromTarget(node, spawnKind, target, scope, args, 'args');
      }
      return;
    }
    if (qualified === '_thread.start_new_thread' || qualified === '_thread.start_new') {
      const target = this.positionalArg(args, 0);
      if (target) this.addSpawnFromTarget(node, 'thread', target, scope, args, 'rest');
      return;
    }
    if (qualified === 'asyncio.to_thread') {
      const target = this.positionalArg(args, 0);
      if (target) this.addSpawnFromTarget(node, 'to-thread', target, scope, args, 'rest');
      return;
    }
    if (/^asyncio\.(create_task|ensure_future|gather|wait|as_completed|run|wait_for|shield)$/.test(qualified) ||
      (fn.type === 'attribute' && /\.(create_task|run_until_complete|ensure_future)$/.test(this.src(fn)))) {
      this.noteTasks(node, args, scope);
      return;
    }
    if (qualified === 'concurrent.futures.wait' || qualified === 'concurrent.futures.as_completed') {
      const first = this.positionalArg(args, 0);
      const ref = first && this.resolve(first, scope);
      if (ref) scope.fn.joins.push({ handle: ref.key, span: this.span(node), locks: heldKeys(scope) });
      return;
    }
    const callee = this.calleeKey(fn, scope);
    if (callee) {
      const receiver = fn.type === 'attribute' ? field(fn, 'object') : undefined;
      const receiverName = receiver ? this.src(receiver) : '';
      const argFunctions = (args?.children ?? [])
        .filter((a) => a.type !== 'keyword_argument' && a.type !== 'comment')
        .map((a) => (a.type === 'identifier' || a.type === 'attribute' ? this.calleeKey(a, scope) ?? null : null));
      scope.fn.calls.push({
        callee,
        span: this.span(node),
        locks: heldKeys(scope),
        sameInstance: fn.type === 'identifier' || receiverName === scope.selfName || receiverName === 'cls',
        direct: !this.isCoroutineHandedOff(node),
        argFunctions: argFunctions.some((a) => a !== null) ? argFunctions : undefined,
        sharedReceiver: receiver && receiverName !== scope.selfName ? this.resolve(receiver, scope)?.shared || undefined : undefined,
        paramReceiver: receiver?.type === 'identifier' && receiverName !== scope.selfName && scope.names.params.includes(receiverName) ? true : undefined,
      });
    }
  }

  /** A coroutine call passed to `create_task`/`gather` runs as its own task, not inline. */
  private isCoroutineHandedOff(call: PyNode): boolean {
    let parent = call.parent;
    while (parent && (parent.type === 'argument_list' || parent.type === 'list_splat' || parent.type === 'list_comprehension' || parent.type === 'generator_expression')) {
      if (parent.type === 'argument_list') return parent.parent?.type === 'call' && this.isTaskFactory(parent.parent);
      parent = parent.parent;
    }
    return false;
  }

  private isTaskFactory(call: PyNode): boolean {
    const fn = field(call, 'function');
    if (!fn) return false;
    return /^asyncio\.(create_task|ensure_future|gather|wait|as_completed|run|wait_for|shield)$/.test(this.qualify(fn)) ||
      (fn.type === 'attribute' && /\.(create_task|run_until_complete|ensure_future)$/.test(this.src(fn)));
  }

  private constructorSpawn(qualified: string, fn: PyNode, scope: Scope): SpawnKind | 'thread-subclass' | 'process-subclass' | undefined {
    if (qualified === 'threading.Thread') return 'thread';
    if (qualified === 'threading.Timer') return 'timer';
    if (qualified === 'multiprocessing.Process' || /\.Process$/.test(qualified) && /multiprocessing|ctx|context/.test(qualified)) return 'process';
    if (fn.type === 'identifier' && (scope.isModule || !scope.names.locals.has(this.src(fn)))) {
      const cls = this.classes.get(this.src(fn));
      if (cls && this.classes.get(this.src(fn))?.methods.has('run')) {
        if (cls.bases.some((b) => b === 'threading.Thread')) return 'thread-subclass';
        if (cls.bases.some((b) => b === 'multiprocessing.Process')) return 'process-subclass';
      }
    }
    return undefined;
  }

  private visitMethodCall(node: PyNode, object: PyNode, method: string, args: PyNode | undefined, scope: Scope): void {
    const locks = () => heldKeys(scope);
    switch (method) {
      case 'acquire': {
        const statement = statementOf(node);
        let expression = unparen(statement.children[0] ?? statement);
        if (expression.type === 'await') expression = unparen(expression.children[0] ?? expression);
        if (statement.type === 'expression_statement' && expression === node) this.noteAcquireCall(node, scope);
        return;
      }
      case 'release':
        this.release(object, scope);
        return;
      case 'join':
      case 'result':
      case 'shutdown': {
        const handle = this.handleOf(object, scope);
        if (handle) {
          scope.fn.joins.push({ handle, span: this.span(node), locks: locks() });
          this.unmarkJoinedInLoop(handle, scope);
        }
        if (method === 'result') this.notePoolWait(node, object, scope);
        return;
      }
      case 'wait':
      case 'notify':
      case 'notify_all': {
        const ref = this.resolve(object, scope);
        if (!ref) return;
        if (method === 'wait') {
          scope.fn.eventWaits.push({ key: ref.key, span: this.span(node) });
          const statement = statementOf(node);
          const block = statement.parent;
          const ifNode = block?.type === 'block' && block.field === 'consequence' ? block.parent : undefined;
          const simpleIf = ifNode?.type === 'if_statement' && !ifNode.children.some((c) => c.field === 'alternative');
          const hasTimeout = (field(node, 'arguments')?.children.length ?? 0) > 0;
          scope.fn.conditionOps.push({
            key: ref.key,
            op: 'wait',
            span: this.span(node),
            ok: scope.whileDepth > 0 || hasTimeout,
            locks: locks(),
            ifKeyword: simpleIf && ifNode ? this.lines.span(ifNode.start, ifNode.start + 2) : undefined,
          });
        } else {
          scope.fn.conditionOps.push({ key: ref.key, op: 'notify', span: this.span(node), ok: false, locks: locks() });
        }
        return;
      }
      case 'set':
        this.noteEventSet(node, object, scope);
        break;
      default:
        break;
    }
    this.noteExecutorCall(node, object, method, args, scope);
    this.noteAsyncioUse(node, object, method, scope);
  }

  /** `for …: t = Thread(…); t.start(); t.join()` runs the workers one after another. */
  private unmarkJoinedInLoop(handle: string, scope: Scope): void {
    for (const spawn of scope.fn.spawns) {
      const loop = this.spawnLoops.get(spawn);
      if (spawn.handle === handle && loop && scope.loops.includes(loop)) spawn.many = false;
    }
  }

  private noteEventSet(node: PyNode, object: PyNode, scope: Scope): void {
    const ref = this.resolve(object, scope);
    if (ref && (ref.kind === 'Event' || ref.kind === undefined)) scope.fn.eventSets.push({ key: ref.key, span: this.span(node) });
  }

  private handleOf(object: PyNode, scope: Scope): string | undefined {
    const target = unparen(object);
    if (target.type === 'identifier') {
      const alias = scope.aliases.get(this.src(target));
      if (alias) return alias;
    }
    if (target.type === 'call') {
      const fn = field(target, 'function');
      const attr = fn?.type === 'attribute' ? field(fn, 'attribute') : undefined;
      const executor = fn?.type === 'attribute' ? field(fn, 'object') : undefined;
      if (attr && executor && this.src(attr) === 'submit') return this.resolve(executor, scope)?.key;
    }
    return this.resolve(object, scope)?.key;
  }

  private notePoolWait(node: PyNode, object: PyNode, scope: Scope): void {
    const target = unparen(object);
    let executor: string | undefined;
    if (target.type === 'identifier') executor = scope.futureOf.get(this.src(target));
    else if (target.type === 'call') {
      const fn = field(target, 'function');
      const attr = fn?.type === 'attribute' ? field(fn, 'attribute') : undefined;
      const receiver = fn?.type === 'attribute' ? field(fn, 'object') : undefined;
      if (attr && receiver && this.src(attr) === 'submit') executor = this.resolve(receiver, scope)?.key;
    }
    if (executor) scope.fn.poolWaits.push({ executor, span: this.span(node), text: this.shortText(node) });
  }

  private executorKind(object: PyNode, scope: Scope): 'ThreadPool' | 'ProcessPool' | undefined {
    const ref = this.resolve(object, scope);
    const kind = ref?.kind ?? (object.type === 'identifier' ? scope.localKinds.get(this.src(object)) : undefined);
    if (kind === 'ThreadPool' || kind === 'ProcessPool') return kind;
    if (kind) return undefined;
    const name = this.src(object);
    if (/process_?pool|proc_?pool/i.test(name)) return 'ProcessPool';
    if (/(executor|pool)$/i.test(name) || /^_?ex$/.test(name)) return 'ThreadPool';
    return undefined;
  }

  private noteExecutorCall(node: PyNode, object: PyNode, method: string, args: PyNode | undefined, scope: Scope): void {
    const isMap = POOL_MAPS.has(method);
    const isSingle = POOL_SINGLE.has(method);
    const isLoopExecutor = method === 'run_in_executor';
    if (!isMap && !isSingle && !isLoopExecutor) return;
    if (isLoopExecutor) {
      const executorArg = this.positionalArg(args, 0);
      const target = this.positionalArg(args, 1);
      const process = executorArg ? this.executorKind(executorArg, scope) === 'ProcessPool' : false;
      if (target) this.addSpawnFromTarget(node, process ? 'process-pool' : 'thread-pool', target, scope, args, 'rest2');
      return;
    }
    const kind = this.executorKind(object, scope);
    if (!kind) return;
    const target = this.positionalArg(args, 0);
    if (!target) return;
    const executor = this.resolve(object, scope)?.key;
    const spawn = this.addSpawnFromTarget(node, kind === 'ProcessPool' ? 'process-pool' : 'thread-pool', target, scope, args, 'rest');
    if (spawn) {
      spawn.executor = executor;
      if (isMap) spawn.many = true;
    }
    if (executor && isMap) {
      const enclosing = this.enclosingFunctionNode(node);
      if (enclosing) scope.fn.poolWaits.push({ executor, span: this.span(node), text: this.shortText(node) });
      if (/^(map|starmap)$/.test(method) && kind === 'ProcessPool') {
        scope.fn.joins.push({ handle: executor, span: this.span(node), locks: heldKeys(scope) });
      }
    }
  }

  private enclosingFunctionNode(node: PyNode): PyNode | undefined {
    for (let n = node.parent; n; n = n.parent) if (n.type === 'function_definition') return n;
    return undefined;
  }

  private noteAsyncioUse(node: PyNode, object: PyNode, method: string, scope: Scope): void {
    if (!LOOP_BOUND_METHODS.has(method)) return;
    const ref = this.resolve(object, scope);
    if (!ref || ref.kind?.startsWith('aio.') === false) return;
    if (!ref.kind && !ref.shared) return;
    scope.fn.asyncioUses.push({ key: ref.key, kind: ref.kind ?? '', method, span: this.span(node) });
  }

  private noteTasks(node: PyNode, args: PyNode | undefined, scope: Scope): void {
    if (!args) return;
    const coroutineCalls: { call: PyNode; many: boolean }[] = [];
    for (const arg of args.children) {
      if (arg.type === 'call') coroutineCalls.push({ call: arg, many: false });
      else if (arg.type === 'list_splat' || arg.type === 'list_comprehension' || arg.type === 'generator_expression') {
        walk(arg, (n) => {
          if (n.type === 'call') {
            coroutineCalls.push({ call: n, many: true });
            return false;
          }
          return true;
        });
      }
    }
    for (const { call, many } of coroutineCalls) {
      const fn = field(call, 'function');
      const target = fn && this.calleeKey(fn, scope);
      if (!target) continue;
      this.pushSpawn(scope, {
        kind: 'task',
        target,
        span: this.span(node),
        many: many || scope.loops.length > 0,
        selfShared: true,
        argKinds: [],
      });
    }
  }

  private keywordArg(args: PyNode | undefined, name: string): PyNode | undefined {
    for (const arg of args?.children ?? []) {
      if (arg.type === 'keyword_argument') {
        const key = field(arg, 'name');
        if (key && this.src(key) === name) return field(arg, 'value');
      }
    }
    return undefined;
  }

  private positionalArg(args: PyNode | undefined, index: number): PyNode | undefined {
    let i = 0;
    for (const arg of args?.children ?? []) {
      if (arg.type === 'keyword_argument' || arg.type === 'comment') continue;
      if (i++ === index) return arg;
    }
    return undefined;
  }

  private addSpawnFromTarget(
    node: PyNode,
    kind: SpawnKind,
    targetNode: PyNode,
    scope: Scope,
    args: PyNode | undefined,
    argMode: 'args' | 'rest' | 'rest2',
  ): Spawn | undefined {
    let target = unparen(targetNode);
    if (target.type === 'call') {
      const fn = field(target, 'function');
      if (fn && /(^|\.)partial$/.test(this.qualify(fn))) {
        const first = this.positionalArg(field(target, 'arguments'), 0);
        if (first) target = unparen(first);
      }
    }
    let key: string | undefined;
    let selfShared = true;
    const param = target.type === 'identifier' ? scope.names.params.indexOf(this.src(target)) : -1;
    if (param >= 0) {
      const spawn = this.addSpawn(node, kind, '', true, scope);
      spawn.targetParam = param;
      return spawn;
    }
    if (target.type === 'lambda') key = this.lambdaKey(target, scope);
    else {
      key = this.calleeKey(target, scope);
      if (target.type === 'attribute') {
        const receiver = field(target, 'object');
        if (receiver?.type === 'identifier' && receiver.parent && this.src(receiver) !== scope.selfName) {
          const loopOfReceiver = scope.assignedInLoop.get(this.src(receiver));
          if (loopOfReceiver && scope.loops.includes(loopOfReceiver)) selfShared = false;
        }
      }
    }
    if (!key) return undefined;
    const argKinds: (string | null)[] = [];
    const argSource = argMode === 'args' ? this.keywordArg(args, 'args') : args;
    const skip = argMode === 'rest' ? 1 : argMode === 'rest2' ? 2 : 0;
    let index = 0;
    let sharesArgs = false;
    for (const arg of argSource?.children ?? []) {
      if (arg.type === 'keyword_argument' || arg.type === 'comment') continue;
      if (index++ < skip) continue;
      argKinds.push(arg.type === 'identifier' ? this.resolve(arg, scope)?.kind ?? scope.localKinds.get(this.src(arg)) ?? null : null);
      if (arg.type === 'identifier' || arg.type === 'attribute') sharesArgs ||= this.isSameObjectEachTime(arg, scope);
    }
    const spawn = this.addSpawn(node, kind, key, selfShared, scope, argKinds);
    if (sharesArgs) spawn.sharesArgs = true;
    return spawn;
  }

  private addSpawn(
    node: PyNode,
    kind: SpawnKind,
    target: string,
    selfShared: boolean,
    scope: Scope,
    argKinds: (string | null)[] = [],
): Spawn {
    let handle = scope.pendingHandle;
    const parentCall = node.parent?.type === 'argument_list' ? node.parent.parent : undefined;
    const appendTo = parentCall && field(parentCall, 'function');
    if (appendTo?.type === 'attribute' && field(appendTo, 'attribute') && this.src(field(appendTo, 'attribute')!) === 'append') {
      handle = this.resolve(field(appendTo, 'object')!, scope)?.key;
    }
    return this.pushSpawn(scope, {
      kind,
      target,
      span: this.span(node),
      many: scope.loops.length > 0,
      selfShared,
      handle,
      argKinds,
    });
  }

  private pushSpawn(scope: Scope, spawn: Spawn): Spawn {
    scope.fn.spawns.push(spawn);
    const loop = scope.loops[scope.loops.length - 1];
    if (loop) this.spawnLoops.set(spawn, loop);
    return spawn;
  }

  /** `args=(account,)`: the argument is the same object for every start (not made per iteration). */
  private isSameObjectEachTime(arg: PyNode, scope: Scope): boolean {
    const ref = this.resolve(arg, scope);
    if (ref?.shared) return true;
    if (arg.type !== 'identifier') return false;
    const name = this.src(arg);
    if (name === scope.selfName) return true;
    if (!scope.names.locals.has(name)) return false;
    const loop = scope.assignedInLoop.get(name);
    // Parameters and locals assigned outside the current loop are one object for every start.
    return loop === undefined || loop === null || !scope.loops.includes(loop);
  }

  /** Function key a call or a `target=` refers to, when it can be named. */
  private calleeKey(fn: PyNode, scope: Scope): string | undefined {
    const node = unparen(fn);
    if (node.type === 'identifier') {
      const name = this.src(node);
      for (let s: Scope | null = scope; s; s = s.parent) {
        if (s.isModule) break;
        if (s.names.nestedDefs.has(name)) return `${this.module}:${s.qual}.${name}`;
        if (s.names.locals.has(name)) return undefined;
      }
      if (this.moduleDefs.has(name)) return `${this.module}:${name}`;
      if (this.classes.has(name)) return `${this.module}:${name}.__init__`;
      const imported = this.imports.get(name);
      if (imported?.includes('.')) {
        const dot = imported.lastIndexOf('.');
        return `${lastComponent(imported.slice(0, dot))}:${imported.slice(dot + 1)}`;
      }
      return undefined;
    }
    if (node.type !== 'attribute') return undefined;
    const object = field(node, 'object');
    const attr = field(node, 'attribute');
    if (!object || !attr) return undefined;
    const method = this.src(attr);
    const objName = object.type === 'identifier' ? this.src(object) : '';
    if (scope.className && (objName === scope.selfName || objName === 'cls')) return `${this.module}:${scope.className}.${method}`;
    const outerSelf = objName ? this.outerSelf(objName, scope) : undefined;
    if (outerSelf) return `${this.module}:${outerSelf}.${method}`;
    if (objName && this.classes.has(objName) && !scope.names.locals.has(objName)) return `${this.module}:${objName}.${method}`;
    if (objName && !scope.names.locals.has(objName)) {
      const imported = this.imports.get(objName);
      if (imported) return `${lastComponent(imported)}:${method}`;
    }
    const ref = this.resolve(object, scope);
    const classKey = (objName ? this.classOfLocal(objName, scope) : undefined) ??
      (ref?.kind?.startsWith('class:') ? ref.kind.slice(6) : undefined);
    if (classKey) return `${classKey}.${method}`;
    // Receiver of unknown class: `check` resolves the method if one class of this file defines it.
    return ref?.kind === undefined || ref.kind.startsWith('class:') ? `?:${method}` : undefined;
  }
}
