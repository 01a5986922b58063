import ts from 'typescript';
import type { EvidenceIndex } from './evidence';
import type { FindingSink } from './findings';
import { RESOURCE_ACTS, RESOURCE_CHECKS } from './resources';
import { calleeName, functionLabel, isFunctionNode, lineOf, nearestFunction, quote, walkSubtree } from './syntax';

/**
 * JS-ASYNC-006 across a callback boundary, the pre-`await` form of the same race:
 * `fs.access(p, (err) => { if (err) fs.writeFile(p, …) })`. The callback runs in a later turn
 * of the event loop, so other callbacks (another request, another process) run in between.
 * An act that itself refuses a conflict (`{ flag: 'wx' }`) or handles it (`EEXIST` in its
 * callback) closes the gap.
 */
export function checkCallbackResourceRaces(calls: ts.CallExpression[], sink: FindingSink, evidence: EvidenceIndex | undefined): void {
  const sourceFile = sink.sourceFile;
  for (const check of calls) {
    const name = calleeName(check);
    const subject = check.arguments[0];
    const callback = check.arguments[check.arguments.length - 1];
    if (!name || !RESOURCE_CHECKS.has(name) || !subject || !callback || !isFunctionNode(callback) || !callback.body) continue;
    const subjectText = subject.getText(sourceFile);
    const unit = nearestFunction(check);
    const why = unit ? evidence?.evidenceFor(unit)[0] : undefined;
    walkSubtree(callback.body, (node) => {
      if (!ts.isCallExpression(node)) return true;
      const act = calleeName(node);
      if (!act || !RESOURCE_ACTS.has(act) || node.arguments[0]?.getText(sourceFile) !== subjectText || handlesConflict(node, sourceFile)) return true;
      const label = unit && functionLabel(unit);
      sink.report({
        ruleId: 'JS-ASYNC-006',
        node,
        severity: why ? undefined : 'information',
        message:
          `\`${quote(subjectText)}\` is checked with \`${name}\` at line ${lineOf(check, sourceFile)} and acted on with \`${act}\` at line ${lineOf(node, sourceFile)} in its callback${label ? ` in \`${label}\`` : ''}; ` +
          "act directly and handle the failure (for example the 'wx' flag and EEXIST).",
        related: [
          { node: check, message: 'the check; its callback runs in a later turn of the event loop' },
          ...(why && unit ? [{ node: why.site, message: `why \`${label ?? 'this function'}\` can overlap with itself: ${why.because}` }] : []),
        ],
      });
      return true;
    });
  }
}

/** `{ flag: 'wx' }`, `{ recursive: true }`, or a callback that looks at `EEXIST`: the act copes with a conflict. */
function handlesConflict(act: ts.CallExpression, sourceFile: ts.SourceFile): boolean {
  return act.arguments.some((argument, index) => {
    const text = argument.getText(sourceFile);
    if (index > 0 && (/['"`]wx\+?['"`]/.test(text) || /\brecursive\s*:\s*true\b/.test(text))) return true;
    return isFunctionNode(argument) && /EEXIST/.test(text);
  });
}
