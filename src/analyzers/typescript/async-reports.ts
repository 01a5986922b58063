import ts from 'typescript';
import type { FixSuggestion } from '../../shared/findings';
import type { OverlapEvidence } from './evidence';
import type { FindingSink, Related } from './findings';
import { functionLabel, lineOf, quote, stripParens, walkIteratively, type FunctionNode } from './syntax';

export interface ReportContext {
  fn: FunctionNode;
  evidence: OverlapEvidence[];
  sink: FindingSink;
  sourceFile: ts.SourceFile;
}

const EVIDENCE_ORDER = ['fan-out', 'handler', 'timer', 'unawaited', 'exported'];

/**
 * Words the JS-ASYNC findings of one function: both accesses, the suspension point between
 * them and why another run can execute there (rules.md, principle 7), plus safe fixes.
 */
export class AsyncReporter {
  /** How messages name the function: `` `save` `` or "the async function at line 12". */
  private readonly label: string;

  constructor(private readonly context: ReportContext) {
    const name = functionLabel(context.fn);
    this.label = name ? `\`${name}\`` : `the async function at line ${lineOf(context.fn, context.sourceFile)}`;
  }

  lostUpdate(node: ts.Node, target: ts.Node, read: ts.Node, suspension: ts.Node | undefined): void {
    const { because, related } = this.why();
    const name = this.text(target);
    const where = suspension ? `before \`${this.text(suspension)}\` (line ${this.line(suspension)})` : 'before a suspension point';
    this.context.sink.report({
      ruleId: this.lostUpdateRule(),
      node,
      message:
        `Lost update: \`${name}\` is read at line ${this.line(read)} ${where} and written at line ${this.line(node)} after it, in ${this.label}, which can overlap with itself: ${because}. ` +
        `Another run can change \`${name}\` during the await and this write discards that change. ` +
        'Read the value after the await, or serialise the runs (for example with a mutex).',
      related: [{ node: read, message: `\`${this.text(read)}\` read here, before the await` }, ...this.awaitRelated(suspension), related],
    });
  }

