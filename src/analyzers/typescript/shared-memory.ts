import ts from 'typescript';
import type { FindingSink } from './findings';
import { isTypedArrayName, type TypeOracle } from './oracle';
import { calleeName, lineOf, nearestFunction, quote, rangeOf, stripParens } from './syntax';

/**
 * JS-SAB-001..003 and JS-WRK-001: memory shared between threads. Worker threads really run in
 * parallel, so here — unlike between awaits — any plain read-modify-write on shared memory races,
 * and everything that is not a SharedArrayBuffer is copied, never shared.
 */

export interface SharedMemoryFacts {
  /** `new Worker(...)` calls: this file is (also) the parent side. */
  workerConstructions: ts.NewExpression[];
  /** Identifiers `workerData` / `parentPort` appear: this file runs (also) inside a worker. */
  isWorkerFile: boolean;
  newExpressions: ts.NewExpression[];
  elementAccesses: ts.ElementAccessExpression[];
  calls: ts.CallExpression[];
  assignments: ts.BinaryExpression[];
}

const RMW_ATOMICS: Partial<Record<ts.SyntaxKind, string>> = {
  [ts.SyntaxKind.PlusEqualsToken]: 'add',
  [ts.SyntaxKind.MinusEqualsToken]: 'sub',
  [ts.SyntaxKind.BarEqualsToken]: 'or',
  [ts.SyntaxKind.AmpersandEqualsToken]: 'and',
  [ts.SyntaxKind.CaretEqualsToken]: 'xor',
};

const MUTATORS = new Set(['set', 'push', 'add', 'delete', 'splice', 'pop', 'shift', 'unshift', 'clear', 'sort', 'reverse', 'fill']);

function isAtomicsCall(node: ts.Node): node is ts.CallExpression {
  if (!ts.isCallExpression(node)) return false;
  const callee = stripParens(node.expression);
  return ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === 'Atomics';
}

function mentions(node: ts.Node, name: string, sourceFile: ts.SourceFile): boolean {
  return new RegExp(`(^|[^\\w$])${name.replace(/\$/g, '\\$')}([^\\w$]|$)`).test(node.getText(sourceFile));
}

export function checkSharedMemory(facts: SharedMemoryFacts, sink: FindingSink, oracle: TypeOracle): void {
  const sourceFile = sink.sourceFile;
  const buffers = new Set<string>();
  const views = new Map<string, ts.Node>();
  const viewInitializers: { name: string; source: ts.Expression; node: ts.Node }[] = [];

  for (const created of facts.newExpressions) {
    const name = ts.isIdentifier(created.expression) ? created.expression.text : undefined;
    const holder = created.parent;
    const holderName = ts.isVariableDeclaration(holder) && ts.isIdentifier(holder.name) ? holder.name.text : undefined;
    if (name === 'SharedArrayBuffer' && holderName) buffers.add(holderName);
    if (name && isTypedArrayName(name) && holderName && created.arguments?.[0]) {
      viewInitializers.push({ name: holderName, source: created.arguments[0], node: holder });
    }
  }
  const sharedWithWorker = (name: string): boolean =>
    facts.workerConstructions.some((w) => mentions(w, name, sourceFile)) ||
    facts.calls.some((c) => calleeName(c) === 'postMessage' && c.arguments.some((a) => mentions(a, name, sourceFile)));
  for (const view of viewInitializers) {
    const source = stripParens(view.source);
    const typed = oracle.isSharedMemoryView(ts.isVariableDeclaration(view.node) && ts.isIdentifier(view.node.name) ? view.node.name : source);
    if (typed === false) continue;
    const text = source.getText(sourceFile);
    const fromBuffer =
      typed === true ||
      oracle.isSharedArrayBuffer(source) === true ||
      (ts.isNewExpression(source) && ts.isIdentifier(source.expression) && source.expression.text === 'SharedArrayBuffer') ||
      (ts.isIdentifier(source) && buffers.has(source.text));
    const fromWorkerData = facts.isWorkerFile && /(^|[^\w$])(workerData|data)([^\w$]|$)/.test(text);
    const shared =
      fromWorkerData ||
      (fromBuffer && (facts.isWorkerFile || sharedWithWorker(view.name) || (ts.isIdentifier(source) && sharedWithWorker(source.text))));
    if (shared) views.set(view.name, view.node);
  }
  const viewOf = (access: ts.ElementAccessExpression): string | undefined => {
    const base = stripParens(access.expression);
    if (ts.isIdentifier(base) && views.has(base.text)) return base.text;
    if (oracle.isSharedMemoryView(base) === true) return base.getText(sourceFile);
    return undefined;
  };

  const atomicSlots = new Map<string, ts.CallExpression>();
  for (const call of facts.calls) {
    if (!isAtomicsCall(call)) continue;
    const [view, index] = call.arguments;
    if (view && index) atomicSlots.set(`${stripParens(view).getText(sourceFile)}|${index.getText(sourceFile)}`, call);
    if (calleeName(call) === 'wait') checkBlockingWait(call, facts, sink);
  }

  for (const access of facts.elementAccesses) {
    const view = viewOf(access);
    if (!view || insideAtomicsCall(access)) continue;
    const index = access.argumentExpression.getText(sourceFile);
    const rmw = readModifyWrite(access, sourceFile);
    if (rmw) {
      sink.report({
        ruleId: 'JS-SAB-001',
        node: rmw.node,
        message:
          `\`${view}[${quote(index, 30)}]\` is updated with the plain \`${quote(rmw.node.getText(sourceFile), 40)}\` at line ${lineOf(rmw.node, sourceFile)} while a worker shares the buffer, ` +
          'so one of two concurrent updates can be lost; use Atomics (for example `Atomics.add`).',
        related: views.has(view) ? [{ node: views.get(view)!, message: `\`${view}\` is a view of shared memory` }] : [],
        fixes: rmw.replacement
          ? [{ title: 'Use Atomics', edits: [{ file: sink.file, range: rangeOf(rmw.node, sourceFile), newText: rmw.replacement }] }]
          : [],
      });
      continue;
    }
    const atomic = atomicSlots.get(`${view}|${index}`);
    if (atomic) {
      const isWrite = ts.isBinaryExpression(access.parent) && access.parent.left === access && access.parent.operatorToken.kind === ts.SyntaxKind.EqualsToken;
      sink.report({
        ruleId: 'JS-SAB-002',
        node: access,
        message:
          `\`${view}[${quote(index, 30)}]\` is ${isWrite ? 'written' : 'read'} without Atomics at line ${lineOf(access, sourceFile)} but accessed with \`${quote(atomic.expression.getText(sourceFile), 30)}\` at line ${lineOf(atomic, sourceFile)}, ` +
          `so the plain ${isWrite ? 'write can be torn or reordered' : 'read can see a stale value'}; use \`Atomics.${isWrite ? 'store' : 'load'}\`.`,
        related: [{ node: atomic, message: 'atomic access of the same slot' }],
      });
    }
  }
  checkWorkerIsolation(facts, sink, buffers, views);
}

