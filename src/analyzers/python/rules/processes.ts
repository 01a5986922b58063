import type { Finding } from '../../../shared/findings';
import type { FunctionInfo, Program } from '../program';
import type { Span } from '../summary';
import { at, contextPhrase, contextRelated, fnName, keyName, line, makeFinding, toRange } from '../report';

/**
 * PY-MP-001, PY-MP-002 and PY-FUT-001: shared-memory counters without their lock, process
 * isolation mistaken for shared memory, and pool tasks that wait on their own pool.
 */
export function processFindings(program: Program): Finding[] {
  const findings: Finding[] = [];
  for (const context of program.contexts.values()) {
    const { spawn, target, spawner } = context;
    if (program.isProcessContext(context)) {
      for (const update of target.mpUpdates) {
        const kind = update.param >= 0 ? spawn.argKinds[update.param] ?? undefined : program.kindOf(update.key);
        if (kind !== 'mp.Value' && kind !== 'mp.Array') continue;
        const name = update.param >= 0 ? target.params[update.param] ?? 'value' : keyName(update.key);
        const message =
          `\`${name}\` (a shared multiprocessing.${kind.slice(3)}) is updated with \`+=\` in ${at(target, update.span)} by ` +
          `${contextPhrase(program, context.id, target)} without its lock; wrap the update in \`with ${name}.get_lock():\`.`;
        findings.push(makeFinding('PY-MP-001', true, target.file, update.span, message, [
          { file: target.file, range: toRange(update.span), message: `the update: \`${update.text}\`` },
          ...contextRelated(program, [context.id], target),
        ]));
      }
      findings.push(...isolationFindings(program, context.id));
    }
    if (spawn.executor && spawn.kind === 'thread-pool') {
      for (const reached of program.reachable(target)) {
        // A pool the function creates for itself is a new pool in each call: the task that runs
        // that function again waits on its own pool, not on the one it runs in.
        if (spawn.executor.startsWith(`${reached.key}#`)) continue;
        const wait = reached.poolWaits.find((w) => w.executor === spawn.executor) ?? joinOnPool(reached, spawn.executor);
        if (!wait) continue;
        const message =
          `\`${keyName(spawn.executor)}\` runs \`${fnName(target)}\` (submitted at line ${line(spawn.span)}), which waits on work of the same ` +
          `pool in ${at(reached, wait.span)}, so once every worker waits the inner tasks never run; give the inner work its own executor.`;
        findings.push(
          makeFinding('PY-FUT-001', true, reached.file, wait.span, message, [
            { file: spawner.file, range: toRange(spawn.span), message: 'the outer task is submitted here' },
            { file: reached.file, range: toRange(wait.span), message: `the wait: \`${wait.text}\`` },
          ]),
        );
        break;
      }
    }
  }
  return findings;
}

/** `wait(futures)` / `f.result()` on futures the function itself submitted to `executor`. */
function joinOnPool(fn: FunctionInfo, executor: string): { span: Span; text: string } | undefined {
  for (const join of fn.joins) {
    const submitted = fn.spawns.some((s) => s.executor === executor && s.handle === join.handle && s.span.line < join.span.line);
    if (submitted) return { span: join.span, text: `waiting at line ${join.span.line + 1} for tasks submitted to the same pool` };
  }
  return undefined;
}

/** PY-MP-002: a process worker mutates a module global that the parent reads afterwards. */
function isolationFindings(program: Program, contextId: string): Finding[] {
  const context = program.context(contextId)!;
  const findings: Finding[] = [];
  const reported = new Set<string>();
  for (const worker of program.reachable(context.target)) {
    for (const access of worker.accesses) {
      if (access.kind === 'read' || access.kind === 'iterate' || reported.has(access.key)) continue;
      const path = access.key.slice(access.key.indexOf(':') + 1);
      if (path.includes('.') || path.includes('#') || !program.isProjectState(access.key)) continue;
      const parentRead = context.spawner.accesses.find(
        (a) => a.key === access.key && (a.kind === 'read' || a.kind === 'iterate') && a.span.line > context.spawn.span.endLine,
      );
      if (!parentRead) continue;
      reported.add(access.key);
      const message =
        `\`${keyName(access.key)}\` is changed in ${at(worker, access.span)} inside worker processes, so the parent's read at line ` +
        `${line(parentRead.span)} never sees it; return the value from the worker, or use a multiprocessing Queue or Manager.`;
      findings.push(
        makeFinding('PY-MP-002', true, worker.file, access.span, message, [
          { file: context.spawner.file, range: toRange(parentRead.span), message: 'the parent reads its own copy here' },
          ...contextRelated(program, [contextId], worker),
        ]),
      );
    }
  }
  return findings;
}
