import type ts from 'typescript';
import type { LanguageAnalyzer, SourceFile } from './language';
import { pythonCommentSpans } from './python/parser';

export interface SourceComment {
  /** UTF-16 offsets of the whole comment, delimiters included. */
  start: number;
  end: number;
  /** `//` or `/*` for scripts, `#` for Python. */
  kind: '#' | '//' | '/*';
}

/** The TypeScript compiler, loaded on first use only (a Python-only run never pays for it). */
function typescript(): typeof ts {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('typescript') as typeof ts;
}

function scriptKind(compiler: typeof ts, filePath: string): ts.ScriptKind {
  const lower = filePath.toLowerCase();
  if (lower.endsWith('.tsx')) return compiler.ScriptKind.TSX;
  if (lower.endsWith('.jsx')) return compiler.ScriptKind.JSX;
  if (/\.[mc]?ts$/.test(lower)) return compiler.ScriptKind.TS;
  return compiler.ScriptKind.JS;
}

/**
 * Comments are the trivia between tokens: the TypeScript parser, which knows where a regular
 * expression, a template literal or JSX text is, lists every token, and only the text before a
 * token's start is scanned for comments. JSX text is a token of its own, so `// x` inside it is
 * text, as it is in the browser.
 */
function scriptComments(file: SourceFile): SourceComment[] {
  const compiler = typescript();
  const source = compiler.createSourceFile(file.path, file.text, compiler.ScriptTarget.Latest, true, scriptKind(compiler, file.path));
  const found = new Map<number, SourceComment>();
  const stack: ts.Node[] = [source];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.kind === compiler.SyntaxKind.JsxText || node.kind === compiler.SyntaxKind.JsxTextAllWhiteSpaces) continue;
    const children = node.getChildren(source);
    if (children.length > 0) {
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
      continue;
    }
    const tokenStart = node.getStart(source);
    // A comment on the line of the previous token is its "trailing" comment, the others "leading".
    const ranges = [...(compiler.getTrailingCommentRanges(file.text, node.pos) ?? []), ...(compiler.getLeadingCommentRanges(file.text, node.pos) ?? [])];
    for (const range of ranges) {
      if (range.end > tokenStart) continue;
      const kind = range.kind === compiler.SyntaxKind.SingleLineCommentTrivia ? '//' : '/*';
      found.set(range.pos, { start: range.pos, end: range.end, kind });
    }
  }
  return [...found.values()].sort((a, b) => a.start - b.start);
}

/**
 * The comments of a file, as its language's parser sees them: a `#` or `//` inside a string
 * literal is not a comment. Only files that mention `marker` are parsed for them.
 */
export async function findComments(language: LanguageAnalyzer['language'], file: SourceFile, marker: string): Promise<SourceComment[]> {
  if (!file.text.includes(marker)) return [];
  if (language === 'python') {
    return (await pythonCommentSpans(file.text)).map(([start, end]) => ({ start, end, kind: '#' as const }));
  }
  return scriptComments(file);
}
