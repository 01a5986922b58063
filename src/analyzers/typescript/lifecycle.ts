import ts from 'typescript';
import { enclosingOwner } from './call-targets';
import { calleeName, calleeReceiver, isFunctionNode, memberName, nearestFunction, stripParens, walkSubtree, type FunctionNode } from './syntax';

/**
 * What the file says about the lifecycle of its objects, by property name (the class of the
 * state, as lockdep names locks by class): which flags a closing method raises, which
 * collections or counters track work in flight and are tested for "nothing left", and which
 * properties the handlers of an event set. The flow rules use these to tell a stale check of
 * "closed?" or "still busy?" from an ordinary one.
 */

/** Method names that end an object's life: a flag they raise means "closed" to every other method. */
export const CLOSERS = /^_?(close|end|destroy|stop|shutdown|terminate|dispose|abort|quit|disconnect|detach|kill|cancel|teardown)/i;

/** Events an emitter fires once in its life: a waiter registered after it fired waits forever. */
export const ONE_SHOT_EVENTS = new Set(['end', 'close', 'finish', 'exit', 'ready', 'open', 'connect', 'listening']);

const TRACKER_ADDS = new Set(['push', 'add', 'set', 'unshift']);
export const TRACKER_REMOVALS = new Set(['splice', 'delete', 'pop', 'shift', 'remove']);

export interface ClosingFlag {
  property: string;
  /** `this.closed = true` in the closing method. */
  write: ts.Node;
  closer: FunctionNode;
  closerName: string;
  /** The class (or constructor name) whose instances the flag belongs to. */
  owner: ts.ClassLikeDeclaration | string | undefined;
}

export interface LifecycleInput {
  calls: ts.CallExpression[];
  assignments: ts.BinaryExpression[];
  updates: (ts.PrefixUnaryExpression | ts.PostfixUnaryExpression)[];
  /** `!x.p.length`, `x.p.size === 0`, `x.p <= 0`: something asks whether `p` is empty. */
  emptinessTests: { property: string; node: ts.Node }[];
}

function isRaisedValue(value: ts.Expression): boolean {
  const expr = stripParens(value);
  return expr.kind === ts.SyntaxKind.TrueKeyword || ts.isStringLiteralLike(expr) || (ts.isNumericLiteral(expr) && expr.text !== '0');
}

function propertyOf(expr: ts.Expression): string | undefined {
  const node = stripParens(expr);
  return ts.isPropertyAccessExpression(node) ? node.name.text : undefined;
}

/** `x.p` in `x.p.length`, `x.p.size`, or `x.p` itself when counted: the tracked property. */
export function trackedProperty(expr: ts.Expression): string | undefined {
  const node = stripParens(expr);
  if (ts.isPropertyAccessExpression(node) && (node.name.text === 'length' || node.name.text === 'size')) return propertyOf(node.expression);
  return propertyOf(node);
}

/** `!a`, `a === 0`, `a == 0`, `a <= 0`, `a < 1` (either side): the operand tested for "nothing left". */
/** The digits of a numeric literal (`0`, `(1)`), or undefined for anything else. */
function numeral(expression: ts.Expression): string | undefined {
  const bare = stripParens(expression);
  return ts.isNumericLiteral(bare) ? bare.text : undefined;
}

export function emptinessOperand(node: ts.Node): ts.Expression | undefined {
  if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.ExclamationToken) return node.operand;
  if (!ts.isBinaryExpression(node)) return undefined;
  const op = node.operatorToken.kind;
  const isZero = (e: ts.Expression) => numeral(e) === '0';
  const isOne = (e: ts.Expression) => numeral(e) === '1';
  if ((op === ts.SyntaxKind.EqualsEqualsEqualsToken || op === ts.SyntaxKind.EqualsEqualsToken) && isZero(node.right)) return node.left;
  if ((op === ts.SyntaxKind.EqualsEqualsEqualsToken || op === ts.SyntaxKind.EqualsEqualsToken) && isZero(node.left)) return node.right;
  if (op === ts.SyntaxKind.LessThanEqualsToken && isZero(node.right)) return node.left;
  if (op === ts.SyntaxKind.LessThanToken && isOne(node.right)) return node.left;
  return undefined;
}

export class LifecycleFacts {
  private readonly closingFlags = new Map<string, ClosingFlag[]>();
  /** Properties that track work in flight: added to, removed from, and tested for "nothing left". */
  readonly trackers = new Map<string, ts.Node>();
  /** Per event name, the properties its handlers set: reading one tells whether the event fired. */
  private readonly setByHandlersOf = new Map<string, Set<string>>();

  constructor(input: LifecycleInput) {
    for (const assignment of input.assignments) this.noteClosingFlag(assignment);
    const added = new Set<string>();
    for (const call of input.calls) {
      const name = calleeName(call);
      const receiver = calleeReceiver(call);
      if (name && receiver && TRACKER_ADDS.has(name)) {
        const property = propertyOf(receiver);
        if (property) added.add(property);
      }
      this.noteHandler(call);
    }
    for (const update of input.updates) {
      const property = propertyOf(update.operand);
      if (property && update.operator === ts.SyntaxKind.PlusPlusToken) added.add(property);
    }
    for (const assignment of input.assignments) {
      const property = propertyOf(assignment.left);
      if (property && assignment.operatorToken.kind === ts.SyntaxKind.PlusEqualsToken) added.add(property);
    }
    for (const test of input.emptinessTests) {
      if (added.has(test.property) && !this.trackers.has(test.property)) this.trackers.set(test.property, test.node);
    }
  }

  /** The closing flag `property` of instances of `owner`, if a closing method of that class raises it. */
  closingFlag(property: string, owner: ts.ClassLikeDeclaration | string | undefined): ClosingFlag | undefined {
    return this.closingFlags.get(property)?.find((flag) => flag.owner === owner);
  }

  /** The properties set by handlers of `event` in this file. */
  firedMarkers(event: string): ReadonlySet<string> {
    return this.setByHandlersOf.get(event) ?? new Set();
  }

  private noteClosingFlag(assignment: ts.BinaryExpression): void {
    if (assignment.operatorToken.kind !== ts.SyntaxKind.EqualsToken || !isRaisedValue(assignment.right)) return;
    const property = propertyOf(assignment.left);
    const closer = nearestFunction(assignment);
    const closerName = closer ? memberName(closer) : undefined;
    if (!property || !closer || !closerName || !CLOSERS.test(closerName)) return;
    const owner = enclosingOwner(assignment);
    const flags = this.closingFlags.get(property) ?? [];
    if (!flags.some((flag) => flag.owner === owner)) flags.push({ property, write: assignment, closer, closerName, owner });
    this.closingFlags.set(property, flags);
  }

  private noteHandler(call: ts.CallExpression): void {
    const name = calleeName(call);
    const [event, handler] = call.arguments;
    if (!name || !['on', 'once', 'addListener', 'prependListener', 'prependOnceListener'].includes(name)) return;
    if (!event || !ts.isStringLiteralLike(event) || !handler || !isFunctionNode(handler) || !handler.body) return;
    const markers = this.setByHandlersOf.get(event.text) ?? new Set<string>();
    walkSubtree(handler.body, (node) => {
      if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
        const property = propertyOf(node.left);
        if (property) markers.add(property);
      }
      return true;
    });
    this.setByHandlersOf.set(event.text, markers);
  }
}
