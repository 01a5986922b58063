/**
 * Finds Python function definitions in source text by indentation, which is all the profile
 * command needs: the function the cursor is in, and whether a process pool can run it (only a
 * module-level function can be pickled by reference; methods and nested functions cannot).
 */

export interface TopLevelFunction {
  name: string;
  /** Zero-based line of the `def`. */
  line: number;
}

export type EnclosingFunction =
  | { kind: 'topLevel'; name: string; line: number }
  | { kind: 'method'; name: string; line: number; className: string }
  | { kind: 'nested'; name: string; line: number; outer: string };

const DEF = /^(\s*)(?:async\s+)?def\s+([A-Za-z_]\w*)\s*\(/;
const CLASS = /^(\s*)class\s+([A-Za-z_]\w*)/;

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

function isCode(line: string): boolean {
  const trimmed = line.trim();
  return trimmed.length > 0 && !trimmed.startsWith('#');
}

export function topLevelFunctions(source: string): TopLevelFunction[] {
  const found: TopLevelFunction[] = [];
  source.split(/\r?\n/).forEach((text, line) => {
    const match = DEF.exec(text);
    if (match && match[1] === '') found.push({ name: match[2], line });
  });
  return found;
}

/**
 * The innermost `def` whose body contains `line` (or that starts on it), classified by what
 * encloses it. Multi-line strings are not tracked: a line inside one at a lower indentation
 * can end the search early, which at worst reports no function.
 */
export function enclosingFunction(source: string, line: number): EnclosingFunction | undefined {
  const lines = source.split(/\r?\n/);
  if (line < 0 || line >= lines.length) return undefined;
  // A line encloses the cursor line when its indentation is below every code line seen so far.
  let limit = Number.POSITIVE_INFINITY;
  let innermost: { name: string; line: number; indent: number } | undefined;
  let start = line;
  if (isCode(lines[line])) {
    limit = indentOf(lines[line]);
    const def = DEF.exec(lines[line]);
    if (def) innermost = { name: def[2], line, indent: limit };
    start = line - 1;
  }
  for (let i = start; i >= 0; i--) {
    const text = lines[i];
    if (!isCode(text)) continue;
    const indent = indentOf(text);
    if (indent >= limit) continue;
    limit = indent;
    const def = DEF.exec(text);
    const cls = CLASS.exec(text);
    if (!innermost) {
      if (def) innermost = { name: def[2], line: i, indent };
      else if (indent === 0) return undefined;
      continue;
    }
    if (cls) return { kind: 'method', name: innermost.name, line: innermost.line, className: cls[2] };
    if (def) return { kind: 'nested', name: innermost.name, line: innermost.line, outer: def[2] };
    if (indent === 0) break;
  }
  if (!innermost) return undefined;
  return innermost.indent === 0 ? { kind: 'topLevel', name: innermost.name, line: innermost.line } : undefined;
}
