import ts from 'typescript';
import type { OverlapEvidence } from './evidence';
import type { FindingSink, Related } from './findings';
import type { Suspension } from './flow-state';
import type { ClosingFlag } from './lifecycle';
import { promiseCachingFix } from './promise-fix';
import { enclosingOwner } from './call-targets';
import { ownershipFacts, type OwnershipFacts } from './ownership';
import { calleeName, classBindingName, functionLabel, lineOf, ownerOf, quote, type FunctionNode } from './syntax';

export interface ReportContext {
  fn: FunctionNode;
  evidence: OverlapEvidence[];
  sink: FindingSink;
  sourceFile: ts.SourceFile;
}

const EVIDENCE_ORDER = ['fan-out', 'handler', 'timer', 'unawaited', 'exported', 'caller'];

/**
 * Words the findings of one function's flow, in the one shape every message has: one sentence
 * that starts with the state, names both sides by line and function, and ends with what to do.
 * Why the function can overlap with itself, where the other run gets in and the other side of
 * the pair go to related information (rules.md, principle 8).
 */
export class AsyncReporter {
  /** How messages name the function: `` `save` `` or "the function at line 12". */
  private readonly label: string;
  private readonly className: string | undefined;

  constructor(private readonly context: ReportContext) {
    const name = functionLabel(context.fn);
    this.label = name ? `\`${name}\`` : `the function at line ${lineOf(context.fn, context.sourceFile)}`;
    const owner = ownerOf(context.fn) ?? enclosingOwner(context.fn);
    this.className = typeof owner === 'string' ? owner : owner && classBindingName(owner);
  }

  private ownership(test?: ts.Node): OwnershipFacts {
    return ownershipFacts(this.className, this.context.evidence.map((e) => e.origin ?? e.kind), test);
  }

  lostUpdate(node: ts.Node, target: ts.Node, read: ts.Node, suspension: Suspension | undefined): void {
    const name = this.text(target);
    this.context.sink.report({
      ruleId: this.lostUpdateRule(),
      node,
      message:
        `\`${name}\` is read at line ${this.line(read)} before ${this.pause(suspension)} and written at line ${this.line(node)} after it in ${this.label}, ` +
        `so an overlapping run loses its update; ${suspension?.callbackOf ? 'read it in the callback' : 'read it after the await'} or serialise the runs.`,
      related: [{ node: read, message: `\`${this.text(read)}\` read here, in an earlier turn` }, ...this.pauseRelated(suspension), this.why()],
      ownership: this.ownership(),
    });
  }

  checkThenAct(node: ts.Node, target: ts.Node, check: ts.Node, test: ts.Node, suspension: Suspension | undefined, idempotent: boolean): void {
    const inCallback = suspension?.callbackOf !== undefined;
    const advice = idempotent
      ? 'cache the promise if the work is costly'
      : inCallback
        ? 'set it before the call or check again in the callback'
        : 'cache the promise or check again after the await';
    const outcome = idempotent ? 'overlapping runs repeat the same work' : 'overlapping runs both pass the check';
    this.context.sink.report({
      ruleId: 'JS-ASYNC-002',
      node,
      severity: idempotent ? 'information' : undefined,
      message: `\`${this.text(target)}\` is checked at line ${this.line(check)} and written at line ${this.line(node)} after ${this.pause(suspension)} in ${this.label}, so ${outcome}; ${advice}.`,
      related: [{ node: test, message: `\`${this.text(test)}\` tested here, in an earlier turn` }, ...this.pauseRelated(suspension), this.why()],
      fixes: promiseCachingFix(node, test, this.context),
      ownership: this.ownership(test),
    });
  }

  staleSnapshot(node: ts.Node, target: ts.Node, local: string, snapshot: ts.Node, test: ts.Node, suspension: Suspension | undefined): void {
    this.context.sink.report({
      ruleId: 'JS-ASYNC-003',
      node,
      message:
        `\`${local}\` holds \`${this.text(snapshot)}\` from line ${this.line(snapshot)}, before ${this.pause(suspension)}, and decides the write of \`${this.text(target)}\` at line ${this.line(node)} in ${this.label}; ` +
        `read \`${this.text(snapshot)}\` again before deciding.`,
      related: [{ node: snapshot, message: `snapshot taken here into \`${local}\`` }, { node: test, message: 'the decision on the old value' }, ...this.pauseRelated(suspension), this.why()],
      ownership: this.ownership(test),
    });
  }

