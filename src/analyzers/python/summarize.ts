import type { SourceFile } from '../language';
import { Calls } from './calls';
import { parsePython, type PyNode } from './parser';
import { collectParams, collectScopeNames, emptyScopeNames, type ScopeNames } from './scopes';
import { literalDefaults, parameterGuards } from './param-guards';
import { documentsHeldLock } from './lock-contract';
import type { FunctionSummary, PythonModuleSummary } from './summary';
import { enclosingFunction, field, hasToken, some, unparen, walk } from './syntax';
import { heldKeys, shareEmptyLists, THREAD_IDENTITY, type Scope, type Task } from './walk-state';


const HANDLER_DECORATOR = /\.(get|post|put|patch|delete|route|websocket|api_route|on|on_event|listener|handler|command|message_handler)\b|^(route|get|post)\b/;
const CONSTRUCTOR_NAMES = new Set(['__init__', '__new__', '__post_init__', 'setUp', 'setUpClass', '__enter__']);
/** `sorted((a, b), key=id)`, `min(a, b, key=id)`, `if id(a) < id(b):` order two instances by identity. */
const ORDERED_BY_ID = /key\s*=\s*id\b|\bid\(\w+\)\s*[<>]/;
/** Calls that end the program: `sys.exit` raises `SystemExit`, `os._exit` ends the process. */
const PROGRAM_EXITS = /^(sys\.exit|os\._exit|exit|quit)$/;

export async function summarizePython(file: SourceFile): Promise<PythonModuleSummary> {
  const root = await parsePython(file.text);
  return new Summarizer(file, root).run();
}

/**
 * The per-file pass: walks every scope once, in source order, and hands each node to the
 * layer that models it (accesses, locks, calls). The layers are one class chain, one concern
 * per file: module-facts, accesses, lock-tracking, calls, and this walk.
 */
