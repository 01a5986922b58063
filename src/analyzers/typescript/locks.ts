import path from 'node:path';
import ts from 'typescript';
import type { FixSuggestion, Range } from '../../shared/findings';
import type { FindingSink } from './findings';
import type { TypeOracle } from './oracle';
import { bindingName, calleeName, calleeReceiver, isAsyncFunction, isFunctionNode, lineOf, quote, rangeOf, stripParens, walkIteratively, type FunctionNode } from './syntax';

/**
 * JS-LOCK-001..005: async mutexes (`async-mutex`) and Web Locks (`navigator.locks.request`).
 * A lock is identified by its class, not its instance (`Store.lock`, `module.name`, a Web Lock
 * name), as lockdep does; every nesting seen anywhere adds an edge to one order graph that
 * `check` closes over all files of the run.
 */

export interface LockOrderEdge {
  kind: 'mutex' | 'web-lock';
  outer: string;
  inner: string;
  file: string;
  /** Where the inner lock is taken while the outer one is held. */
  range: Range;
  outerRange: Range;
  functionName: string;
}

type LockKind = 'mutex' | 'semaphore' | 'web-lock';

interface Acquisition {
  identity: string;
  kind: LockKind;
  /** The call that takes the lock. */
  call: ts.CallExpression;
  /** Statements or callback body executed while the lock is held. */
  region: ts.Node[];
  /** `const release = await m.acquire()` form: the release binding. */
  releaseName?: string;
}

export interface LockFacts {
  calls: ts.CallExpression[];
  newExpressions: ts.NewExpression[];
  functions: FunctionNode[];
}

const MAX_CALL_DEPTH = 3;

function moduleName(file: string): string {
  return path.basename(file).replace(/\.[^.]+$/, '');
}

function enclosingClass(node: ts.Node): ts.ClassLikeDeclaration | undefined {
  for (let current: ts.Node | undefined = node.parent; current; current = current.parent) if (ts.isClassLike(current)) return current;
  return undefined;
}

export class LockAnalysis {
  private readonly declaredKinds = new Map<string, LockKind>();
  private readonly functionsByName = new Map<string, FunctionNode[]>();
  readonly edges: LockOrderEdge[] = [];

  constructor(
    private readonly facts: LockFacts,
    private readonly sink: FindingSink,
    private readonly oracle: TypeOracle,
  ) {
    for (const created of facts.newExpressions) this.declare(created);
    for (const fn of facts.functions) {
      const name = bindingName(fn);
      if (name) this.functionsByName.set(name, [...(this.functionsByName.get(name) ?? []), fn]);
    }
  }

  run(): void {
    for (const call of this.facts.calls) {
      this.checkWaitCombinations(call);
      const acquisition = this.acquisition(call);
      if (!acquisition) continue;
      this.checkRegion(acquisition);
      if (acquisition.releaseName !== undefined) this.checkRelease(acquisition);
    }
  }

  /** `const m = new Mutex()`, `lock = new Semaphore(1)` as a class field or `this.lock = new Mutex()`. */
  private declare(created: ts.NewExpression): void {
    const ctor = stripParens(created.expression);
    const ctorName = ts.isIdentifier(ctor) ? ctor.text : ts.isPropertyAccessExpression(ctor) ? ctor.name.text : undefined;
    let kind: LockKind | undefined;
    if (ctorName === 'Mutex') kind = 'mutex';
    else if (ctorName === 'Semaphore') {
      const permits = created.arguments?.[0];
      kind = permits && ts.isNumericLiteral(permits) && permits.text === '1' ? 'mutex' : 'semaphore';
    }
    if (!kind) return;
    let holder: ts.Node = created.parent;
    if (ts.isCallExpression(holder) && calleeName(holder) === 'withTimeout') holder = holder.parent;
    let identity: string | undefined;
    if (ts.isVariableDeclaration(holder) && ts.isIdentifier(holder.name)) identity = this.identityOfName(holder.name.text);
    else if (ts.isPropertyDeclaration(holder) && ts.isIdentifier(holder.name)) identity = `${enclosingClass(holder)?.name?.text ?? 'class'}.${holder.name.text}`;
    else if (ts.isBinaryExpression(holder) && ts.isPropertyAccessExpression(holder.left) && holder.left.expression.kind === ts.SyntaxKind.ThisKeyword) {
      identity = `${enclosingClass(holder)?.name?.text ?? 'class'}.${holder.left.name.text}`;
    }
    if (identity) this.declaredKinds.set(identity, kind);
  }