  checkThenAct(node: ts.Node, target: ts.Node, check: ts.Node, test: ts.Node, suspension: ts.Node | undefined): void {
    const { because, related } = this.why();
    this.context.sink.report({
      ruleId: 'JS-ASYNC-002',
      node,
      message:
        `Check-then-act across await: \`${this.text(test)}\` checks \`${this.text(check)}\` at line ${this.line(check)}, ` +
        `but \`${this.text(target)}\` is written at line ${this.line(node)} only after ${suspension ? `\`${this.text(suspension)}\`` : 'an await'}. ` +
        `The function (${this.label}) can overlap with itself: ${because}. Two runs can both pass the check before either writes (double initialisation, cache stampede). ` +
        'Cache the promise instead of the awaited value, or re-check after the await.',
      related: [{ node: check, message: 'the check, before the await' }, ...this.awaitRelated(suspension), related],
      fixes: promiseCachingFix(node, test, this.context),
    });
  }

  staleSnapshot(node: ts.Node, target: ts.Node, local: string, snapshot: ts.Node, test: ts.Node, suspension: ts.Node | undefined): void {
    const { because, related } = this.why();
    this.context.sink.report({
      ruleId: 'JS-ASYNC-003',
      node,
      message:
        `Stale snapshot: \`${local}\` holds \`${this.text(snapshot)}\` read at line ${this.line(snapshot)}, before ${suspension ? `\`${this.text(suspension)}\`` : 'an await'}, ` +
        `and after the await it decides (\`${this.text(test)}\`) the write to \`${this.text(target)}\` at line ${this.line(node)}. ` +
        `The function (${this.label}) can overlap with itself: ${because}. The state may have changed meanwhile. Re-read \`${this.text(snapshot)}\` after the await before deciding.`,
      related: [{ node: snapshot, message: `snapshot taken here into \`${local}\`` }, ...this.awaitRelated(suspension), related],
    });
  }

  /** Without overlap evidence this is still a time-of-check/time-of-use gap, reported as information. */
  externalCheckThenAct(node: ts.Node, act: string, subject: string, checkName: string, check: ts.Node): void {
    const evidence = this.context.evidence.length > 0 ? this.why() : undefined;
    const overlap = evidence ? `The function (${this.label}) can overlap with itself: ${evidence.because}. ` : '';
    this.context.sink.report({
      ruleId: 'JS-ASYNC-006',
      node,
      severity: evidence ? undefined : 'information',
      message:
        `External check-then-act: \`${quote(subject)}\` is checked with \`${checkName}\` at line ${this.line(check)} and acted on with \`${act}\` at line ${this.line(node)} after an await. ` +
        `${overlap}Another run or process can change it in between. Act directly and handle the failure (for example the 'wx' flag and EEXIST).`,
      related: [{ node: check, message: 'the check, before the await' }, ...(evidence ? [evidence.related] : [])],
    });
  }

  storeReadModifyWrite(node: ts.Node, writer: string, fetched: ts.Node): void {
    const { because, related } = this.why();
    this.context.sink.report({
      ruleId: 'JS-ASYNC-005',
      node,
      message:
        `Read-modify-write of an external store across await: a value fetched with \`${this.text(fetched)}\` at line ${this.line(fetched)} is written back with \`${writer}\` at line ${this.line(node)}. ` +
        `The function (${this.label}) can overlap with itself: ${because}. Another run can fetch the same value in between and one of the updates is lost. Use the store's atomic update (increment, compare-and-set, transaction) or serialise the runs.`,
      related: [{ node: fetched, message: 'value fetched here' }, related],
    });
  }

  /** The rule of a lost update follows the context that makes the runs overlap. */
  private lostUpdateRule(): 'JS-ASYNC-001' | 'JS-ASYNC-004' | 'JS-ASYNC-005' {
    const kinds = new Set(this.context.evidence.map((e) => e.kind));
    if (kinds.has('fan-out')) return 'JS-ASYNC-004';
    if (kinds.has('handler') || kinds.has('timer')) return 'JS-ASYNC-005';
    return 'JS-ASYNC-001';
  }

  private why(): { because: string; related: Related } {
    const evidence = [...this.context.evidence].sort((a, b) => EVIDENCE_ORDER.indexOf(a.kind) - EVIDENCE_ORDER.indexOf(b.kind))[0];
    return { because: evidence.because, related: { node: evidence.site, message: `why ${this.label} can overlap with itself: ${evidence.because}` } };
  }

  private text(node: ts.Node): string {
    return quote(node.getText(this.context.sourceFile));
  }

  private line(node: ts.Node): number {
    return lineOf(node, this.context.sourceFile);
  }

  private awaitRelated(suspension: ts.Node | undefined): Related[] {
    return suspension ? [{ node: suspension, message: 'suspension point: another run can execute here' }] : [];
  }
}

/**
 * `if (!x) x = await load(); return x;` → `if (!x) x = load(); return x;` — offered only when
 * every other use of `x` in the file awaits or returns it, so storing the promise is safe.
 */
function promiseCachingFix(node: ts.Node, guardTest: ts.Node, context: ReportContext): FixSuggestion[] {
  if (!ts.isBinaryExpression(node) || node.operatorToken.kind !== ts.SyntaxKind.EqualsToken) return [];
  const right = stripParens(node.right);
  if (!ts.isAwaitExpression(right)) return [];
  const sourceFile = context.sourceFile;
  const test = stripParens(guardTest as ts.Expression);
  const targetText = node.left.getText(sourceFile);
  if (!ts.isPrefixUnaryExpression(test) || test.operator !== ts.SyntaxKind.ExclamationToken || stripParens(test.operand).getText(sourceFile) !== targetText) return [];
  let safe = true;
  walkIteratively(sourceFile, (n) => {
    if (!safe) return false;
    if ((ts.isPropertyAccessExpression(n) || ts.isIdentifier(n) || ts.isElementAccessExpression(n)) && n.getText(sourceFile) === targetText) {
      const parent = n.parent;
      const allowed =
        n === node.left ||
        n === stripParens(test.operand) ||
        ts.isAwaitExpression(parent) ||
        ts.isReturnStatement(parent) ||
        (ts.isPropertyAccessExpression(parent) && parent.expression === n && parent.name.text === 'then');
      if (!allowed) safe = false;
      return false;
    }
    return true;
  });
  if (!safe) return [];
  return [
    {
      title: 'Cache the promise instead of the awaited value',
      edits: [
        {
          file: context.sink.file,
          range: {
            start: sourceFile.getLineAndCharacterOfPosition(right.getStart(sourceFile)),
            end: sourceFile.getLineAndCharacterOfPosition(right.expression.getStart(sourceFile)),
          },
          newText: '',
        },
      ],
    },
  ];
}