function insideAtomicsCall(node: ts.Node): boolean {
  let current: ts.Node | undefined = node.parent;
  for (let hops = 0; current && hops < 4; hops++, current = current.parent) {
    if (isAtomicsCall(current)) return true;
  }
  return false;
}

function readModifyWrite(access: ts.ElementAccessExpression, sourceFile: ts.SourceFile): { node: ts.Expression; replacement?: string } | undefined {
  const parent = access.parent;
  const view = access.expression.getText(sourceFile);
  const index = access.argumentExpression.getText(sourceFile);
  const standalone = (node: ts.Node): boolean => ts.isExpressionStatement(node.parent);
  if ((ts.isPrefixUnaryExpression(parent) || ts.isPostfixUnaryExpression(parent)) && (parent.operator === ts.SyntaxKind.PlusPlusToken || parent.operator === ts.SyntaxKind.MinusMinusToken)) {
    const op = parent.operator === ts.SyntaxKind.PlusPlusToken ? 'add' : 'sub';
    return { node: parent, replacement: standalone(parent) ? `Atomics.${op}(${view}, ${index}, 1)` : undefined };
  }
  if (ts.isBinaryExpression(parent) && parent.left === access) {
    const op = RMW_ATOMICS[parent.operatorToken.kind];
    if (op) return { node: parent, replacement: standalone(parent) ? `Atomics.${op}(${view}, ${index}, ${parent.right.getText(sourceFile)})` : undefined };
    if (parent.operatorToken.kind === ts.SyntaxKind.EqualsToken && parent.right.getText(sourceFile).includes(access.getText(sourceFile))) return { node: parent };
  }
  return undefined;
}

/** `isMainThread` or `x.isMainThread`, optionally negated: which value the test checks for. */
function mainThreadTest(test: ts.Expression): boolean | undefined {
  const expr = stripParens(test);
  if (ts.isPrefixUnaryExpression(expr) && expr.operator === ts.SyntaxKind.ExclamationToken) {
    const inner = mainThreadTest(expr.operand);
    return inner === undefined ? undefined : !inner;
  }
  if (ts.isIdentifier(expr)) return expr.text === 'isMainThread' ? true : undefined;
  if (ts.isPropertyAccessExpression(expr)) return expr.name.text === 'isMainThread' ? true : undefined;
  return undefined;
}