  private identityOfName(name: string): string {
    return `${moduleName(this.sink.file)}.${name}`;
  }

  /** The lock class of a receiver such as `this.lock`, `dbLock`, `this.locks.a`. */
  private lockOf(receiver: ts.Expression, method: string): { identity: string; kind: LockKind } | undefined {
    const expr = stripParens(receiver);
    let identity: string | undefined;
    if (ts.isPropertyAccessExpression(expr) && expr.expression.kind === ts.SyntaxKind.ThisKeyword) {
      identity = `${enclosingClass(expr)?.name?.text ?? 'class'}.${expr.name.text}`;
    } else if (ts.isIdentifier(expr)) {
      identity = this.identityOfName(expr.text);
      const imported = this.importedFrom(expr.text);
      if (imported) identity = `${imported}.${expr.text}`;
    } else identity = expr.getText(this.sink.sourceFile);
    const typed = this.oracle.asyncMutexKind(expr);
    if (typed === 'mutex' || typed === 'semaphore') return { identity, kind: this.declaredKinds.get(identity) ?? typed };
    if (typed === 'none') return undefined;
    const declared = this.declaredKinds.get(identity);
    if (declared) return { identity, kind: declared };
    // `runExclusive` is specific enough to async-mutex to trust without a declaration in this file.
    return method === 'runExclusive' ? { identity, kind: 'mutex' } : undefined;
  }

  private importedFrom(name: string): string | undefined {
    for (const statement of this.sink.sourceFile.statements) {
      if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
      const bindings = statement.importClause?.namedBindings;
      if (bindings && ts.isNamedImports(bindings) && bindings.elements.some((e) => e.name.text === name)) return moduleName(statement.moduleSpecifier.text);
    }
    return undefined;
  }

  private acquisition(call: ts.CallExpression): Acquisition | undefined {
    const method = calleeName(call);
    const receiver = calleeReceiver(call);
    if (!method || !receiver) return undefined;
    if (method === 'request' && /(^|\.)locks$/.test(receiver.getText(this.sink.sourceFile))) {
      const [name] = call.arguments;
      const callback = call.arguments[call.arguments.length - 1];
      if (!name || !ts.isStringLiteralLike(name) || call.arguments.length < 2) return undefined;
      const region = isFunctionNode(callback) && callback.body ? [callback.body] : [];
      return { identity: `navigator.locks:'${name.text}'`, kind: 'web-lock', call, region };
    }
    if (method === 'runExclusive') {
      const lock = this.lockOf(receiver, method);
      const callback = call.arguments[0];
      if (!lock) return undefined;
      const region = callback && isFunctionNode(callback) && callback.body ? [callback.body] : [];
      return { ...lock, call, region };
    }
    if (method === 'acquire') {
      const lock = this.lockOf(receiver, method);
      if (!lock) return undefined;
      return { ...lock, call, ...this.acquireRegion(call) };
    }
    return undefined;
  }

