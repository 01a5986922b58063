import path from 'node:path';
import type { SourceFile } from '../language';
import { noteAboutCurrentFile } from '../analyzer-signals';
import { CONDITION_ON_GIVEN_LOCK, kindOfConstructor, SINGLE_WORKER_POOL } from './kinds';
import type { PyNode } from './parser';
import { LineIndex } from './source-text';
import { OWN_LOCK, type LockFixSites, type PythonModuleSummary, type Span } from './summary';
import { callArguments, field, some, unparen, walk } from './syntax';
import { lastComponent, STATEMENT_CONTAINERS, type Resolved, type Scope } from './walk-state';

/** Standard modules of Python 2 that Python 3 renamed or removed, under names no project reuses. */
const PYTHON2_ONLY_MODULES = new Set([
  'cStringIO', 'cPickle', 'urllib2', 'urlparse', 'httplib', 'SocketServer', 'ConfigParser', '__builtin__', 'Tkinter',
  'BaseHTTPServer', 'SimpleHTTPServer', 'CGIHTTPServer', 'cookielib', 'xmlrpclib', 'htmlentitydefs', 'dummy_thread', 'copy_reg',
]);
const THREADING_SERVER = /\bThreading(MixIn|TCPServer|UDPServer|HTTPServer|UnixStreamServer|UnixDatagramServer)\b/;
const FORKING_SERVER = /\bForking(MixIn|TCPServer|UDPServer|HTTPServer|UnixStreamServer|UnixDatagramServer)\b/;
const LOCK_ORDER_DECLARATION = /#\s*conclens:\s*lock-order\s+([\w.*]+)\s+by\s+id\b/g;

export function moduleNameOf(filePath: string): string {
  const base = path.basename(filePath).replace(/\.pyw?$/, '');
  return base === '__init__' ? path.basename(path.dirname(filePath)) : base;
}

/**
 * What a module declares before any function is walked: its imports, module variables and
 * definitions, classes with their methods and bases, and the kinds of objects (locks, queues,
 * pools, classes) its globals and fields are created as.
 */
export abstract class ModuleFacts {
  protected readonly text: string;
  protected readonly lines: LineIndex;
  protected readonly module: string;
  /** Local import name → fully qualified dotted name. */
  protected readonly imports = new Map<string, string>();
  protected readonly moduleVars = new Set<string>();
  protected readonly moduleDefs = new Set<string>();
  protected readonly classes = new Map<string, { methods: Set<string>; bases: string[] }>();
  protected readonly summary: PythonModuleSummary;
  protected blockCounter = 0;
  /** Function keys given out so far (a second definition with the same name gets `@line`). */
  protected readonly functionKeys = new Set<string>();
  /**
   * Blocks only one thread runs: `if pid == 0:` after `os.fork()` (the child has a single
   * thread) and `if self._owner == get_ident():` (only the owner of a lock gets in).
   */
  protected readonly confinedBlocks = new Set<PyNode>();
  protected readonly forks: boolean;
  /** The file's line ending, for the statement sites of fixes. */
  protected readonly eol: string;

  constructor(
    protected readonly file: SourceFile,
    protected readonly root: PyNode,
  ) {
    this.text = file.text;
    this.lines = new LineIndex(file.text);
    this.eol = file.text.includes('\r\n') ? '\r\n' : '\n';
    this.module = moduleNameOf(file.path);
    this.forks = /\bos\.fork1?\(\)/.test(file.text);
    const threadingServer = THREADING_SERVER.test(file.text);
    this.summary = {
      file: file.path,
      module: this.module,
      // Null prototypes: state keys such as `m:constructor` must not hit Object.prototype.
      kinds: Object.create(null) as Record<string, string>,
      classBases: Object.create(null) as Record<string, string[]>,
      classAttributes: [],
      methodAliases: [],
      projectModules: [],
      topLevelImports: [],
      threadAffineClasses: [],
      methodTables: Object.create(null) as Record<string, string[]>,
      fixSites: { importLine: 0, globals: Object.create(null) as Record<string, number>, inits: Object.create(null) as LockFixSites['inits'], eol: this.eol },
      declaredOrders: [...file.text.matchAll(LOCK_ORDER_DECLARATION)].map((m) => m[1]!),
      threadingServer,
      forkingServer: !threadingServer && FORKING_SERVER.test(file.text),
      functions: [],
    };
  }

  /** Resolves a name or attribute chain to a state key (implemented by the access layer). */
  protected abstract resolve(node: PyNode, scope: Scope): Resolved | undefined;

  protected src(node: PyNode): string {
    return this.text.slice(node.start, node.end);
  }

  protected span(node: PyNode): Span {
    return this.lines.span(node.start, node.end);
  }

