import type { PyNode } from './parser';

/**
 * Python has no `@GuardedBy`; libraries write the contract in words instead: "Must be called
 * within the connection lock", "Must already be holding lock used in constructor", "caller is
 * assumed to hold self.lock", "Lock must be held". A function that says so at its top (docstring
 * or the comments before its first statement) is entered holding what its callers hold, even
 * when its name is public. Phrases that only mention a lock elsewhere ("must be called without
 * the main lock") do not count.
 */
/** Words to the end of the sentence (a dot inside `self._lock` does not end it), then a lock. */
const TO_LOCK = String.raw`(?:[^.]|\.(?=\w))*?\w*(?:lock|mutex)\b`;
const CONTRACT = [
  String.raw`\b(must|should)\s+(only\s+)?(already\s+)?be\s+(called|invoked|used)\s+(with(in)?|while\s+holding|under|holding|inside)\b(?!(?:[^.]|\.(?=\w))*\bwithout\b)${TO_LOCK}`,
  String.raw`\b(must|should)\s+already\s+(be\s+)?hold(ing)?\b${TO_LOCK}`,
  String.raw`\bcallers?\s+(must|should|is\s+(assumed|expected|required)\s+to|are\s+(assumed|expected|required)\s+to)\s+(already\s+)?(hold|have|own|acquire|take)\b${TO_LOCK}`,
  String.raw`\w*(?:lock|mutex)\b[^.]{0,40}\b(must|should)\s+(already\s+)?be\s+(held|acquired|locked|taken)\b`,
  String.raw`\b(called|invoked)\s+with\s+(the\s+)?[\w.]*\s*(lock|mutex)\s+(held|acquired|taken)\b`,
].map((source) => new RegExp(source, 'i'));

/** `text` is the module's source: comments are not nodes of the tree the walk sees. */
export function documentsHeldLock(body: PyNode, text: string): boolean {
  const first = body.children[0];
  if (!first) return false;
  // The comments between the `def` line and the first statement, and the docstring.
  const header = text.slice(body.parent?.start ?? body.start, first.start);
  const only = first.type === 'expression_statement' && first.children.length === 1 ? first.children[0]! : undefined;
  const docstring = only?.type === 'string' ? text.slice(only.start, only.end) : '';
  const comments = header.includes('#') ? [...header.matchAll(/#([^\n]*)/g)].map((m) => m[1]!).join(' ') : '';
  const words = `${comments} ${docstring}`;
  // Most functions say nothing of locks: the patterns run only on those that do.
  if (!/lock|mutex/i.test(words)) return false;
  const sentence = words.replace(/\s+/g, ' ');
  return CONTRACT.some((pattern) => pattern.test(sentence));
}