class Summarizer extends Calls {
  run(): PythonModuleSummary {
    this.collectModuleFacts();
    const names = emptyScopeNames();
    collectScopeNames(this.root, this.text, names, true);
    const moduleScope = this.newScope(this.newFunction(`${this.module}:<module>`, '<module>', this.root, false), '<module>', null, names, true);
    this.walkScope(this.root, moduleScope);
    for (const fn of this.summary.functions) shareEmptyLists(fn);
    return this.summary;
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
      futureStores: [],
      viewEscapes: [],
      selfHandoffs: [],
      futureResolves: [],
      slotTests: [],
      startsBeforeInit: [],
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
      free: [],
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
      suspended: [],
      ordersById: false,
      threadIdentities: new Set(),
      fieldAliases: new Map(),
      misuseGuardKeys: [],
      lockedGuards: [],
      serverLocals: new Set(),
      memberTests: new Set(),
      freshFields: new Set(),
    };
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
    if (node.type === 'function_definition' && body.type === 'block') {
      if (documentsHeldLock(body, this.text)) fn.callerHoldsLock = true;
      const guards = parameterGuards(names.ifs, names.params, names.assigned, (n) => {
        const span = this.span(n);
        return { line: span.line, endLine: span.endLine };
      }, (n) => this.src(n));
      if (guards.length > 0) {
        fn.paramGuards = guards;
        Object.assign(fn, literalDefaults(field(node, 'parameters'), (n) => this.src(n)));
      }
    }
    const decorated = node.parent?.type === 'decorated_definition' ? node.parent : undefined;
    if (decorated) {
      fn.handler = decorated.children.some((d) => d.type === 'decorator' && HANDLER_DECORATOR.test(this.src(d).slice(1)));
    }
    if (className && node.type === 'function_definition' && (this.isAbstractBody(body) || decorated?.children.some((d) => d.type === 'decorator' && /abstractmethod\b/.test(this.src(d))))) {
      fn.abstract = true;
    }
    const scope = this.newScope(fn, qual, outer.isModule ? null : outer, names);
    scope.ordersById = ORDERED_BY_ID.test(this.src(body));
    if (className && names.params.length > 0) {
      scope.className = className;
      scope.selfName = names.params[0];
    }
    if (node.type === 'lambda') stack.push({ node: body, scope });
    else {
      if (decorated) this.noteDecorators(decorated, scope.fn);
      if (this.neverReturns(body)) fn.neverReturns = true;
      this.enterHoldingWhatItReleases(body, scope);
      // Statements after a `raise` or `return` of the body itself never run (a function
      // disabled with `raise NotImplementedError` above its old code).
      const statements = body.children;
      const end = statements.findIndex((s) => s.type === 'raise_statement' || s.type === 'return_statement');
      for (let i = (end === -1 ? statements.length : end + 1) - 1; i >= 0; i--) stack.push({ node: statements[i]!, scope });
    }
  }

  /**
   * The decorators written as a name, qualified with the module that defines them, for the
   * program to find locking ones (`@synchronized`, `@mutex`, here or in another module).
   */
  private noteDecorators(decorated: PyNode, fn: FunctionSummary): void {
    for (const decorator of decorated.children) {
      // The parsed tree keeps a decorator as one node: read its name from the text.
      const name = decorator.type === 'decorator' ? this.src(decorator).slice(1).trim() : '';
      if (!/^[A-Za-z_][\w.]*$/.test(name)) continue;
      const head = name.split('.')[0]!;
      const imported = this.imports.get(head);
      (fn.decorators ??= []).push(imported ? imported + name.slice(head.length) : `${this.module}.${name}`);
    }
  }

  /** `cleanup(); sys.exit(1)`: the body ends the program or raises on every way out (no `return`). */
  private neverReturns(body: PyNode): boolean {
    const last = body.children.filter((c) => c.type !== 'comment').at(-1);
    if (!last || some(body, (n) => n.type === 'return_statement')) return false;
    if (last.type === 'raise_statement') return true;
    const call = last.type === 'expression_statement' ? unparen(last.children[0] ?? last) : undefined;
    const callee = call?.type === 'call' ? field(call, 'function') : undefined;
    return callee !== undefined && PROGRAM_EXITS.test(this.qualify(callee));
  }

  /** Only a docstring, `pass`, `...` or `raise NotImplementedError`: subclasses provide the method. */
  private isAbstractBody(body: PyNode): boolean {
    return body.children.every((stmt) => {
      if (stmt.type === 'pass_statement') return true;
      if (stmt.type === 'raise_statement') return /^raise\s+NotImplementedError\b/.test(this.src(stmt));
      const only = stmt.type === 'expression_statement' && stmt.children.length === 1 ? stmt.children[0]! : undefined;
      return only !== undefined && (only.type === 'string' || only.type === 'ellipsis' || only.type === 'concatenated_string');
    });
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
    if (scope.suspended.length > 0) this.resumeAfterExitingBranch(node, scope);
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
      case 'assert_statement':
        this.noteAssertGuard(node, scope);
        break;
      case 'await':
        // The operand (the call and its arguments) is evaluated before the coroutine suspends:
        // `await self.use(self.names.pop(0))` changes the list before the await, not after it.
        stack.push({ exit: () => void scope.epoch++ });
        break;
      case 'return_statement':
        this.noteEscapingView(node, scope);
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

  private visitIf(node: PyNode, scope: Scope, stack: Task[]): void {
    const condition = field(node, 'condition');
    if (!condition) {
      this.pushChildren(node, scope, stack);
      return;
    }
    if (this.forks && /^(\w+\s*==\s*0|not\s+\w+)$/.test(this.src(condition))) {
      const name = this.src(condition).replace(/==\s*0|not\s+/g, '').trim();
      const body = field(node, 'consequence');
      if (body && new RegExp(`\\b${name}\\s*=\\s*os\\.fork1?\\(`).test(this.text)) this.confinedBlocks.add(body);
    }
    // `if self._owner == get_ident():` only the owner gets in, and no other thread can make the
    // test true for it: the branch is confined, and the test is no check another thread can race.
    // `if self._owner != get_ident(): raise …` turns every other thread away: what follows it in
    // the block runs only on the owner.
    const ownerTest = this.comparesThreadIdentity(condition, scope);
    if (ownerTest === 'same') {
      const body = field(node, 'consequence');
      if (body) this.confinedBlocks.add(body);
    } else if (ownerTest === 'differs' && this.guardsTheRest(node)) {
      for (const next of node.parent!.children.slice(node.parent!.children.indexOf(node) + 1)) this.confinedBlocks.add(next);
    }
    this.noteSplitDecision(condition, scope);
    this.noteMemberTests(condition, scope);
    this.noteSlotTests(node, condition, scope);
    this.noteReadiness(node, condition, scope);
    const keys = new Map<string, PyNode>();
    const lazy = new Set<string>();
    // Keys the condition tests only for being None: a change to the object's contents keeps the answer.
    const identity = new Set<string>();
    const other = new Set<string>();
    walk(condition, (n) => {
      if (n.type === 'identifier' || n.type === 'attribute') {
        const r = this.resolve(n, scope);
        if (r?.shared && !this.isSyncObject(r.kind)) {
          keys.set(r.key, n);
          if (this.isNoneCheck(n)) lazy.add(r.key);
          (this.isNoneComparison(n) ? identity : other).add(r.key);
          return false;
        }
        // `found = d.get(k)` … `if found:` checks the container through what the lookup returned.
        const snapshot = n.type === 'identifier' ? scope.snapshots.get(this.src(n)) : undefined;
        if (snapshot?.lookup) {
          for (const key of snapshot.keys) {
            keys.set(key, n);
            if (this.isNoneCheck(n)) lazy.add(key);
          }
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
      // A try that succeeded proves the thread did not hold the lock (it is no RLock's re-entry),
      // even after the body releases it: `if lock.acquire(False): lock.release(); flush()`.
      const taken = scope.held[baseline];
      if (taken?.tries && !negated) {
        const before = scope.free;
        scope.free = [...before, taken.key];
        stack.push({ exit: () => void (scope.free = before) });
      }
    }
    if (keys.size > 0 && !ownerTest) {
      // `if found: return found` with no `else`: the rest of the block is the act of this check.
      const until = node.type === 'if_statement' && !node.children.some((c) => c.type === 'else_clause' || c.type === 'elif_clause') &&
        this.exitsEarly(node) && node.parent?.type === 'block' ? node.parent : undefined;
      const misuseGuard = until !== undefined && this.isMisuseGuard(node, condition);
      if (misuseGuard) {
        scope.misuseGuardKeys = [...scope.misuseGuardKeys, ...keys.keys()];
        const held = scope.held.map((h) => ({ lock: h.key, block: h.block }));
        scope.lockedGuards = [...scope.lockedGuards, ...[...keys.keys()].flatMap((flag) => held.map((h) => ({ flag, ...h })))];
      }
      const frame = {
        node,
        until,
        misuseGuard,
        keys,
        span: this.span(condition),
        text: this.shortText(condition),
        locks: heldKeys(scope),
        epoch: scope.epoch,
        lazy,
        identity: new Set([...identity].filter((key) => !other.has(key))),
        reported: new Set<string>(),
      };
      scope.checks.push(frame);
      if (!until) stack.push({ exit: () => void scope.checks.splice(scope.checks.indexOf(frame), 1) });
    }
    this.pushBranches(node, scope, stack);
  }

  /**
   * The branches of an `if` in order, each starting from the awaits seen when the condition was
   * decided: an await in one branch does not come before the code of another. After the
   * statement, as many awaits have passed as on the longest branch that falls through; a branch
   * that returns or raises (`if busy: await log(); return`) adds none to the code after it.
   */
  private pushBranches(node: PyNode, scope: Scope, stack: Task[]): void {
    const consequence = node.children.find((c) => c.type === 'block');
    if (!consequence) {
      this.pushChildren(node, scope, stack);
      return;
    }
    const alternatives = node.children.filter((c) => c.type === 'elif_clause' || c.type === 'else_clause');
    let base = 0;
    let longest = -1;
    const settle = (branch: PyNode) => () => {
      if (!this.endsEarly(branch)) longest = Math.max(longest, scope.epoch);
      scope.epoch = base;
    };
    // With no `else`, the condition being false falls through with the awaits seen so far.
    stack.push({ exit: () => void (scope.epoch = Math.max(longest, base)) });
    for (let i = alternatives.length - 1; i >= 0; i--) {
      stack.push({ exit: settle(alternatives[i]!) });
      stack.push({ node: alternatives[i]!, scope });
    }
    stack.push({ exit: settle(consequence) });
    stack.push({ node: consequence, scope });
    stack.push({ exit: () => void (base = scope.epoch) });
    const leading = node.children.slice(0, node.children.indexOf(consequence));
    for (let i = leading.length - 1; i >= 0; i--) stack.push({ node: leading[i]!, scope });
  }

  /** `if peer in self.binding:`: where a claim made later in the coroutine is looked for (see `CheckFrame.claimed`). */
  private noteMemberTests(condition: PyNode, scope: Scope): void {
    if (!scope.fn.isAsync) return;
    walk(condition, (n) => {
      if (n.type !== 'comparison_operator') return true;
      const operands = n.children.filter((c) => c.type !== 'in' && c.type !== 'not in');
      if (operands.length !== 2 || operands.length === n.children.length) return false;
      const container = this.resolve(operands[1]!, scope);
      if (container?.shared) scope.memberTests.add(`${container.key}|${this.src(operands[0]!)}`);
      return false;
    });
  }

  /**
   * `assert self._waiter is None, "already waiting"`: a second caller in the wrong state is
   * refused as surely as by `if self._waiter is not None: raise …` (a misuse guard on that state).
   */
  private noteAssertGuard(node: PyNode, scope: Scope): void {
    // The parsed tree keeps no `assert` keyword: the test comes first, then the message.
    const condition = node.children[0];
    if (!condition || scope.isModule || !this.testsStateOnly(condition)) return;
    const keys = new Set<string>();
    walk(condition, (n) => {
      if (n.type !== 'identifier' && n.type !== 'attribute') return true;
      const ref = this.resolve(n, scope);
      if (ref?.shared) keys.add(ref.key);
      return ref === undefined;
    });
    if (keys.size === 0) return;
    scope.misuseGuardKeys = [...scope.misuseGuardKeys, ...keys];
    scope.lockedGuards = [...scope.lockedGuards, ...[...keys].flatMap((flag) => scope.held.map((h) => ({ flag, lock: h.key, block: h.block })))];
  }

  /** A test of state alone: no call, lookup or membership test that could itself be what changes. */
  private testsStateOnly(condition: PyNode): boolean {
    let state = true;
    walk(condition, (n) => {
      if (n.type === 'subscript' || n.type === 'in' || n.type === 'not in' || n.type === 'call') state = false;
      return state;
    });
    return state;
  }

  /**
   * `if self._started: raise …` / `if self.state != CLOSED: raise …`: the body raises, and the
   * condition tests the object's own state (no membership test of an argument, no subscript).
   */
  private isMisuseGuard(node: PyNode, condition: PyNode): boolean {
    const body = field(node, 'consequence');
    const last = body?.children[body.children.length - 1];
    return last?.type === 'raise_statement' && this.testsStateOnly(condition);
  }

  /** The branch's last statement leaves it (`return`, `raise`, `continue`, `break`). */
  private endsEarly(branch: PyNode): boolean {
    const body = branch.type === 'block' ? branch : field(branch, 'consequence') ?? field(branch, 'body') ?? branch.children.find((c) => c.type === 'block');
    const last = body?.children[body.children.length - 1];
    return last !== undefined && /^(raise|return|continue|break)_statement$/.test(last.type);
  }

  /** `if self._waiter:` / `if self._waiter is not None:` on a field that holds futures. */
  private noteSlotTests(node: PyNode, condition: PyNode, scope: Scope): void {
    walk(condition, (n) => {
      if (n.type !== 'attribute') return true;
      const ref = this.resolve(n, scope);
      if (!ref?.viaSelf || ref.kind !== 'aio.Future') return false;
      const parent = n.parent;
      const presence = parent?.type === 'if_statement' || parent?.type === 'elif_clause' || parent?.type === 'boolean_operator' ||
        parent?.type === 'not_operator' || (parent?.type === 'comparison_operator' && parent.children.some((c) => c.type === 'none'));
      if (!presence) return false;
      const expr = this.src(n);
      const body = field(node, 'consequence');
      const asksDone = new RegExp(`${expr.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(done|cancelled)\\(`).test(this.src(condition));
      const actsElsewhere = (body?.children ?? []).some((s) => !/^(pass_statement|return_statement)$/.test(s.type) && !this.src(s).startsWith(`${expr}.`));
      scope.fn.slotTests.push({ key: ref.key, span: this.span(n), asksDone, actsElsewhere });
      return false;
    });
  }

  /**
   * `x == get_ident()`, `self._owner is current_thread()`, or a local holding either. Compared
   * with a field of `self`, the object belongs to a thread and checks who calls it.
   */
  private comparesThreadIdentity(condition: PyNode, scope: Scope): 'same' | 'differs' | undefined {
    const test = unparen(condition);
    if (test.type !== 'comparison_operator') return undefined;
    const operators = test.children.filter((c) => /^(<|<=|>|>=|==|!=|<>|in|not in|is|is not)$/.test(c.type));
    if (operators.length !== 1) return undefined;
    const operator = operators[0]!.type;
    const sense = operator === '==' || operator === 'is' ? 'same' : operator === '!=' || operator === 'is not' ? 'differs' : undefined;
    if (!sense) return undefined;
    const identity = test.children.find((operand) => {
      const bare = unparen(operand);
      if (bare.type === 'identifier') return scope.threadIdentities.has(this.src(bare));
      return bare.type === 'call' && THREAD_IDENTITY.test(this.src(field(bare, 'function') ?? bare));
    });
    if (!identity) return undefined;
    for (const operand of test.children) {
      const ref = operand !== identity && operand.type === 'attribute' ? this.resolve(operand, scope) : undefined;
      if (ref?.viaSelf) this.markThreadAffine(ref.key);
    }
    return sense;
  }

  /** `if …: raise` (or `return`) with no `else`, directly in a block: the rest of the block runs only when the test failed. */
  private guardsTheRest(ifNode: PyNode): boolean {
    const body = field(ifNode, 'consequence')?.children ?? [];
    return ifNode.type === 'if_statement' && ifNode.parent?.type === 'block' &&
      !ifNode.children.some((c) => c.type === 'else_clause' || c.type === 'elif_clause') &&
      /^(raise|return)_statement$/.test(body[body.length - 1]?.type ?? '');
  }

  /**
   * Readiness flags (`populate()` fills the registry, then sets `apps_ready`; readers call
   * `check_apps_ready()` first, which raises until then): where a flag of the object or module
   * is known set, and the flags a once-only initializer leaves early on.
   */
  private noteReadiness(node: PyNode, condition: PyNode, scope: Scope): void {
    if (node.type !== 'if_statement' || scope.isModule) return;
    const test = unparen(condition);
    const negated = test.type === 'not_operator';
    const operand = negated ? unparen(field(test, 'argument') ?? test) : test;
    if (operand.type !== 'attribute' && operand.type !== 'identifier') return;
    const flag = this.resolve(operand, scope);
    if (!flag?.shared) return;
    const fn = scope.fn;
    const block = node.parent;
    const last = field(node, 'consequence')?.children.at(-1);
    const exit = last?.type === 'raise_statement' ? 'raise' : last?.type === 'return_statement' ? 'return' : undefined;
    if (negated && exit && block?.type === 'block' && !node.children.some((c) => c.type === 'else_clause' || c.type === 'elif_clause')) {
      (fn.readyRegions ??= []).push({ key: flag.key, line: this.span(node).endLine + 1, endLine: this.span(block).endLine, exit });
    } else if (!negated) {
      const body = field(node, 'consequence');
      if (body) (fn.readyRegions ??= []).push({ key: flag.key, line: this.span(body).line, endLine: this.span(body).endLine, exit: 'block' });
      if (exit && block?.parent?.type === 'function_definition') (fn.onceGuards ??= []).push(flag.key);
    }
  }

  /** `x is None`, `x is not None`, `x == None`: a test of what the name is bound to. */
  private isNoneComparison(ref: PyNode): boolean {
    const parent = ref.parent;
    return parent?.type === 'comparison_operator' && parent.children.some((c) => c.type === 'none');
  }

  private isNoneCheck(ref: PyNode): boolean {
    const parent = ref.parent;
    if (!parent) return false;
    if (parent.type === 'not_operator') return true;
    if (parent.type === 'comparison_operator') return parent.children.some((c) => c.type === 'none');
    return parent.type === 'if_statement' || parent.type === 'elif_clause';
  }

  private noteSplitDecision(condition: PyNode, scope: Scope): void {
    if (scope.held.length === 0 || scope.critical.size === 0) return;
    walk(condition, (n) => {
      if (n.type !== 'identifier') return true;
      const name = this.src(n);
      const earlier = scope.critical.get(name);
      if (!earlier) return false;
      const current = [...scope.held].reverse().find((h) => h.key === earlier.lock);
      if (current && current.block !== earlier.block && !this.isLiveContainer(name, enclosingFunction(condition) ?? condition)) {
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
      if (right) this.noteSnapshotIteration(node, right, scope, stack);
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

  /**
   * `for k in list(shared):` walks a copy: by the time the body acts on `shared[k]`, another
   * thread may have removed or replaced it. The copy is the check of a check-then-act.
   */
  private noteSnapshotIteration(node: PyNode, right: PyNode, scope: Scope, stack: Task[]): void {
    const copy = unparen(right);
    const fn = copy.type === 'call' ? field(copy, 'function') : undefined;
    let source: PyNode | undefined;
    if (fn?.type === 'identifier' && /^(list|tuple|sorted|set|frozenset)$/.test(this.src(fn))) {
      source = field(copy, 'arguments')?.children.find((c) => c.type !== 'keyword_argument' && c.type !== 'comment');
    } else if (fn?.type === 'attribute' && this.src(field(fn, 'attribute') ?? fn) === 'copy') {
      source = field(fn, 'object');
    }
    if (source?.type === 'call') {
      const view = field(source, 'function');
      if (view?.type === 'attribute' && /^(keys|items|values)$/.test(this.src(field(view, 'attribute') ?? view))) source = field(view, 'object');
    }
    const ref = source && this.resolve(source, scope);
    if (!ref?.shared || this.isSyncObject(ref.kind)) return;
    const frame = {
      node,
      keys: new Map([[ref.key, source!]]),
      span: this.span(right),
      text: this.shortText(right),
      locks: heldKeys(scope),
      epoch: scope.epoch,
      lazy: new Set<string>(),
      identity: new Set<string>(),
      reported: new Set<string>(),
    };
    scope.checks.push(frame);
    stack.push({ exit: () => void scope.checks.splice(scope.checks.indexOf(frame), 1) });
  }

  /** `for t in threads:` / `for f in as_completed(futs):` makes `t`/`f` stand for the collection. */
  private noteLoopAlias(left: PyNode, right: PyNode, scope: Scope): void {
    // `for key, value in d.items():` / `six.iteritems(d)`: the value stands for the collection's elements.
    const target = left.type === 'pattern_list' || left.type === 'tuple_pattern' ? left.children[left.children.length - 1] : left;
    if (target?.type !== 'identifier') return;
    let collection = unparen(right);
    if (collection.type === 'call') {
      const fn = field(collection, 'function');
      const method = fn?.type === 'attribute' ? field(fn, 'attribute') : undefined;
      const first = field(collection, 'arguments')?.children[0];
      if (method && /^(items|values|keys|copy)$/.test(this.src(method)) && !first) collection = field(fn!, 'object')!;
      else if (first) collection = first;
      else return;
    }
    const ref = this.resolve(collection, scope);
    if (ref) scope.aliases.set(this.src(target), ref.key);
  }
}