  /** `const release = await m.acquire(); …` → the statements after it up to `release()`. */
  private acquireRegion(call: ts.CallExpression): { region: ts.Node[]; releaseName?: string } {
    const awaited = call.parent;
    if (!ts.isAwaitExpression(awaited)) return { region: [] };
    const declaration = awaited.parent;
    if (!ts.isVariableDeclaration(declaration)) return { region: [] };
    let releaseName: string | undefined;
    if (ts.isIdentifier(declaration.name)) releaseName = declaration.name.text;
    else if (ts.isArrayBindingPattern(declaration.name)) {
      const second = declaration.name.elements[1];
      if (second && ts.isBindingElement(second) && ts.isIdentifier(second.name)) releaseName = second.name.text;
    }
    const statement = declaration.parent.parent;
    const block = statement.parent;
    if (!releaseName || !ts.isVariableStatement(statement) || !(ts.isBlock(block) || ts.isSourceFile(block))) return { region: [], releaseName };
    const following = block.statements.slice(block.statements.indexOf(statement) + 1);
    const region: ts.Node[] = [];
    for (const next of following) {
      region.push(next);
      if (this.callsRelease(next, releaseName)) break;
    }
    return { region, releaseName };
  }

  private callsRelease(node: ts.Node, releaseName: string): boolean {
    let found = false;
    walkIteratively(node, (n) => {
      if (found) return false;
      if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === releaseName) found = true;
      return !found;
    });
    return found || (ts.isExpressionStatement(node) && ts.isCallExpression(node.expression) && ts.isIdentifier(node.expression.expression) && node.expression.expression.text === releaseName);
  }

  /** Every lock taken inside the region, directly or through same-file calls (bounded). */
  private checkRegion(outer: Acquisition): void {
    const visited = new Set<FunctionNode>();
    const scan = (nodes: ts.Node[], depth: number, via: ts.CallExpression | undefined): void => {
      for (const root of nodes) {
        const visit = (node: ts.Node): boolean => {
          if (isFunctionNode(node)) return false;
          if (!ts.isCallExpression(node)) return true;
          const inner = this.acquisition(node);
          if (inner) this.nested(outer, inner, via ?? node);
          this.checkWaitWhileHolding(outer, node);
          if (depth < MAX_CALL_DEPTH) {
            for (const callee of this.sameFileCallees(node)) {
              if (visited.has(callee) || !callee.body) continue;
              visited.add(callee);
              scan([callee.body], depth + 1, via ?? node);
            }
          }
          return true;
        };
        if (visit(root)) walkIteratively(root, visit);
      }
    };
    scan(outer.region, 0, undefined);
    if (outer.kind !== 'web-lock') this.checkUnfinishedWork(outer);
  }

  private sameFileCallees(call: ts.CallExpression): FunctionNode[] {
    const callee = stripParens(call.expression);
    if (ts.isIdentifier(callee)) return this.functionsByName.get(callee.text) ?? [];
    if (ts.isPropertyAccessExpression(callee) && callee.expression.kind === ts.SyntaxKind.ThisKeyword) return this.functionsByName.get(callee.name.text) ?? [];
    return [];
  }

  private nested(outer: Acquisition, inner: Acquisition, site: ts.CallExpression): void {
    const sourceFile = this.sink.sourceFile;
    const through = site !== inner.call ? ` (through the call at line ${lineOf(site, sourceFile)})` : '';
    if (inner.identity === outer.identity && inner.kind === 'mutex' && outer.kind === 'mutex') {
      this.sink.report({
        ruleId: 'JS-LOCK-002',
        node: site,
        message:
          `\`${outer.identity}\` is taken again at line ${lineOf(inner.call, sourceFile)}${through} while this flow holds it since line ${lineOf(outer.call, sourceFile)}, ` +
          'and async-mutex is not re-entrant, so it waits forever; call an unlocked helper inside the critical section.',
        related: [
          { node: outer.call, message: `\`${outer.identity}\` acquired here` },
          { node: inner.call, message: 'acquired again here, while still held' },
        ],
      });
      return;
    }
    if (inner.identity === outer.identity) return;
    if ((inner.kind === 'web-lock') !== (outer.kind === 'web-lock')) return;
    this.edges.push({
      kind: inner.kind === 'web-lock' ? 'web-lock' : 'mutex',
      outer: outer.identity,
      inner: inner.identity,
      file: this.sink.file,
      range: rangeOf(site, sourceFile),
      outerRange: rangeOf(outer.call, sourceFile),
      functionName: nearestName(outer.call),
    });
  }

  /** JS-LOCK-005: waiting for the unlock of a mutex this flow holds. */
  private checkWaitWhileHolding(outer: Acquisition, call: ts.CallExpression): void {
    if (calleeName(call) !== 'waitForUnlock' || outer.kind === 'web-lock') return;
    const receiver = calleeReceiver(call);
    const lock = receiver ? this.lockOf(receiver, 'waitForUnlock') ?? this.lockOf(receiver, 'runExclusive') : undefined;
    if (!lock || lock.identity !== outer.identity) return;
    this.sink.report({
      ruleId: 'JS-LOCK-005',
      node: call,
      message:
        `\`${outer.identity}\` is awaited with \`waitForUnlock\` at line ${lineOf(call, this.sink.sourceFile)} inside its own critical section from line ${lineOf(outer.call, this.sink.sourceFile)}, ` +
        'so the unlock it waits for never comes; wait outside the critical section.',
      related: [{ node: outer.call, message: 'the mutex is held from here' }],
    });
  }

  /** JS-LOCK-005: `Promise.all([m.acquire(), m.waitForUnlock()])` — one part blocks the other. */
  private checkWaitCombinations(call: ts.CallExpression): void {
    const callee = stripParens(call.expression);
    if (!ts.isPropertyAccessExpression(callee) || callee.expression.getText(this.sink.sourceFile) !== 'Promise' || !['all', 'allSettled'].includes(callee.name.text)) return;
    const list = call.arguments[0];
    if (!list || !ts.isArrayLiteralExpression(list)) return;
    const seen = new Map<string, ts.CallExpression>();
    for (const element of list.elements) {
      const inner = stripParens(element);
      if (!ts.isCallExpression(inner)) continue;
      const method = calleeName(inner);
      const receiver = calleeReceiver(inner);
      if (!receiver || (method !== 'acquire' && method !== 'waitForUnlock')) continue;
      const lock = this.lockOf(receiver, 'runExclusive');
      if (!lock || lock.kind !== 'mutex') continue;
      const earlier = seen.get(lock.identity);
      if (earlier && (calleeName(earlier) === 'acquire' || method === 'acquire')) {
        this.sink.report({
          ruleId: 'JS-LOCK-005',
          node: call,
          message:
            `\`${lock.identity}\` is both taken with \`${calleeName(earlier) === 'acquire' ? 'acquire' : method}\` and awaited with \`${calleeName(earlier) === 'acquire' ? method : calleeName(earlier)}\` in one wait at line ${lineOf(call, this.sink.sourceFile)}, ` +
            'so the held mutex keeps the other part from resolving; await them one after the other.',
          related: [
            { node: earlier, message: `\`${calleeName(earlier)}\` on the same mutex` },
            { node: inner, message: `\`${method}\` on the same mutex` },
          ],
        });
        return;
      }
      seen.set(lock.identity, inner);
    }
  }

  /** JS-LOCK-004: `release()` must run on every path, so it belongs in `finally`. */
  private checkRelease(acquisition: Acquisition): void {
    const releaseName = acquisition.releaseName!;
    const fn = nearestFunctionOrFile(acquisition.call);
    const releases: ts.CallExpression[] = [];
    walkIteratively(fn, (node) => {
      if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === releaseName) releases.push(node);
      return true;
    });
    if (releases.length === 0 || releases.some(inFinally)) return;
    const sourceFile = this.sink.sourceFile;
    this.sink.report({
      ruleId: 'JS-LOCK-004',
      node: releases[0],
      message:
        `\`${acquisition.identity}\` is released with \`${releaseName}()\` at line ${lineOf(releases[0], sourceFile)} outside \`finally\` after its acquisition at line ${lineOf(acquisition.call, sourceFile)}, ` +
        'so a throw in between leaves it locked forever; move the release into finally.',
      related: [{ node: acquisition.call, message: 'acquired here' }],
      fixes: this.moveReleaseIntoFinally(acquisition, releases),
    });
  }

  private moveReleaseIntoFinally(acquisition: Acquisition, releases: ts.CallExpression[]): FixSuggestion[] {
    const last = acquisition.region[acquisition.region.length - 1];
    if (releases.length !== 1 || !last || !ts.isExpressionStatement(last) || last.expression !== releases[0] || acquisition.region.length < 2) return [];
    const body = acquisition.region.slice(0, -1);
    if (body.some((s) => ts.isVariableStatement(s) && (ts.getCombinedNodeFlags(s.declarationList) & ts.NodeFlags.BlockScoped) !== 0)) return [];
    const sourceFile = this.sink.sourceFile;
    const indent = /^[ \t]*/.exec(sourceFile.text.slice(sourceFile.getLineStarts()[sourceFile.getLineAndCharacterOfPosition(body[0].getStart(sourceFile)).line]))?.[0] ?? '';
    const inner = body.map((s) => s.getText(sourceFile).split('\n').map((line) => `  ${line}`).join('\n')).join(`\n${indent}`);
    const newText = `try {\n${indent}${inner}\n${indent}} finally {\n${indent}  ${last.getText(sourceFile)}\n${indent}}`;
    const range = { start: sourceFile.getLineAndCharacterOfPosition(body[0].getStart(sourceFile)), end: sourceFile.getLineAndCharacterOfPosition(last.getEnd()) };
    return [{ title: 'Move release into finally', edits: [{ file: this.sink.file, range, newText }] }];
  }

  /** JS-LOCK-004, second form: the critical section ends while work it started is still running. */
  private checkUnfinishedWork(acquisition: Acquisition): void {
    const callback = acquisition.call.arguments[0];
    let statements: readonly ts.Node[] = acquisition.region;
    if (acquisition.releaseName === undefined) {
      if (!callback || !isFunctionNode(callback) || !callback.body || !ts.isBlock(callback.body)) return;
      statements = callback.body.statements;
    }
    for (const statement of statements) {
      if (!ts.isExpressionStatement(statement)) continue;
      const call = stripParens(statement.expression);
      if (!ts.isCallExpression(call) || !this.startsAsyncWork(call)) continue;
      this.sink.report({
        ruleId: 'JS-LOCK-004',
        node: call,
        message:
          `\`${acquisition.identity}\` is released before \`${quote(call.getText(this.sink.sourceFile), 40)}\` (line ${lineOf(call, this.sink.sourceFile)}) finishes, because that work is not awaited in the critical section from line ${lineOf(acquisition.call, this.sink.sourceFile)}; await it inside the critical section.`,
        related: [{ node: acquisition.call, message: 'critical section starts here' }],
      });
    }
  }

  private startsAsyncWork(call: ts.CallExpression): boolean {
    const typed = this.oracle.returnsThenable(call);
    if (typed !== undefined) return typed;
    return this.sameFileCallees(call).some((fn) => isAsyncFunction(fn));
  }
}

function inFinally(node: ts.Node): boolean {
  for (let current: ts.Node | undefined = node; current?.parent; current = current.parent) {
    if (ts.isTryStatement(current.parent) && current.parent.finallyBlock === current) return true;
    if (isFunctionNode(current)) return false;
  }
  return false;
}

function nearestFunctionOrFile(node: ts.Node): ts.Node {
  for (let current: ts.Node | undefined = node.parent; current; current = current.parent) if (isFunctionNode(current)) return current;
  return node.getSourceFile();
}

function nearestName(node: ts.Node): string {
  for (let current: ts.Node | undefined = node.parent; current; current = current.parent) {
    if (isFunctionNode(current)) {
      const name = bindingName(current);
      if (name) return name;
    }
  }
  return 'module code';
}
