import ts from 'typescript';
import type { FindingSink } from './findings';
import { RESOURCE_ACTS, RESOURCE_CHECKS } from './resources';
import { calleeName, isFunctionNode, lineOf, quote, walkIteratively } from './syntax';

/**
 * JS-ASYNC-006 across a callback boundary, the pre-`await` form of the same race:
 * `fs.access(p, (err) => { if (err) fs.writeFile(p, …) })`. The callback runs in a later turn
 * of the event loop, so other callbacks (another request, another process) run in between.
 */
export function checkCallbackResourceRaces(calls: ts.CallExpression[], sink: FindingSink): void {
  const sourceFile = sink.sourceFile;
  for (const check of calls) {
    const name = calleeName(check);
    const subject = check.arguments[0];
    const callback = check.arguments[check.arguments.length - 1];
    if (!name || !RESOURCE_CHECKS.has(name) || !subject || !callback || !isFunctionNode(callback) || !callback.body) continue;
    const subjectText = subject.getText(sourceFile);
    walkIteratively(callback.body, (node) => {
      if (!ts.isCallExpression(node)) return true;
      const act = calleeName(node);
      if (act && RESOURCE_ACTS.has(act) && node.arguments[0]?.getText(sourceFile) === subjectText) {
        sink.report({
          ruleId: 'JS-ASYNC-006',
          node,
          severity: 'information',
          message:
            `External check-then-act across a callback: \`${quote(subjectText)}\` is checked with \`${name}\` at line ${lineOf(check, sourceFile)} and acted on with \`${act}\` in its callback. ` +
            'Other callbacks and processes run before the callback does, so the result of the check can be stale. Act directly and handle the failure (for example the \'wx\' flag and EEXIST).',
          related: [{ node: check, message: 'the check; its callback runs in a later turn of the event loop' }],
        });
      }
      return true;
    });
  }
}