/**
 * Which thread runs `node` in a file that is both the main module and the worker script:
 * true inside `if (isMainThread) {…}`, false in its `else` (or under `if (!isMainThread)`),
 * undefined outside such a branch.
 */
function mainThreadBranch(node: ts.Node): boolean | undefined {
  for (let child: ts.Node = node, current = node.parent; current; child = current, current = current.parent) {
    if (!ts.isIfStatement(current) || child === current.expression) continue;
    const wanted = mainThreadTest(current.expression);
    if (wanted !== undefined) return child === current.thenStatement ? wanted : !wanted;
  }
  return undefined;
}

function checkBlockingWait(call: ts.CallExpression, facts: SharedMemoryFacts, sink: FindingSink): void {
  const branch = mainThreadBranch(call);
  if (branch === false || facts.workerConstructions.length === 0) return;
  // A file that reads workerData or parentPort is (also) a worker script: only the
  // isMainThread branch is known to run on the main thread there.
  if (branch === undefined && facts.isWorkerFile) return;
  const worker = facts.workerConstructions[0];
  sink.report({
    ruleId: 'JS-SAB-003',
    node: call,
    message:
      `\`${quote(call.arguments[0]?.getText(sink.sourceFile) ?? 'the view', 30)}\` is waited on with \`Atomics.wait\` at line ${lineOf(call, sink.sourceFile)} on the main thread of a module that starts a worker at line ${lineOf(worker, sink.sourceFile)}, ` +
      'so no I/O or worker reply is processed meanwhile; use `Atomics.waitAsync` or wait for a message.',
    related: [{ node: worker, message: 'this module creates a worker here, so it is the main thread' }],
  });
}

/** JS-WRK-001: `workerData` and posted objects are structured clones; mutating them is never seen by the other side. */
function checkWorkerIsolation(facts: SharedMemoryFacts, sink: FindingSink, buffers: Set<string>, views: Map<string, ts.Node>): void {
  const sourceFile = sink.sourceFile;
  const isSharedName = (name: string): boolean => buffers.has(name) || views.has(name);
  if (facts.isWorkerFile) {
    for (const call of facts.calls) {
      const callee = stripParens(call.expression);
      if (!ts.isPropertyAccessExpression(callee) || !MUTATORS.has(callee.name.text)) continue;
      if (/^workerData(\.|\[|$)/.test(callee.expression.getText(sourceFile))) reportWorkerDataMutation(call, sink);
    }
    for (const assignment of facts.assignments) {
      const target = stripParens(assignment.left);
      if ((ts.isPropertyAccessExpression(target) || ts.isElementAccessExpression(target)) && /^workerData(\.|\[)/.test(target.getText(sourceFile))) {
        if (ts.isElementAccessExpression(target) && views.has(target.expression.getText(sourceFile))) continue;
        reportWorkerDataMutation(assignment, sink);
      }
    }
  }
  for (const worker of facts.workerConstructions) {
    const options = worker.arguments?.[1];
    if (!options || !ts.isObjectLiteralExpression(options)) continue;
    for (const property of options.properties) {
      const name = property.name && ts.isIdentifier(property.name) ? property.name.text : undefined;
      if (name !== 'workerData') continue;
      const value = ts.isPropertyAssignment(property) ? stripParens(property.initializer) : ts.isShorthandPropertyAssignment(property) ? property.name : undefined;
      if (!value || !ts.isIdentifier(value) || isSharedName(value.text)) continue;
      // The same variable: changed later in the function that handed it over (another function's `x` is another variable).
      const later = facts.assignments.find(
        (a) => a.pos > worker.end && nearestFunction(a) === nearestFunction(worker) && /^[\w$]+/.exec(stripParens(a.left).getText(sourceFile))?.[0] === value.text && !ts.isIdentifier(stripParens(a.left)),
      );
      if (later) {
        sink.report({
          ruleId: 'JS-WRK-001',
          node: later,
          message:
            `\`${value.text}\` changes at line ${lineOf(later, sourceFile)} after the worker got a copy of it as \`workerData\` at line ${lineOf(worker, sourceFile)}, ` +
            'so the worker never sees the change; send it with `worker.postMessage` or keep it in a SharedArrayBuffer.',
          related: [{ node: worker, message: 'the worker receives a structured clone here' }],
        });
      }
    }
  }
}

function reportWorkerDataMutation(node: ts.Node, sink: FindingSink): void {
  sink.report({
    ruleId: 'JS-WRK-001',
    node,
    message:
      `\`workerData\` is changed by \`${quote(node.getText(sink.sourceFile), 40)}\` at line ${lineOf(node, sink.sourceFile)}, but it is this worker's private copy, ` +
      'so the parent never sees the change; send it with `parentPort.postMessage` or share it through a SharedArrayBuffer.',
  });
}