  /**
   * The node's source with whitespace runs collapsed, cut to 60 characters. Big statements
   * (a module-level table) are read in growing prefixes: collapsing a prefix gives the same
   * first characters as collapsing the whole, so only what the message shows is copied.
   */
  protected shortText(node: PyNode): string {
    for (let window = 256; ; window *= 4) {
      const whole = node.start + window >= node.end;
      const raw = this.text.slice(node.start, whole ? node.end : node.start + window).replace(/\s+/g, ' ');
      if (raw.length > 60) return `${raw.slice(0, 57)}...`;
      if (whole) return raw;
    }
  }

  protected collectModuleFacts(): void {
    // Imports are statements, so only statements that hold blocks are descended into.
    walk(this.root, (node) => {
      if (node.type === 'import_statement' || node.type === 'import_from_statement') {
        this.recordImport(node);
        return false;
      }
      return STATEMENT_CONTAINERS.has(node.type);
    }, true);
    this.collectFixSites();
    for (const stmt of this.topLevelStatements(this.root)) {
      if (stmt.type === 'function_definition') {
        const name = field(stmt, 'name');
        if (name) this.moduleDefs.add(this.src(name));
        const lock = name && this.lockHeldByWrapper(stmt);
        if (name && lock) (this.summary.lockingDecorators ??= Object.create(null) as Record<string, string>)[this.src(name)] = lock;
      } else if (stmt.type === 'class_definition') {
        this.collectClass(stmt, '');
      } else {
        walk(stmt, (node) => {
          if (node.type === 'assignment' || node.type === 'augmented_assignment') {
            const left = field(node, 'left');
            if (left?.type === 'identifier') {
              this.moduleVars.add(this.src(left));
              if (stmt.parent === this.root) this.summary.fixSites.globals[this.src(left)] ??= this.lines.line(stmt.end) + 1;
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

  /** Where a new `import threading` goes, and the local name of `threading` if it is imported already. */
  private collectFixSites(): void {
    const sites = this.summary.fixSites;
    for (const [local, target] of this.imports) if (target === 'threading') sites.threadingName = local;
    let after = 0;
    for (const stmt of this.root.children) {
      const isDocstring = after === 0 && stmt === this.root.children[0] && stmt.type === 'expression_statement' && stmt.children[0]?.type === 'string';
      if (isDocstring || stmt.type === 'import_statement' || stmt.type === 'import_from_statement' || stmt.type === 'future_import_statement') {
        after = this.lines.line(stmt.end) + 1;
      }
    }
    sites.importLine = after;
  }

  /**
   * `def synchronized(meth): @wraps(meth) def wrapper(self, *a, **kw): with self._lock: return
   * meth(self, *a, **kw)`: a decorator whose wrapper calls the function holding a lock, either
   * one of `self` (the attribute's name) or one the decorator makes for each function it wraps
   * (`lock = threading.Lock()` before the wrapper: OWN_LOCK). Undefined for any other decorator.
   */
  private lockHeldByWrapper(decorator: PyNode): string | undefined {
    const wrapped = field(decorator, 'parameters')?.children.find((c) => c.type === 'identifier');
    const body = field(decorator, 'body');
    if (!wrapped || !body) return undefined;
    const method = this.src(wrapped);
    const ownLocks = new Set<string>();
    for (const statement of body.children) {
      const assignment = statement.type === 'expression_statement' ? statement.children[0] : undefined;
      const left = assignment?.type === 'assignment' ? field(assignment, 'left') : undefined;
      const right = assignment?.type === 'assignment' ? unparen(field(assignment, 'right') ?? assignment) : undefined;
      const made = right?.type === 'call' ? kindOfConstructor(this.qualify(field(right, 'function') ?? right)) : undefined;
      if (left?.type === 'identifier' && (made === 'Lock' || made === 'RLock')) ownLocks.add(this.src(left));
      const wrapper = statement.type === 'decorated_definition' ? field(statement, 'definition') : statement;
      if (wrapper?.type !== 'function_definition') continue;
      const self = field(wrapper, 'parameters')?.children.find((c) => c.type === 'identifier');
      const inner = field(wrapper, 'body');
      const guard = inner?.children.find((c) => c.type === 'with_statement');
      const value = guard && unparen(field(guard.children.find((c) => c.type === 'with_clause')?.children.find((c) => c.type === 'with_item') ?? guard, 'value') ?? guard);
      const callsMethod = guard !== undefined && some(field(guard, 'body') ?? guard, (n) => n.type === 'call' && field(n, 'function')?.type === 'identifier' && this.src(field(n, 'function')!) === method) !== undefined;
      if (!callsMethod || !value) continue;
      if (value.type === 'identifier' && ownLocks.has(this.src(value))) return OWN_LOCK;
      const object = value.type === 'attribute' ? field(value, 'object') : undefined;
      const attr = value.type === 'attribute' ? field(value, 'attribute') : undefined;
      if (self && object && attr && this.src(object) === this.src(self)) return this.src(attr);
    }
    return undefined;
  }

  /** Statements of a module or class body, including those under `if`/`try` at that level. */
  protected topLevelStatements(body: PyNode): PyNode[] {
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
        if (methodName && this.src(methodName) === '__init__') this.collectInitSite(stmt, name);
      } else if (stmt.type === 'class_definition') {
        this.collectClass(stmt, `${name}.`);
      } else if (stmt.type === 'expression_statement') {
        const assignment = stmt.children[0];
        const left = assignment && field(assignment, 'left');
        if (assignment?.type === 'assignment' && left?.type === 'identifier') {
          const right = field(assignment, 'right');
          if (right?.type === 'identifier' && methods.has(this.src(right))) {
            this.summary.methodAliases.push([`${this.module}:${name}`, this.src(left), this.src(right)]);
            continue;
          }
          const kind = this.kindOfValue(right);
          if (kind) this.summary.kinds[`${this.module}:${name}.${this.src(left)}`] = kind;
          this.summary.classAttributes.push(`${this.module}:${name}.${this.src(left)}`);
        }
      }
    }
  }

  /** The end of `__init__`'s body: where a fix adds `self._x_lock = threading.Lock()`. */
  private collectInitSite(method: PyNode, className: string): void {
    const first = field(method, 'parameters')?.children[0];
    const body = field(method, 'body');
    const last = body?.children[body.children.length - 1];
    if (first?.type !== 'identifier' || !body || !last) return;
    const firstLine = this.lines.line(body.start);
    const indent = this.text.slice(this.lines.lineStart(firstLine), body.start);
    // A body on the `def` line itself (`def __init__(self): pass`) has no indented block to add to.
    if (!/^[ \t]+$/.test(indent)) return;
    this.summary.fixSites.inits[`${this.module}:${className}`] = { line: this.lines.line(last.end) + 1, indent, selfName: this.src(first) };
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
        const right = field(node, 'right');
        const key = `${this.module}:${className}.${this.src(attr)}`;
        const kind = this.kindOfValue(right, undefined, { className, selfName });
        if (kind) this.summary.kinds[key] ??= kind;
        const methods = right && this.boundMethodsIn(right, selfName);
        if (methods && methods.length > 0) this.summary.methodTables[key] = methods;
      }
      return false;
    });
  }

  /** `{b'q': (self.query, 2), b'g': self.get}`: the object's own methods a literal holds, not calls of them. */
  private boundMethodsIn(value: PyNode, selfName: string): string[] | undefined {
    if (!/^(dictionary|list|tuple|set)$/.test(value.type)) return undefined;
    const names = new Set<string>();
    walk(value, (node) => {
      if (node.type === 'lambda' || node.type === 'call') return false;
      const object = node.type === 'attribute' ? field(node, 'object') : undefined;
      const name = node.type === 'attribute' ? field(node, 'attribute') : undefined;
      if (object?.type === 'identifier' && name && this.src(object) === selfName) {
        names.add(this.src(name));
        return false;
      }
      return true;
    });
    return [...names];
  }

  private recordImport(node: PyNode): void {
    this.notePython2Import(node);
    if (node.type === 'import_statement') {
      for (const child of node.children) {
        if (child.field !== 'name') continue;
        if (child.type === 'aliased_import') {
          const target = field(child, 'name');
          const alias = field(child, 'alias');
          if (target && alias) this.imports.set(this.src(alias), this.src(target));
          if (target) this.noteProjectImport(this.src(target));
        } else if (child.type === 'dotted_name') {
          const first = this.src(child).split('.')[0]!.trim();
          this.imports.set(first, first);
          this.noteProjectImport(this.src(child));
        }
      }
      return;
    }
    const moduleNode = field(node, 'module_name');
    const from = moduleNode ? this.src(moduleNode) : '';
    this.noteProjectImport(from);
    for (const child of node.children) {
      if (child.field !== 'name') continue;
      const target = child.type === 'aliased_import' ? field(child, 'name') : child;
      const alias = child.type === 'aliased_import' ? field(child, 'alias') : child;
      if (!target || !alias) continue;
      const base = from.replace(/^\.+/, '');
      this.imports.set(this.src(alias), base ? `${base}.${this.src(target)}` : this.src(target));
    }
  }

  /**
   * A module of the same project, though maybe not in this run: imported relatively, or from a
   * package whose name is a folder this file is in (`tornado.ioloop` from `tornado/platform/`).
   * Its state is the project's own; `sys.path` is not.
   */
  private noteProjectImport(dotted: string): void {
    const name = dotted.replace(/\s+/g, '');
    const top = name.startsWith('.') ? undefined : name.split('.')[0];
    if (top && !this.summary.topLevelImports.includes(top)) this.summary.topLevelImports.push(top);
    const first = name.replace(/^\.+/, '').split('.')[0];
    const folders = this.file.path.split(/[\\/]/).slice(0, -1);
    if (!name.startsWith('.') && (!first || !folders.includes(first))) return;
    const module = lastComponent(name);
    if (module && !this.summary.projectModules.includes(module)) this.summary.projectModules.push(module);
  }

  private notePython2Import(node: PyNode): void {
    if (node.parent?.type !== 'module' || this.summary.python2Import) return;
    const names = node.type === 'import_statement'
      ? node.children.filter((c) => c.field === 'name').map((c) => this.src(c.type === 'aliased_import' ? field(c, 'name') ?? c : c))
      : [this.src(field(node, 'module_name') ?? node)];
    const module = names.map((name) => name.split('.')[0]!.trim()).find((top) => PYTHON2_ONLY_MODULES.has(top));
    if (!module) return;
    this.summary.python2Import = module;
    noteAboutCurrentFile(`imports \`${module}\`, a module of Python 2 that Python 3 does not have: the file cannot run on Python 3, so its code is not checked`);
  }

  /** `th.Lock` → `threading.Lock` through the import table. */
  protected qualify(node: PyNode): string {
    const raw = this.src(node).replace(/\s+/g, '');
    const dot = raw.indexOf('.');
    const head = dot === -1 ? raw : raw.slice(0, dot);
    const mapped = this.imports.get(head);
    return mapped ? mapped + (dot === -1 ? '' : raw.slice(dot)) : raw;
  }

  /** `ThreadPoolExecutor(1)`, `ThreadPoolExecutor(max_workers=1)`, `ThreadPool(processes=1)`. */
  private oneWorker(call: PyNode): boolean {
    const args = callArguments(call);
    const keyword = args.find((a) => a.type === 'keyword_argument' && /^(max_workers|processes)$/.test(this.src(field(a, 'name') ?? a)));
    const count = keyword ? field(keyword, 'value') : args[0]?.type !== 'keyword_argument' ? args[0] : undefined;
    return count !== undefined && this.src(count) === '1';
  }

  /** `Name(…)` or `module.Name(…)` with `Name` or `module` imported: a class of that module. */
  private namesImportedClass(fn: PyNode): boolean {
    if (fn.type === 'identifier') return true;
    const raw = this.src(fn);
    return /^[A-Za-z_][\w.]*$/.test(raw) && this.imports.has(raw.slice(0, raw.indexOf('.')));
  }

  protected kindOfValue(value: PyNode | undefined, scope?: Scope, method?: { className: string; selfName: string }): string | undefined {
    if (!value) return undefined;
    const node = unparen(value);
    switch (node.type) {
      case 'list':
      case 'list_comprehension':
        return 'list';
      case 'dictionary':
      case 'set':
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
        if (!kind && dot > 0 && /^[A-Z]/.test(qualified.slice(dot + 1)) && this.namesImportedClass(fn)) {
          return `class:${lastComponent(qualified.slice(0, dot))}:${qualified.slice(dot + 1)}`;
        }
        if (kind === 'Condition') {
          // `Condition(self._lock)` or `Condition(lock=self._lock)`.
          const args = callArguments(node);
          const keyword = args.find((a) => a.type === 'keyword_argument' && this.src(field(a, 'name') ?? a) === 'lock');
          const lockArg = keyword ? field(keyword, 'value') : args.find((c) => c.type !== 'keyword_argument');
          const lockKey = lockArg && scope ? this.resolve(lockArg, scope)?.key : lockArg && method ? this.selfFieldKey(lockArg, method) : undefined;
          kind = lockKey ? `Condition@${lockKey}` : lockArg ? CONDITION_ON_GIVEN_LOCK : 'Condition';
        }
        if (!kind && fn.type === 'attribute' && field(fn, 'attribute') && this.src(field(fn, 'attribute')!) === 'create_future') kind = 'aio.Future';
        if (kind === 'ThreadPool' && this.oneWorker(node)) kind = SINGLE_WORKER_POOL;
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

  /** `m:Outer.f.<lambda>@12:8`: lambdas are named by where they are written. */
  protected lambdaKey(node: PyNode, scope: Scope): string {
    const span = this.span(node);
    const owner = scope.isModule ? '' : `${scope.qual}.`;
    return `${this.module}:${owner}<lambda>@${span.line + 1}:${span.col}`;
  }
}
