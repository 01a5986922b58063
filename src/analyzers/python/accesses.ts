import type { PyNode } from './parser';
import { ModuleFacts } from './module-facts';
import type { AccessKind, CheckAct, Span, StatementSite } from './summary';
import { isIdempotentStore } from './idempotent';
import { callArguments, field, some, statementOf, unparen, walk } from './syntax';
import { gatesHeld, heldKeys, lastComponent, SERVER_START, THREAD_IDENTITY, type CheckFrame, type HeldLock, type Resolved, type Scope, type Task } from './walk-state';

/** Container methods that change the container in one atomic step. */
const MUTATORS = new Set([
  'append', 'extend', 'insert', 'pop', 'popitem', 'remove', 'clear', 'update', 'setdefault', 'add',
  'discard', 'sort', 'reverse', 'appendleft', 'popleft', 'extendleft', 'rotate', '__setitem__', '__delitem__',
]);
const ITERATION_VIEWS = new Set(['items', 'keys', 'values']);
/** Wrappers that iterate their argument lazily, when the result is consumed. */
const LAZY_WRAPPERS = /^(iter|reversed|enumerate|zip|filter|map|itertools\.(islice|chain|cycle|compress|dropwhile|takewhile|starmap|zip_longest|tee))$/;

/**
 * Names and the state they denote: resolves references to state keys, records each access
 * with the locks held, and notes the multi-step patterns built from accesses (read-modify-write
 * split over statements, check-then-act, reads before an await, multiprocessing updates).
 */
