import ts from 'typescript';
import type { FindingSink } from './findings';
import { ONE_SHOT_EVENTS, type LifecycleFacts } from './lifecycle';
import { calleeName, calleeReceiver, functionLabel, isFunctionNode, lineOf, memberName, nearestFunction, ownerOf, quote, stripParens, thisAliases, walkIteratively, walkSubtree, type FunctionNode } from './syntax';

/**
 * JS-ASYNC-008, lost wake-up: a method waits for an event its object's emitter fires once in
 * its life ('end', 'close', 'ready'), without first checking whether it already fired. Called
 * after the event (a second `end()`, a socket that already dropped), the wait never ends. The
 * concrete pair: a handler elsewhere in the file observes the same event, so the object could
 * record it, and the late waiter does not look.
 */

/** Properties by which code commonly asks an emitter or stream whether its end already came. */
const ENDED_STATE = /^_?(destroyed|closed|ended|finished|readableEnded|writableEnded|writableFinished|readyState|state|status|connected|isOpen|isReady|ready)$/i;
const WAITER_REGISTRATIONS = new Set(['once', 'on', 'addListener', 'prependOnceListener']);

/** The object's own emitter: `this.connection`, `self.socket`. */
function isOwnEmitter(receiver: ts.Expression, aliases: ReadonlySet<string>): boolean {
  const expr = stripParens(receiver);
  if (!ts.isPropertyAccessExpression(expr)) return false;
  const base = stripParens(expr.expression);
  return base.kind === ts.SyntaxKind.ThisKeyword || (ts.isIdentifier(base) && aliases.has(base.text));
}

/** The method whose `this` the registration sees, through arrow functions and a `new Promise` executor. */
function methodAround(call: ts.CallExpression): FunctionNode | undefined {
  for (let fn = nearestFunction(call); fn; fn = nearestFunction(fn)) {
    if (ts.isArrowFunction(fn)) continue;
    // Callers call public methods at any time; a `_hook` runs when its framework calls it.
    const name = memberName(fn);
    return ownerOf(fn) !== undefined && !ts.isConstructorDeclaration(fn) && name !== undefined && !name.startsWith('_') && !name.startsWith('#') ? fn : undefined;
  }
  return undefined;
}

/** The handler settles someone's wait: the method's callback parameter, or a promise's `resolve`/`reject`. */
function isWaiter(handler: ts.Expression, method: FunctionNode): boolean {
  const settles = (name: string): boolean => {
    for (let fn: ts.Node | undefined = handler; fn && fn !== method.parent; fn = fn.parent) {
      if (!isFunctionNode(fn)) continue;
      if (fn.parameters.some((p) => ts.isIdentifier(p.name) && p.name.text === name)) return true;
    }
    return false;
  };
  const expr = stripParens(handler);
  if (ts.isIdentifier(expr)) return settles(expr.text);
  if (!isFunctionNode(expr) || !expr.body) return false;
  let found = false;
  walkSubtree(expr.body, (node) => {
    if (found) return false;
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && settles(node.expression.text)) found = true;
    return !found;
  });
  return found;
}

/** A test before `site` in `method` that reads whether the event already happened. */
function checksWhetherFired(method: FunctionNode, site: ts.Node, markers: ReadonlySet<string>): boolean {
  let found = false;
  if (!method.body) return false;
  walkIteratively(method.body, (node) => {
    if (found || node.pos >= site.pos) return false;
    const test = ts.isIfStatement(node) ? node.expression : ts.isConditionalExpression(node) ? node.condition : undefined;
    if (!test) return true;
    walkSubtree(test, (inner) => {
      if (ts.isPropertyAccessExpression(inner) && (markers.has(inner.name.text) || ENDED_STATE.test(inner.name.text))) found = true;
      return !found;
    });
    return !found;
  });
  return found;
}

function assigns(method: FunctionNode, emitterText: string, sourceFile: ts.SourceFile): boolean {
  let found = false;
  if (!method.body) return false;
  walkIteratively(method.body, (node) => {
    if (found) return false;
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken && node.left.getText(sourceFile) === emitterText) found = true;
    return !found;
  });
  return found;
}

export function checkLostWakeups(calls: ts.CallExpression[], lifecycle: LifecycleFacts, sink: FindingSink): void {
  const sourceFile = sink.sourceFile;
  for (const call of calls) {
    const name = calleeName(call);
    const receiver = calleeReceiver(call);
    const [event, handler] = call.arguments;
    if (!name || !WAITER_REGISTRATIONS.has(name) || !receiver || !event || !ts.isStringLiteralLike(event) || !ONE_SHOT_EVENTS.has(event.text) || !handler) continue;
    const method = methodAround(call);
    if (!method || !isOwnEmitter(receiver, new Set(thisAliases(call).keys())) || !isWaiter(handler, method)) continue;
    // The method that creates the emitter registers before the emitter can fire.
    if (assigns(method, receiver.getText(sourceFile), sourceFile)) continue;
    const observer = lifecycleObserver(calls, event.text, method, call);
    if (!observer || checksWhetherFired(method, call, lifecycle.firedMarkers(event.text))) continue;
    const label = functionLabel(method);
    sink.report({
      ruleId: 'JS-ASYNC-008',
      node: call,
      message:
        `\`${quote(receiver.getText(sourceFile), 40)}\` '${event.text}' is waited for at line ${lineOf(call, sourceFile)} in ${label ? `\`${label}\`` : 'this method'}, but it fires once and nothing here checks whether it already fired, ` +
        'so the wait can hang; record the event in a flag and test it first.',
      related: [{ node: observer, message: `the '${event.text}' handler that could record it` }],
    });
  }
}

/** A handler of `event` registered outside `method` (in a constructor or a connect method, say). */
function lifecycleObserver(calls: ts.CallExpression[], event: string, method: FunctionNode, waiter: ts.CallExpression): ts.CallExpression | undefined {
  return calls.find((c) => {
    if (c === waiter) return false;
    const name = calleeName(c);
    const first = c.arguments[0];
    if (!name || !WAITER_REGISTRATIONS.has(name) || !first || !ts.isStringLiteralLike(first) || first.text !== event) return false;
    return !(c.pos >= method.pos && c.end <= method.end);
  });
}
