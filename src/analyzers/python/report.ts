import path from 'node:path';
import { findRule } from '../rules';
import type { Finding, FixSuggestion, Range, RelatedLocation, Severity } from '../../shared/findings';
import type { ExecutionContext, FunctionInfo, Program } from './program';
import type { Span, StatementSite } from './summary';

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

/** Display name of a state or lock key: `Account._lock`, `bank.LOCK`, `counter`. */
export function keyName(key: string): string {
  const colon = key.indexOf(':');
  const module = key.slice(0, colon).replace(/@.*$/, '');
  const rest = key.slice(colon + 1);
  if (rest.includes('#')) return rest.slice(rest.indexOf('#') + 1);
  if (rest.startsWith('*.')) return rest;
  return rest.includes('.') ? rest : `${module}.${rest}`;
}

const KIND_LABELS: Record<string, string> = {
  thread: 'thread',
  timer: 'timer thread',
  'thread-pool': 'pool task',
  'to-thread': 'asyncio.to_thread worker',
  process: 'process',
  'process-pool': 'process-pool task',
  task: 'asyncio task',
};

export function contextLabel(program: Program, id: string, from: FunctionInfo): string {
  const context = program.context(id);
  if (!context) return 'unknown context';
  const where = context.spawner.file === from.file ? '' : ` of ${path.basename(context.spawner.file)}`;
  if (program.isParentContext(id)) return `the code that starts it, after line ${line(context.spawn.span)}${where}`;
  if (context.spawn.target === context.spawner.key && context.spawner.handler) return 'a request/event handler (concurrent invocations)';
  const many = context.many ? ', several at once' : '';
  return `${KIND_LABELS[context.spawn.kind] ?? context.spawn.kind} started at line ${line(context.spawn.span)}${where}${many}`;
}

export function spawnRelated(program: Program, ids: string[]): RelatedLocation[] {
  const seen = new Set<string>();
  const out: RelatedLocation[] = [];
  for (const id of ids) {
    const context: ExecutionContext | undefined = program.context(id);
    if (!context || seen.has(context.id)) continue;
    seen.add(context.id);
    out.push({
      file: context.spawner.file,
      range: toRange(context.spawn.span),
      message: `${KIND_LABELS[context.spawn.kind] ?? context.spawn.kind} running \`${fnName(context.target)}\` starts here`,
    });
  }
  return out;
}

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
  return { ruleId, severity, message, file, range: toRange(span), related, fixes };
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
