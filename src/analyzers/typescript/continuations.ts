import ts from 'typescript';
import { RESOURCE_CHECKS } from './resources';
import { calleeName, isFunctionNode, stripParens, type FunctionNode } from './syntax';

/**
 * When a function passed as an argument runs, seen from the call that receives it. A callback
 * boundary is a suspension point like `await`: whatever the caller checked in this turn of the
 * event loop may have changed by the time a callback of a later turn runs.
 * - `later`: once, in a later turn (timers, `.then`, `once`, Node's error-first I/O callbacks).
 * - `every-event`: again on every event (`on`, `setInterval`), each run in its own turn.
 * Anything else (`forEach`, `map`, a `new Promise` executor, unknown APIs) is taken to run now.
 */
export type CallbackTiming = 'later' | 'every-event';

const ONE_SHOT_SCHEDULERS = new Set(['setTimeout', 'setImmediate', 'nextTick', 'queueMicrotask']);
const PROMISE_CONTINUATIONS = new Set(['then', 'catch', 'finally']);
const ONE_SHOT_REGISTRATIONS = new Set(['once', 'prependOnceListener']);
const EVENT_REGISTRATIONS = new Set(['on', 'addListener', 'prependListener', 'addEventListener']);
/** The first parameter of Node's error-first callbacks (`err`, `parseErr`); `e` is as often an element or an event. */
const ERROR_PARAMETER = /^(_?(err|error|er)_?|[a-z]\w*(Err|Error))$/i;
/** Array and string methods call their callback before they return. */
const SYNCHRONOUS_CALLERS = new Set([
  'forEach', 'map', 'filter', 'find', 'findIndex', 'findLast', 'findLastIndex', 'some', 'every', 'reduce', 'reduceRight', 'sort', 'flatMap', 'replace',
  'replaceAll', 'from', 'call', 'apply', 'run', 'runInContext', 'tryCatch',
]);

/** `function () {…}.bind(this)` → the function and whether its `this` is the caller's. */
export function unwrapCallback(argument: ts.Expression): { fn: FunctionNode; bindsThis: boolean } | undefined {
  const expr = stripParens(argument);
  if (isFunctionNode(expr)) return { fn: expr, bindsThis: ts.isArrowFunction(expr) };
  if (ts.isCallExpression(expr) && calleeName(expr) === 'bind') {
    const callee = stripParens(expr.expression);
    const target = ts.isPropertyAccessExpression(callee) ? stripParens(callee.expression) : undefined;
    const bound = expr.arguments[0];
    if (target && isFunctionNode(target)) return { fn: target, bindsThis: ts.isArrowFunction(target) || bound?.kind === ts.SyntaxKind.ThisKeyword };
  }
  return undefined;
}

function takesErrorFirst(fn: FunctionNode): boolean {
  const first = fn.parameters[0];
  return first !== undefined && ts.isIdentifier(first.name) && ERROR_PARAMETER.test(first.name.text);
}

/** How `argument` (an inline function passed to `call`) runs relative to the caller, if later. */
export function callbackTiming(call: ts.CallExpression, argument: ts.Expression): CallbackTiming | undefined {
  const name = calleeName(call);
  const callback = unwrapCallback(argument);
  if (!name || !callback || SYNCHRONOUS_CALLERS.has(name)) return undefined;
  if (name === 'setInterval') return 'every-event';
  if (ONE_SHOT_SCHEDULERS.has(name) || ONE_SHOT_REGISTRATIONS.has(name)) return 'later';
  const isMethod = ts.isPropertyAccessExpression(stripParens(call.expression));
  if (isMethod && PROMISE_CONTINUATIONS.has(name)) return 'later';
  if (isMethod && EVENT_REGISTRATIONS.has(name)) return 'every-event';
  const last = call.arguments[call.arguments.length - 1];
  if (last !== argument) return undefined;
  // Node's callback convention: the last argument, called with an error first, in a later turn.
  if (takesErrorFirst(callback.fn) || RESOURCE_CHECKS.has(name)) return 'later';
  return undefined;
}

/** Every inline callback of `call` that runs in a later turn, with its timing. */
export function deferredCallbacks(call: ts.CallExpression): { argument: ts.Expression; fn: FunctionNode; bindsThis: boolean; timing: CallbackTiming }[] {
  const found: { argument: ts.Expression; fn: FunctionNode; bindsThis: boolean; timing: CallbackTiming }[] = [];
  for (const argument of call.arguments) {
    const timing = callbackTiming(call, argument);
    const callback = timing ? unwrapCallback(argument) : undefined;
    if (timing && callback) found.push({ argument, ...callback, timing });
  }
  return found;
}
