import type { FixSuggestion, TextEdit } from '../../shared/findings';
import type { FunctionInfo, Program } from './program';
import { wrapInWith } from './report';
import type { Access } from './summary';

/**
 * The "use a new lock" fix for state no lock guards anywhere (issue 13, item 3): a module
 * lock next to the global (`_hits_lock = threading.Lock()`), or an instance lock at the end of
 * `__init__` for `self.` state, `import threading` when the file lacks it, and every racing
 * statement of the file wrapped in `with <lock>:`. Offered only when each piece has a safe
 * place: the global is assigned at the top level of this file, the class has an `__init__`
 * with an indented body, and every racing statement stands alone on its lines.
 */
export function introduceLockFix(program: Program, fn: FunctionInfo, key: string, sites: Access[]): FixSuggestion | undefined {
  const fixSites = program.fixSites.get(fn.file);
  if (!fixSites || sites.some((s) => !s.stmt)) return undefined;
  const module = key.slice(0, key.indexOf(':'));
  const path = key.slice(key.indexOf(':') + 1);
  const threading = fixSites.threadingName ?? 'threading';
  const eol = fixSites.eol;
  const edits: TextEdit[] = [];
  const insert = (line: number, text: string) => {
    const same = edits.find((e) => e.range.start.line === line && e.range.end.line === line && e.range.start.character === 0 && e.range.end.character === 0);
    if (same) same.newText += text;
    else edits.push({ file: fn.file, range: { start: { line, character: 0 }, end: { line, character: 0 } }, newText: text });
  };
  if (!fixSites.threadingName) insert(fixSites.importLine, `import threading${eol}`);
  let lockExpr: string;
  if (!path.includes('.') && !path.includes('#') && module === fn.module) {
    const defined = fixSites.globals[path];
    lockExpr = `_${path.replace(/^_+/, '')}_lock`;
    if (defined === undefined || fixSites.globals[lockExpr] !== undefined) return undefined;
    insert(defined, `${lockExpr} = ${threading}.Lock()${eol}`);
  } else if (sites.every((s) => s.viaSelf) && fn.classKey && path.startsWith(`${fn.className}.`) && !path.slice(fn.className!.length + 1).includes('.')) {
    const init = fixSites.inits[fn.classKey];
    const attr = path.slice(fn.className!.length + 1);
    if (!init || fn.params[0] !== init.selfName) return undefined;
    lockExpr = `${init.selfName}._${attr.replace(/^_+/, '')}_lock`;
    insert(init.line, `${init.indent}${lockExpr} = ${threading}.Lock()${eol}`);
  } else {
    return undefined;
  }
  const seen = new Set<number>();
  for (const site of sites) {
    if (seen.has(site.stmt!.span.line)) continue;
    seen.add(site.stmt!.span.line);
    edits.push(...wrapInWith(fn.file, site.stmt!, lockExpr).edits);
  }
  return { title: `Guard it with a new lock, \`${lockExpr}\``, edits };
}
