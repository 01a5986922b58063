import path from 'node:path';
import { findRule } from '../rules';
import type { Finding, FixSuggestion, Range, RelatedLocation, Severity } from '../../shared/findings';
import type { FunctionInfo, Program } from './program';
import type { ExecutionContext } from './roots';
import type { Span, StatementSite } from './summary';

/**
 * How Python findings are worded. Every message has one shape (the same as the TS/JS side):
 * one sentence that starts with the state or lock in backticks, names both sides by function
 * and line, and ends with "; <what to do>."; the other access, where threads and tasks start
 * and the concurrency root relied on go to related information.
 */

export function toRange(span: Span): Range {
  return { start: { line: span.line, character: span.col }, end: { line: span.endLine, character: span.endCol } };
}

export function line(span: Span): number {
  return span.line + 1;
}

/** `Worker.run`, `worker`, or `module code` for top-level statements. */
export function fnName(fn: FunctionInfo): string {
  return fn.name === '<module>' ? `module code of ${path.basename(fn.file)}` : fn.name.replace(/@(\d+):\d+$/, ' at line $1');
}

/** "`Worker.run` (line 12)". */
export function at(fn: FunctionInfo, span: Span): string {
  return `\`${fnName(fn)}\` (line ${line(span)})`;
}

/** Display name of a state or lock key: `Account._lock`, `bank.LOCK`, `counter`. */
export function keyName(key: string): string {
  const colon = key.indexOf(':');
  const module = key.slice(0, colon).replace(/@.*$/, '');
  const rest = key.slice(colon + 1);
  if (rest.includes('#')) return rest.slice(rest.indexOf('#') + 1);
  if (rest.startsWith('*.')) return rest;
  return rest.includes('.') ? rest : `${module}.${rest}`;
}

const STARTED: Record<string, [single: string, many: string]> = {
  thread: ['the thread started', 'threads started'],
  timer: ['the timer started', 'timers started'],
  'thread-pool': ['the pool task submitted', 'pool tasks submitted'],
  'to-thread': ['the worker thread started', 'worker threads started'],
  process: ['the process started', 'processes started'],
  'process-pool': ['the process-pool task submitted', 'process-pool tasks submitted'],
  task: ['the task created', 'tasks created'],
  callback: ['the done callback added', 'done callbacks added'],
  'loop-callback': ['the loop callback scheduled', 'loop callbacks scheduled'],
  signal: ['the signal handler set', 'signal handlers set'],
  atexit: ['the exit handler registered', 'exit handlers registered'],
  finalizer: ['the finalizer registered', 'finalizers registered'],
};

/**
 * The context a side runs in, as a short noun phrase for a message: "threads started at
 * line 9", "the timer started at line 4 of app.py", "other threads calling `Pool`".
 */
export function contextPhrase(program: Program, id: string, from: FunctionInfo): string {
  const context = program.context(id);
  if (!context) return 'another thread';
  const where = context.spawner.file === from.file ? '' : ` of ${path.basename(context.spawner.file)}`;
  if (program.isParentContext(id)) return `after the start at line ${line(context.spawn.span)}${where}`;
  if (context.root) return rootPhrase(context);
  if (context.spawn.target === context.spawner.key && context.spawner.handler) return 'concurrent requests';
  const [single, many] = STARTED[context.kind] ?? ['the context started', 'contexts started'];
  return `${context.many ? many : single} at line ${line(context.spawn.span)}${where}`;
}

function rootPhrase(context: ExecutionContext): string {
  const root = context.root!;
  switch (root.kind) {
    case 'locked-class':
    case 'locked-module':
      return `threads calling \`${root.owner}\``;
    case 'thread-class':
      return context.kind === 'api' ? `threads calling \`${root.owner}\`` : `the \`${root.owner}\` thread`;
    case 'async-class':
    case 'module-coroutines':
      return `tasks calling \`${root.owner}\``;
    case 'request-handler':
      return 'concurrent requests';
    case 'finalizer':
      return 'the garbage collector';
    case 'thread-affine':
      return `the threads each owning a \`${root.owner}\``;
  }
}

/** Related locations for the contexts a finding relies on: where each starts, or the design that implies it. */
export function contextRelated(program: Program, ids: string[], fn?: FunctionInfo): RelatedLocation[] {
  const seen = new Set<string>();
  const out: RelatedLocation[] = [];
  for (const id of ids) {
    const context = program.context(id);
    if (!context || seen.has(context.id)) continue;
    seen.add(context.id);
    if (context.root) {
      const entry = fn ? program.roots.entryReaching(context, fn) : context.target;
      const via = fn && entry !== fn ? `, reaching it through \`${fnName(entry)}\`` : '';
      out.push({ file: context.root.file, range: toRange(context.root.span), message: `concurrency root: ${context.root.evidence}${via}` });
      continue;
    }
    const [single] = STARTED[context.kind] ?? ['the context started'];
    const noun = single.replace(/^the /, '').replace(/ (started|submitted|created|added|scheduled|set|registered)$/, '');
    if (context.many) out.push({ file: context.spawner.file, range: toRange(context.spawn.span), message: `several ${noun}s running \`${fnName(context.target)}\` start here, at once` });
    if (context.many) continue;
    out.push({ file: context.spawner.file, range: toRange(context.spawn.span), message: `${noun} running \`${fnName(context.target)}\` starts here` });
  }
  return out;
}

/**
 * The level a finding is reported at: the rule's own when the contexts it relies on are
 * evidence of concurrency, `information` when the only evidence is weak (a public coroutine
 * of a class with nothing else that shows other tasks use it).
 */
export function makeFinding(
  ruleId: string,
  gated: boolean,
  file: string,
  span: Span,
  message: string,
  related: RelatedLocation[] = [],
  fixes: FixSuggestion[] = [],
): Finding {
  const rule = findRule(ruleId);
  if (!rule) throw new Error(`unknown rule ${ruleId}`);
  const severity: Severity = gated ? rule.defaultSeverity : 'information';
  return { ruleId, severity, message, file, range: toRange(span), related: dedupeRelated(related), fixes };
}

function dedupeRelated(related: RelatedLocation[]): RelatedLocation[] {
  const seen = new Set<string>();
  return related.filter((r) => {
    const id = `${r.file}|${r.range.start.line}|${r.range.start.character}|${r.message}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** Re-indents a statement under `with <lock>:`, keeping the file's indentation style. */
export function wrapInWith(file: string, site: StatementSite, lockExpr: string): FixSuggestion {
  const unit = site.indent.includes('\t') ? '\t' : '    ';
  const eol = site.eol;
  const body = site.source
    .split(/\r?\n/)
    .map((l) => (l.length > 0 ? unit + l : l))
    .join(eol);
  return {
    title: `Wrap in \`with ${lockExpr}:\``,
    edits: [{ file, range: toRange(site.span), newText: `${site.indent}with ${lockExpr}:${eol}${body}` }],
  };
}