  /** Without overlap evidence this is still a time-of-check/time-of-use gap, reported as information. */
  externalCheckThenAct(node: ts.Node, act: string, subject: string, checkName: string, check: ts.Node, subjectIsLocal: boolean): void {
    // Fanned-out tasks each work on their own element: a path built from it is not another task's.
    const ownElement = subjectIsLocal && this.context.evidence.every((e) => e.kind === 'fan-out');
    const evidence = this.context.evidence.length > 0 && !ownElement;
    this.context.sink.report({
      ruleId: 'JS-ASYNC-006',
      node,
      severity: evidence ? undefined : 'information',
      message:
        `\`${quote(subject)}\` is checked with \`${checkName}\` at line ${this.line(check)} and acted on with \`${act}\` at line ${this.line(node)} after an await in ${this.label}; ` +
        "act directly and handle the failure (for example the 'wx' flag and EEXIST).",
      related: [{ node: check, message: 'the resource tested here, in an earlier turn' }, ...(evidence ? [this.why()] : [])],
    });
  }

  storeReadModifyWrite(node: ts.Node, writer: string, fetched: ts.Node): void {
    this.context.sink.report({
      ruleId: 'JS-ASYNC-005',
      node,
      message:
        `\`${this.text(fetched)}\` fetches at line ${this.line(fetched)} the value that \`${writer}\` writes back at line ${this.line(node)} in ${this.label}, so overlapping runs lose updates; ` +
        "use the store's atomic update or serialise the runs.",
      related: [{ node: fetched, message: 'value fetched here' }, this.why()],
    });
  }

  /** JS-ASYNC-007: acting on an object after a later turn began, with its closing flag tested only before. */
  useAfterClose(node: ts.Node, check: ts.Node, flag: ClosingFlag, suspension: Suspension | undefined, callback: Suspension | undefined): void {
    const where = callback?.callbackOf ? `the callback of \`${calleeName(callback.callbackOf) ?? 'a call'}\`` : `the code after ${this.pause(suspension)}`;
    this.context.sink.report({
      ruleId: 'JS-ASYNC-007',
      node,
      message:
        `\`${this.text(check)}\` is checked at line ${this.line(check)} in ${this.label}, but ${where} acts on the object at line ${this.line(node)} ` +
        `without checking it again, after \`${flag.closerName}\` may have set it; check it again before acting.`,
      related: [
        { node: check, message: 'the only test of the flag, in an earlier turn' },
        ...this.pauseRelated(suspension),
        { node: flag.write, message: `\`${flag.closerName}\` raises the flag here` },
      ],
    });
  }

  /** JS-ASYNC-009: tracked work released in the turn that started a callback still to run. */
  pendingWorkReleased(node: ts.Node, key: string, started: ts.CallExpression, completion: ts.Node): void {
    this.context.sink.report({
      ruleId: 'JS-ASYNC-009',
      node,
      message:
        `\`${quote(key)}\` drops its entry at line ${this.line(node)} in ${this.label} while the callback of \`${calleeName(started) ?? 'a call'}\` (line ${this.line(started)}) still has work to do, ` +
        'so a completion check can fire early; remove the entry when that callback finishes.',
      related: [
        { node: started, message: 'asynchronous work started here, finishing in a later turn' },
        { node: completion, message: 'completion is decided here from what is left' },
      ],
    });
  }

  /** The rule of a lost update follows the context that makes the runs overlap. */
  private lostUpdateRule(): 'JS-ASYNC-001' | 'JS-ASYNC-004' | 'JS-ASYNC-005' {
    const kinds = new Set(this.context.evidence.map((e) => e.kind));
    if (kinds.has('fan-out')) return 'JS-ASYNC-004';
    if (kinds.has('handler') || kinds.has('timer')) return 'JS-ASYNC-005';
    return 'JS-ASYNC-001';
  }

  private why(): Related {
    const evidence = [...this.context.evidence].sort((a, b) => EVIDENCE_ORDER.indexOf(a.kind) - EVIDENCE_ORDER.indexOf(b.kind))[0];
    return { node: evidence.site, message: `why ${this.label} can overlap with itself: ${evidence.because}` };
  }

  /** `` `await price(id)` `` or "the callback of `getLength`". */
  private pause(suspension: Suspension | undefined): string {
    if (!suspension) return 'a suspension point';
    if (suspension.callbackOf) return `the callback of \`${calleeName(suspension.callbackOf) ?? 'a call'}\``;
    return `\`${quote(suspension.node.getText(this.context.sourceFile), 40)}\``;
  }

  private pauseRelated(suspension: Suspension | undefined): Related[] {
    if (!suspension) return [];
    if (suspension.callbackOf) return [{ node: suspension.callbackOf, message: 'its callback runs in a later turn: other code can run first' }];
    return [{ node: suspension.node, message: 'suspension point: another run can execute here' }];
  }

  private text(node: ts.Node): string {
    return quote(node.getText(this.context.sourceFile));
  }

  private line(node: ts.Node): number {
    return lineOf(node, this.context.sourceFile);
  }
}
