/**
 * Characters that change how the text around them reads on a terminal or in a log: C0 and C1
 * controls (a newline in a file name starts a forged `file:line:col: error` line, ESC starts a
 * terminal escape sequence), the bidirectional overrides, embeddings, isolates and marks that
 * reorder what is shown (Trojan Source), and the Unicode line and paragraph separators.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeOne(char: string): string {
  const named = NAMED[char];
  if (named) return named;
  const code = char.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * A path or any other text that came from the user's files, made safe to show a person: every
 * character of UNSAFE becomes a visible escape (`\n`, `\x1b`, `\u202e`). Machine formats (JSON,
 * SARIF) keep the exact text; their own escaping is enough there.
 */
export function escapeForDisplay(text: string): string {
  return text.replace(UNSAFE, escapeOne);
}
