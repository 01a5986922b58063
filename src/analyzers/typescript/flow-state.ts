import ts from 'typescript';
import { calleeName, stripParens } from './syntax';

/**
 * The state the flow walker keeps while it follows one function in evaluation order: which
 * turn of the event loop each access runs in, what locals hold, and which checks are in force.
 */

/** A read of shared state, in the turn (`epoch`) it ran in. */
export interface Access {
  key: string;
  epoch: number;
  node: ts.Node;
  /** Read as an element of a collection (`for (const x of this.list)`): a selection, not the collection's value. */
  element?: boolean;
}

/** A value fetched from an external store (`await db.get(k)`), written back later. */
export interface ExternalRead {
  receiver: string;
  epoch: number;
  node: ts.Node;
}

export interface Taint {
  shared: Access[];
  external: ExternalRead[];
}

export interface ResourceCheck {
  subject: string;
  name: string;
  epoch: number;
  node: ts.CallExpression;
}

/** What an expression read: shared paths, locals, and external-resource checks. */
export class Reads {
  readonly shared: Access[] = [];
  readonly locals = new Set<string>();
  readonly checks: ResourceCheck[] = [];

  absorb(other: Reads): void {
    this.shared.push(...other.shared);
    for (const local of other.locals) this.locals.add(local);
    this.checks.push(...other.checks);
  }
}

export interface Guard {
  test: ts.Node;
  reads: Reads;
  /** The turn in which the test was evaluated. */
  epoch: number;
  /** Keys written in the turn of their check: the guard-flag idiom (`busy = true` before the first await). */
  claimed: Set<string>;
  /** `if (cond) return;` at statement level: it guards the rest of the block. */
  earlyExit?: boolean;
  /** A loop condition is checked again after every iteration, so it is no stale check. */
  loop?: boolean;
  /** The test of an `if` statement: a claim in its branch keeps other runs out of that branch. */
  branch?: boolean;
}

/** A point where the function gives up control: an `await`, or a callback that runs in a later turn. */
export interface Suspension {
  epoch: number;
  node: ts.Node;
  /** The call whose callback this turn runs in (undefined for `await`). */
  callbackOf?: ts.CallExpression;
  /** Keys an early exit tested again in this turn: `if (this.closed) return;` after the suspension. */
  rechecked?: ReadonlySet<string>;
}

/**
 * A write to `written` replaces the value read at `read` when they are the same path, or the
 * read is inside the written object (`this.stats.count` read, `this.stats` replaced). Reading a
 * reference to a container (`cache`) says nothing about the slot written later (`cache[k]`).
 */
export function replaces(written: string, read: string): boolean {
  if (written === read) return true;
  return read.startsWith(written) && (read[written.length] === '.' || read[written.length] === '[');
}

/** The last property of a key: `this.pool._closed` → `_closed`. */
export function lastProperty(key: string): string | undefined {
  const match = /\.([\w$#]+)$/.exec(key);
  return match?.[1];
}

/** `x = null`, `x = false`, `delete x`: resetting loses no other run's value. */
export function isClearingWrite(node: ts.Node): boolean {
  if (ts.isDeleteExpression(node)) return true;
  if (ts.isCallExpression(node)) return calleeName(node) === 'delete';
  if (!ts.isBinaryExpression(node) || node.operatorToken.kind !== ts.SyntaxKind.EqualsToken) return false;
  const value = stripParens(node.right);
  return (
    value.kind === ts.SyntaxKind.NullKeyword ||
    value.kind === ts.SyntaxKind.FalseKeyword ||
    ts.isVoidExpression(value) ||
    (ts.isIdentifier(value) && value.text === 'undefined')
  );
}

export function isAssignmentOperator(kind: ts.SyntaxKind): boolean {
  return kind >= ts.SyntaxKind.FirstAssignment && kind <= ts.SyntaxKind.LastAssignment;
}

/** The statement always leaves the block (`return`, `throw`, `break`, `continue` last). */
export function exits(statement: ts.Statement): boolean {
  let last: ts.Statement | undefined = statement;
  while (last && ts.isBlock(last)) last = last.statements[last.statements.length - 1];
  return last !== undefined && (ts.isReturnStatement(last) || ts.isThrowStatement(last) || ts.isBreakStatement(last) || ts.isContinueStatement(last));
}