export abstract class Accesses extends ModuleFacts {
  private resolveName(name: string, scope: Scope, at?: PyNode): Resolved | undefined {
    if (!scope.isModule && scope.names.globals.has(name)) return this.globalRef(name);
    if (!scope.isModule && scope.names.locals.has(name)) {
      const captured = scope.names.usedInside.has(name) && !(at && this.beforeCapture(name, at, scope));
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
  protected resolve(node: PyNode, scope: Scope): Resolved | undefined {
    const target = unparen(node);
    if (target.type === 'identifier') return this.resolveName(this.src(target), scope, target);
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
      // `from pkg.ioloop import IOLoop` … `IOLoop._map`: a class attribute, keyed as its own module keys it.
      const dot = imported.lastIndexOf('.');
      const isClass = dot > 0 && /^[A-Z]/.test(imported.slice(dot + 1));
      return { key: isClass ? `${lastComponent(imported.slice(0, dot))}:${imported.slice(dot + 1)}.${attr}` : `${lastComponent(imported)}:${attr}`, shared: true, viaSelf: false };
    }
    // A module-level (or closure-shared) instance of a known class: its attributes are shared.
    const holder = this.resolveName(objName, scope, obj);
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

  /**
   * A local used before the first closure that captures it is defined, outside any loop (a
   * closure made in one iteration sees the next one's value): no other code can reach it yet.
   */
  private beforeCapture(name: string, at: PyNode, scope: Scope): boolean {
    return scope.loops.length === 0 && at.start < (scope.names.capturedFrom.get(name) ?? -1);
  }

  /** `self` of an enclosing method, seen from a nested function or lambda. */
  protected outerSelf(name: string, scope: Scope): string | undefined {
    if (scope.names.locals.has(name)) return undefined;
    for (let outer = scope.parent; outer; outer = outer.parent) {
      if (outer.className && outer.selfName === name) return outer.className;
      if (outer.names.locals.has(name)) return undefined;
    }
    return undefined;
  }

  /** Class of a local: `a = Account()` or a parameter annotated `a: Account`. */
  protected classOfLocal(name: string, scope: Scope): string | undefined {
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
        if (child.field === 'right' && this.iteratesLater(parent)) return 'read';
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
            return call.parent && this.iteratesLater(call.parent) ? 'read' : 'iterate';
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

  /**
   * A generator expression iterates when its consumer runs, not here: returned or stored, that
   * is elsewhere (a returned one is an escaping view); passed to a call, it is now.
   */
  private iteratesLater(forNode: PyNode): boolean {
    return forNode.type === 'for_in_clause' && forNode.parent?.type === 'generator_expression' && forNode.parent.parent?.type !== 'argument_list';
  }

  /** Returns true when the node's children must not be visited (it was a resolved reference). */
  protected visitReference(node: PyNode, scope: Scope): boolean {
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

  protected isSyncObject(kind: string | undefined): boolean {
    return kind !== undefined && kind !== 'container' && kind !== 'list' && !kind.startsWith('class:');
  }

  protected inConfinedBlock(node: PyNode): boolean {
    if (this.confinedBlocks.size === 0) return false;
    for (let n: PyNode | null = node; n; n = n.parent) if (this.confinedBlocks.has(n)) return true;
    return false;
  }

  private recordAccess(node: PyNode, resolved: Resolved, kind: AccessKind, scope: Scope): void {
    if (this.inConfinedBlock(node)) return;
    // `d[get_ident()] += 1`: each thread updates only its own entry (thread confinement by key).
    const ownEntry = (kind === 'compound' || kind === 'mutate') && this.indexesOwnThread(node, scope);
    if (ownEntry && kind === 'compound') return;
    // Plain reads matter only for module globals (a parent reading what a process worker wrote)
    // and for a table of the object's methods (who reads it calls them); attribute reads are the
    // bulk of all accesses and no rule pairs them, so they are not kept.
    if (kind === 'read' && /[.#]/.test(resolved.key.slice(resolved.key.indexOf(':') + 1)) && !Object.hasOwn(this.summary.methodTables, resolved.key)) return;
    const statement = statementOf(node);
    const locks = heldKeys(scope);
    if (scope.fn.constructor && resolved.viaSelf && kind === 'write') {
      if (this.makesNewObject(statement)) scope.freshFields.add(resolved.key);
      else scope.freshFields.delete(resolved.key);
    }
    scope.fn.accesses.push({
      key: resolved.key,
      kind,
      text: this.shortText(kind === 'read' || kind === 'iterate' ? node : statement),
      span: this.span(kind === 'read' || kind === 'iterate' ? node : statement.type === 'expression_statement' ? statement.children[0] ?? statement : statement),
      locks,
      viaSelf: resolved.viaSelf,
      stmt: kind === 'read' || kind === 'iterate' ? undefined : this.statementSite(statement),
      indexParam: kind === 'compound' || kind === 'mutate' ? this.indexParam(node, scope) : undefined,
      constant: kind === 'write' && this.writesConstant(statement) ? true : undefined,
      gates: kind === 'mutate' ? gatesHeld(scope) : undefined,
      appends: kind === 'mutate' && this.calledMethod(node, /^(append|extend)$/) ? true : undefined,
      onlyAdds: kind === 'mutate' && this.calledMethod(node, /^(append|extend|add|setdefault)$/) ? true : undefined,
    });
    // Storing into its own entry (`d[me] = …`) still adds a key others may iterate over, but no
    // other thread checks or fills that entry.
    if (kind !== 'read' && kind !== 'iterate' && kind !== 'rmw' && !ownEntry) this.noteCheckThenAct(node, resolved, kind, scope);
  }

  /** `items.append(x)`: a call on the container of a method whose name `names` matches. */
  private calledMethod(container: PyNode, names: RegExp): boolean {
    const method = container.parent?.type === 'attribute' && container.field === 'object' ? field(container.parent, 'attribute') : undefined;
    return method !== undefined && container.parent!.parent?.type === 'call' && names.test(this.src(method));
  }

  /** `items.pop(0)`, `d.pop(k)`, `s.remove(x)`, `del d[k]`: takes an element out of the container. */
  private removesFrom(container: PyNode): boolean {
    if (this.calledMethod(container, /^(pop|popleft|popitem|remove|discard)$/)) return true;
    const subscript = container.parent?.type === 'subscript' && container.field === 'value' ? container.parent : undefined;
    return subscript !== undefined && (subscript.parent?.type === 'delete_statement' || (subscript.parent?.type === 'expression_list' && subscript.parent.parent?.type === 'delete_statement'));
  }

  /** `d[get_ident()]`, `d[me]` with `me = current_thread()`: the entry of the running thread. */
  private indexesOwnThread(container: PyNode, scope: Scope): boolean {
    const index = container.parent?.type === 'subscript' && container.field === 'value' ? field(container.parent, 'subscript') : undefined;
    const bare = index && unparen(index);
    if (bare?.type === 'identifier') return scope.threadIdentities.has(this.src(bare));
    return bare?.type === 'call' && THREAD_IDENTITY.test(this.src(field(bare, 'function') ?? bare));
  }

  /**
   * `return self._d.keys()`, `return iter(self._items)`, `return islice(self._rr[k], n)`,
   * `return (x for x in self._items)`: a live view or lazy iterator of shared state leaves the
   * function; its caller iterates it later, outside any lock held here.
   */
  protected noteEscapingView(node: PyNode, scope: Scope): void {
    const value = node.children[0] && unparen(node.children[0]);
    const source = value && this.lazySource(value);
    if (!value || !source) return;
    let container = unparen(source);
    while (container.type === 'subscript') container = unparen(field(container, 'value') ?? container);
    const ref = this.resolve(container, scope);
    if (!ref?.shared || this.isSyncObject(ref.kind) || this.inConfinedBlock(node)) return;
    scope.fn.viewEscapes.push({ key: ref.key, span: this.span(value), text: this.shortText(value), locks: heldKeys(scope), viaSelf: ref.viaSelf });
  }

  /** The expression a lazy value iterates, when it is lazy. */
  private lazySource(value: PyNode): PyNode | undefined {
    if (value.type === 'generator_expression') {
      const clause = value.children.find((c) => c.type === 'for_in_clause');
      const right = clause && field(clause, 'right');
      return right && (this.viewOf(unparen(right)) ?? unparen(right));
    }
    if (value.type !== 'call') return undefined;
    const view = this.viewOf(value);
    if (view) return view;
    const fn = field(value, 'function');
    if (!fn || !LAZY_WRAPPERS.test(this.qualify(fn))) return undefined;
    const first = field(value, 'arguments')?.children.find((a) => a.type !== 'keyword_argument' && a.type !== 'comment');
    return first && (this.viewOf(unparen(first)) ?? unparen(first));
  }

  /** `x.keys()`, `x.values()`, `x.items()`: the `x` whose live view it is. */
  private viewOf(node: PyNode): PyNode | undefined {
    if (node.type !== 'call' || (field(node, 'arguments')?.children.length ?? 0) > 0) return undefined;
    const fn = field(node, 'function');
    const method = fn?.type === 'attribute' ? field(fn, 'attribute') : undefined;
    return method && ITERATION_VIEWS.has(this.src(method)) ? field(fn!, 'object') : undefined;
  }

  protected isInside(node: PyNode, ancestor: PyNode): boolean {
    for (let n: PyNode | null = node; n; n = n.parent) if (n === ancestor) return true;
    return false;
  }

  /** `self._thread_ident = get_ident()`: the object records the thread it belongs to. */
  protected noteThreadAffinity(fieldKey: string, value: PyNode): void {
    const call = unparen(value);
    const fn = call.type === 'call' ? field(call, 'function') : undefined;
    if (fn && THREAD_IDENTITY.test(this.src(fn))) this.markThreadAffine(fieldKey);
  }

  protected markThreadAffine(fieldKey: string): void {
    const classKey = fieldKey.slice(0, fieldKey.lastIndexOf('.'));
    if (!this.summary.threadAffineClasses.includes(classKey)) this.summary.threadAffineClasses.push(classKey);
  }

  /** `self._thread = t` after `t = Thread(…)`: joining `self._thread` joins that thread too. */
  protected noteHandleStored(holder: string, value: PyNode, scope: Scope): void {
    const handle = `${this.module}:${scope.qual}#${this.src(value)}`;
    for (const spawn of scope.fn.spawns) if (spawn.handle === handle) spawn.collection = holder;
  }

  /** `d.get(k)`, `d[k]`, `self._slot`: the value found in shared state (or nothing). */
  private isLookup(value: PyNode): boolean {
    const node = unparen(value);
    if (node.type === 'subscript' || node.type === 'attribute') return true;
    const fn = node.type === 'call' ? field(node, 'function') : undefined;
    const method = fn?.type === 'attribute' ? field(fn, 'attribute') : undefined;
    return method !== undefined && this.src(method) === 'get';
  }

  /** `d[p]` with `p` a parameter of the function: which parameter. */
  private indexParam(container: PyNode, scope: Scope): number | undefined {
    const subscript = container.parent?.type === 'subscript' && container.field === 'value' ? field(container.parent, 'subscript') : undefined;
    if (subscript?.type !== 'identifier') return undefined;
    const index = scope.names.params.indexOf(this.src(subscript));
    return index === -1 ? undefined : index;
  }

  /**
   * The act is in the body of a `try` that catches what a lost race raises (`KeyError` from a
   * `del` another thread did first, or any exception): the author tolerates losing the race.
   * Between the check and the act, any handler counts; further out, one that names such an error.
   */
  private insideTry(node: PyNode, checkNode: PyNode): boolean {
    let between = true;
    for (let n = node.parent; n && n.type !== 'function_definition'; n = n.parent) {
      if (n === checkNode) between = false;
      if (n.type !== 'block' || n.parent?.type !== 'try_statement' || n.field !== 'body') continue;
      const handlers = n.parent.children.filter((c) => c.type === 'except_clause');
      if (handlers.length > 0 && (between || handlers.some((h) => /^except\s*(\(?\s*(KeyError|LookupError|IndexError|ValueError|Exception|BaseException)\b[^:]*)?:/.test(this.src(h))))) return true;
    }
    return false;
  }

  /**
   * `if not self._workers: return` and then, under a lock taken after that test, a loop or a
   * test over the same state before the act (`with self._cond: for t, w in
   * self._workers.items(): …` … `self._workers.pop(t)`): the unlocked test was a fast path,
   * and the act follows what was decided again under the lock. The test under the lock may
   * be of a companion the critical section sets with it (`if _pool_pid != pid:` before
   * `_pool = Pool(); _pool_pid = pid`).
   */
  private decidedAgainUnderLock(node: PyNode, scope: Scope, checkLocks: string[]): boolean {
    const text = this.src(node);
    const statement = statementOf(node);
    return this.lockRegionsAround(statement, scope, (h) => !checkLocks.includes(h.key)).some(({ body, after }) => {
      const assigned = new Set<string>();
      walk(body, (c) => {
        const left = c.type === 'assignment' ? field(c, 'left') : undefined;
        if (left && c.start >= after && (left.type === 'identifier' || left.type === 'attribute')) assigned.add(this.src(left));
      });
      return some(body, (c) => {
        if (c.start >= statement.start || c.start < after) return false;
        const head = c.type === 'for_statement' ? field(c, 'right') : /^(if_statement|elif_clause|while_statement)$/.test(c.type) ? field(c, 'condition') : undefined;
        return head !== undefined && (this.src(head).includes(text) || some(head, (n) => (n.type === 'identifier' || n.type === 'attribute') && assigned.has(this.src(n))) !== undefined);
      }) !== undefined;
    });
  }

  /**
   * The regions around `statement` that hold a lock held there (and passing `which`): the body
   * of a `with` that takes it, or (with `bareAcquires`) the rest of the block after an `acquire()`.
   */
  private lockRegionsAround(statement: PyNode, scope: Scope, which: (held: HeldLock) => boolean, bareAcquires = true): { body: PyNode; after: number }[] {
    const regions: { body: PyNode; after: number }[] = [];
    if (scope.held.length === 0) return regions;
    for (let n: PyNode | null = statement.parent; n && n.type !== 'function_definition'; n = n.parent) {
      const body = n.type === 'with_statement' ? field(n, 'body') : undefined;
      if (!body) continue;
      const items = this.text.slice(n.start, body.start);
      if (scope.held.some((h) => which(h) && items.includes(h.expr))) regions.push({ body, after: body.start });
    }
    for (const held of bareAcquires ? scope.held : []) {
      if (!held.manual || !held.manualBlock || !which(held) || !this.isInside(statement, held.manualBlock)) continue;
      const acquire = held.manualBlock.children.find((c) => this.span(c).line === held.span.line);
      if (acquire) regions.push({ body: held.manualBlock, after: acquire.end });
    }
    return regions;
  }

  /** `d.pop(k, default)`, `s.discard(x)`: the act itself copes with the element being gone already. */
  private toleratesAbsence(container: PyNode): boolean {
    const attribute = container.parent;
    const call = attribute?.parent;
    if (attribute?.type !== 'attribute' || container.field !== 'object' || call?.type !== 'call') return false;
    const method = this.src(field(attribute, 'attribute') ?? attribute);
    const args = callArguments(call);
    return method === 'discard' || (method === 'pop' && args.length === 2);
  }

  /** `flag = True`, `state = STOPPED`, `mode = Mode.IDLE`: writing a constant twice is idempotent. */
  private writesConstant(statement: PyNode): boolean {
    const assignment = statement.children[0];
    if (assignment?.type !== 'assignment') return false;
    const right = field(assignment, 'right');
    if (!right) return false;
    const value = unparen(right);
    if (/^(true|false|none|integer|float|string|unary_operator)$/.test(value.type)) return true;
    const name = value.type === 'identifier' ? this.src(value) : value.type === 'attribute' ? this.src(field(value, 'attribute') ?? value) : '';
    if (/^[A-Z][A-Z0-9_]*$/.test(name)) return true;
    // `Status.closing`: a member of an enum-like class.
    const owner = value.type === 'attribute' ? field(value, 'object') : undefined;
    return owner?.type === 'identifier' && /^[A-Z][a-z]/.test(this.src(owner));
  }

  /** `self.tbl = Table()`, `self.rows = {}`: the store binds an object made right here. */
  private makesNewObject(statement: PyNode): boolean {
    const value = assignedValue(statement);
    return (value !== undefined && /^(dictionary|list|set|dictionary_comprehension|list_comprehension|set_comprehension)$/.test(value.type)) || this.createsResource(statement);
  }

  /**
   * The stored value is made by this call: a class (`Connection(...)`) or a factory that
   * opens or starts something. Creating it twice leaks one; a lookup (`getLogger(name)`)
   * returns the same object and is idempotent memoisation.
   */
  private createsResource(statement: PyNode): boolean {
    const value = assignedValue(statement);
    let fn = value?.type === 'await' ? value.children[0] : value;
    fn = fn?.type === 'call' ? field(fn, 'function') : undefined;
    if (!fn) return false;
    const name = fn.type === 'attribute' ? this.src(field(fn, 'attribute') ?? fn) : this.src(fn);
    return name === 'cls' || (/^_*[A-Z]/.test(name) && !/^_*[A-Z][A-Z0-9_]*$/.test(name)) || /^_*(make|create|new|open|connect|start|spawn|build|launch)(_|[A-Z]|$)/.test(name);
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

  private noteCheckThenAct(node: PyNode, resolved: Resolved, kind: AccessKind, scope: Scope): void {
    const key = resolved.key;
    for (let i = scope.checks.length - 1; i >= 0; i--) {
      const frame = scope.checks[i]!;
      // The walk is in source order: once past the block an early-exit check covers, it is done.
      if (frame.until && !this.isInside(node, frame.until)) {
        scope.checks.splice(i, 1);
        continue;
      }
      if (!frame.keys.has(key)) continue;
      // `if not self.client.add(k, v):`: a change made by the test itself is one step, not an act after it.
      const condition = field(frame.node, 'condition');
      if (condition && this.isInside(node, condition)) continue;
      if (frame.reported.has(key)) {
        this.noteAnotherStore(frame, key, node);
        return;
      }
      if (frame.misuseGuard || this.insideTry(node, frame.until ?? frame.node) || this.toleratesAbsence(node)) return;
      const locks = heldKeys(scope);
      const common = frame.locks.some((l) => locks.includes(l));
      if (!common && this.decidedAgainUnderLock(node, scope, frame.locks)) return;
      const writeEpoch = scope.epoch + scope.pendingAwaits;
      const awaitBetween = writeEpoch > frame.epoch;
      if (common || (awaitBetween && frame.claimed)) return;
      frame.reported.add(key);
      const statement = statementOf(node);
      const act: CheckAct = {
        key,
        check: frame.span,
        checkText: frame.text,
        write: this.span(statement.type === 'expression_statement' ? statement.children[0] ?? statement : statement),
        writeText: this.shortText(statement),
        lazyInit: frame.lazy.has(key) && kind === 'write',
        identityCheck: (frame.identity.has(key) && kind !== 'write') || undefined,
        constantWrite: this.writesConstant(statement),
        createsResource: this.createsResource(statement),
        idempotent: isIdempotentStore(statement, frame.keys.get(key)!, (n) => this.src(n)),
        viaSelf: resolved.viaSelf,
        awaitBetween,
        unguarded: frame.locks.length === 0 && locks.length === 0,
        removes: this.removesFrom(node) || undefined,
        stmt: this.statementSite(statement),
      };
      scope.fn.checkActs.push(act);
      (frame.acts ??= new Map()).set(key, act);
      return;
    }
  }

  /**
   * `self.binding[peer] = []` or `self.connecting.add(server)` where the coroutine tested
   * `peer in self.binding` before: a claim later runs find and leave or wait on. Checks made
   * since the last await are decided for this run alone.
   */
  protected noteClaim(containerNode: PyNode, member: PyNode, scope: Scope): void {
    const container = this.resolve(containerNode, scope);
    if (!container?.shared || !scope.memberTests.has(`${container.key}|${this.src(member)}`)) return;
    for (const frame of scope.checks) if (frame.epoch === scope.epoch) frame.claimed = true;
  }

  /** A further store under a check already acted on: the act is idempotent only if this one is too. */
  private noteAnotherStore(frame: CheckFrame, key: string, node: PyNode): void {
    const act = frame.acts?.get(key);
    const statement = statementOf(node);
    if (!act || !act.idempotent || statement.type !== 'expression_statement') return;
    const line = this.span(statement).line;
    if (line === act.write.line) return;
    act.idempotent = isIdempotentStore(statement, frame.keys.get(key)!, (n) => this.src(n));
    (act.moreWrites ??= []).push(line);
  }

  // ---------------------------------------------------------------- statements

  protected visitAssignment(node: PyNode, scope: Scope, stack: Task[]): void {
    const left = field(node, 'left');
    const right = field(node, 'right');
    const rhsKeys = new Set<string>();
    let rhsAwait: PyNode | undefined;
    if (right) {
      walk(right, (n) => {
        // `a[k] = b[j] = v`: the inner target is written, not read.
        if (n.field === 'left' && n.parent?.type === 'assignment') return false;
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

    // A claim stored from what an await returns (`self.tags[f] = await consume()`) comes after that await.
    if (left?.type === 'subscript' && scope.memberTests.size > 0 && !rhsAwait) {
      const container = field(left, 'value');
      const index = field(left, 'subscript');
      if (container && index) this.noteClaim(container, index, scope);
    }
    if (left && node.type === 'augmented_assignment') this.noteMpUpdate(left, scope);
    if (scope.fn.isAsync && left) this.noteAwaitUpdate(node, left, leftRef, right, rhsKeys, rhsAwait, scope);
    if (left?.type === 'identifier' && right) this.noteLocalValue(this.src(left), right, rhsKeys, rhsAwait, scope);
    if (left && right) this.noteKind(left, right, scope);
    if (left && right && node.type === 'assignment') this.noteFutureStore(left, right, scope);
    if (leftRef && right?.type === 'identifier') this.noteHandleStored(leftRef.key, right, scope);
    if (leftRef?.viaSelf && right) this.noteThreadAffinity(leftRef.key, right);

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

  /**
   * `self._waiter = fut`, `self._waiters[k] = fut`, `self._waiters[k].append(fut)`: a fresh
   * future put where other tasks find it, to resolve it or to wait on it.
   */
  protected noteFutureStore(target: PyNode, value: PyNode, scope: Scope, appended = false): void {
    const stored = unparen(value);
    const isFuture = stored.type === 'identifier' ? scope.localKinds.get(this.src(stored)) === 'aio.Future' : this.kindOfValue(stored, scope) === 'aio.Future';
    if (!isFuture) return;
    let holder = unparen(target);
    const single = !appended && holder.type === 'attribute';
    while (holder.type === 'subscript') holder = unparen(field(holder, 'value') ?? holder);
    // `waiters = self._waiters[key]; waiters.append(fut)`: the local is the field's element.
    const aliased = holder.type === 'identifier' ? scope.fieldAliases.get(this.src(holder)) : undefined;
    const ref = aliased ? { key: aliased, shared: true, viaSelf: true } : this.resolve(holder, scope);
    if (!ref?.shared || !ref.viaSelf) return;
    const statement = statementOf(target);
    scope.fn.futureStores.push({
      key: ref.key,
      span: this.span(target.parent ?? target),
      single,
      awaited: this.awaitedLater(statement, stored.type === 'identifier' ? this.src(stored) : this.src(unparen(target))),
      check: this.enclosingCheck(statement, ref.key, scope),
      guardKeys: scope.misuseGuardKeys.length > 0 ? scope.misuseGuardKeys : undefined,
      locked: this.awaitedUnderLock(statement, stored.type === 'identifier' ? this.src(stored) : this.src(unparen(target)), scope) || undefined,
    });
  }

  /** The future is stored and awaited within one `with` block of a lock held at the store. */
  private awaitedUnderLock(statement: PyNode, expr: string, scope: Scope): boolean {
    return this.lockRegionsAround(statement, scope, () => true, false).some(({ body }) => this.awaitedBefore(statement, expr, body.end));
  }

  /** `await fut`, `await asyncio.shield(fut)`, `await asyncio.wait_for(fut, t)` after `statement` in its function. */
  private awaitedLater(statement: PyNode, expr: string): boolean {
    let scopeNode: PyNode | null = statement.parent;
    while (scopeNode && scopeNode.type !== 'function_definition') scopeNode = scopeNode.parent;
    return scopeNode !== null && this.awaitedBefore(statement, expr, scopeNode.end);
  }

  private awaitedBefore(statement: PyNode, expr: string, end: number): boolean {
    const rest = this.text.slice(statement.end, end);
    const name = expr.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return new RegExp(`\\bawait\\s+(asyncio\\.(shield|wait_for)\\(\\s*)?${name}\\b`).test(rest);
  }

  /** The innermost `if`/`while` whose body holds `statement`, and whether its condition tests `key`. */
  private enclosingCheck(statement: PyNode, key: string, scope: Scope): { span: Span; mentionsKey: boolean; isLoop: boolean } | undefined {
    for (let n: PyNode | null = statement.parent; n && n.type !== 'function_definition'; n = n.parent) {
      if (n.type !== 'block' || !n.parent || !/^(if_statement|elif_clause|while_statement)$/.test(n.parent.type) || n.field === 'alternative') continue;
      const condition = field(n.parent, 'condition');
      if (!condition) return undefined;
      // The check as it was decided: `waiter = self._w; if waiter is None: waiter = new()` tests `self._w`.
      const frame = scope.checks.find((f) => f.node === n.parent);
      let mentionsKey = frame?.keys.has(key) ?? false;
      walk(condition, (c) => {
        if (mentionsKey) return false;
        if (c.type === 'identifier' && (scope.fieldAliases.get(this.src(c)) === key || scope.snapshots.get(this.src(c))?.keys.has(key))) mentionsKey = true;
        else if ((c.type === 'attribute' || c.type === 'identifier') && this.resolve(c, scope)?.key === key) mentionsKey = true;
        return !mentionsKey;
      });
      const enclosing = { span: this.span(condition), mentionsKey, isLoop: n.parent.type === 'while_statement' };
      // `if not self._queue: if self._waiter is not None: raise …` — the refusal sits inside the check.
      return mentionsKey ? enclosing : this.refusingCheck(statement, key, scope) ?? enclosing;
    }
    return this.refusingCheck(statement, key, scope);
  }

  /**
   * `if self._waiter is not None: raise …` (or `return`) earlier in an enclosing block: a caller
   * that finds the slot taken leaves, so the store below it never replaces a pending waiter.
   */
  private refusingCheck(statement: PyNode, key: string, scope: Scope): { span: Span; mentionsKey: boolean; isLoop: boolean } | undefined {
    for (let n: PyNode | null = statement; n?.parent && n.type !== 'function_definition'; n = n.parent) {
      if (n.parent.type !== 'block') continue;
      for (const earlier of n.parent.children.slice(0, n.parent.children.indexOf(n))) {
        if (earlier.type !== 'if_statement' || earlier.children.some((c) => c.type === 'else_clause' || c.type === 'elif_clause')) continue;
        const condition = field(earlier, 'condition');
        if (condition && this.exitsEarly(earlier) && this.refusesWhenTaken(condition, key, scope)) {
          return { span: this.span(condition), mentionsKey: true, isLoop: false };
        }
      }
    }
    return undefined;
  }

  /** The condition tests that `key` holds something (`self._w`, `self._w is not None`), not that it is empty. */
  private refusesWhenTaken(condition: PyNode, key: string, scope: Scope): boolean {
    let taken = false;
    walk(condition, (c) => {
      if (taken) return false;
      if ((c.type === 'attribute' || c.type === 'identifier') && this.resolve(c, scope)?.key === key) {
        taken = !this.testsEmpty(c);
        return false;
      }
      return true;
    });
    return taken;
  }

  /** The `if` body always leaves the block (`raise`, `return`, `continue`, `break`). */
  protected exitsEarly(ifNode: PyNode): boolean {
    const body = field(ifNode, 'consequence');
    const last = body?.children[body.children.length - 1];
    return last !== undefined && /^(raise|return|continue|break)_statement$/.test(last.type);
  }

  /** `not self._w`, `self._w is None`, `self._w == None`: the test is true when the slot is empty. */
  private testsEmpty(ref: PyNode): boolean {
    const parent = ref.parent;
    if (parent?.type === 'not_operator') return true;
    return parent?.type === 'comparison_operator' && parent.children.some((c) => c.type === 'none') &&
      parent.children.some((c) => c.type === 'is' || c.type === '==');
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

  /**
   * The local names a container the function changes in place or stores into shared state
   * (`self._waiters[key] = waiters = deque()`, `waiters.append(w)`): testing it later reads the
   * container as it is then, not a value decided earlier.
   */
  protected isLiveContainer(name: string, within: PyNode): boolean {
    const named = (n: PyNode | undefined) => n !== undefined && n.type === 'identifier' && this.src(n) === name;
    return some(within, (n) => {
      if (n.type === 'call') {
        const callee = field(n, 'function');
        return callee?.type === 'attribute' && named(field(callee, 'object')) && MUTATORS.has(this.src(field(callee, 'attribute') ?? callee));
      }
      if (n.type !== 'assignment') return false;
      const target = field(n, 'left');
      const value = field(n, 'right');
      const stored = value?.type === 'assignment' ? field(value, 'left') : value;
      return (target?.type === 'subscript' || target?.type === 'attribute') && named(stored);
    }) !== undefined;
  }

  /** Snapshots (asyncio), critical-section results (split decisions) and futures. */
  private noteLocalValue(name: string, right: PyNode, rhsKeys: Set<string>, rhsAwait: PyNode | undefined, scope: Scope): void {
    if (scope.isModule) return;
    if (rhsKeys.size > 0 && !rhsAwait) {
      scope.snapshots.set(name, { keys: rhsKeys, epoch: scope.epoch, span: this.span(right), locks: heldKeys(scope), lookup: this.isLookup(right) });
    } else {
      scope.snapshots.delete(name);
    }
    const innermost = scope.held[scope.held.length - 1];
    if (innermost && rhsKeys.size > 0) scope.critical.set(name, { lock: innermost.key, block: innermost.block, span: this.span(right.parent ?? right) });
    else scope.critical.delete(name);
    let element = unparen(right);
    while (element.type === 'subscript') element = unparen(field(element, 'value') ?? element);
    const fieldRef = element.type === 'attribute' ? this.resolve(element, scope) : undefined;
    if (fieldRef?.viaSelf) scope.fieldAliases.set(name, fieldRef.key);
    else scope.fieldAliases.delete(name);
    const call = unparen(right);
    const fn = call.type === 'call' ? field(call, 'function') : undefined;
    if (fn && THREAD_IDENTITY.test(this.src(fn))) scope.threadIdentities.add(name);
    else scope.threadIdentities.delete(name);
    if (fn && SERVER_START.test(this.src(fn))) scope.serverLocals.add(name);
    else scope.serverLocals.delete(name);
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
}

/** The value an assignment statement stores (`x = value`), without its parentheses. */
function assignedValue(statement: PyNode): PyNode | undefined {
  const assignment = statement.children[0];
  const right = assignment?.type === 'assignment' ? field(assignment, 'right') : undefined;
  return right && unparen(right);
}
