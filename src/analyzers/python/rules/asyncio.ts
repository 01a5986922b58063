import type { Finding } from '../../../shared/findings';
import { isThreadingLockKind } from '../kinds';
import type { FunctionInfo, Program } from '../program';
import { contextLabel, fnName, keyName, line, makeFinding, spawnRelated, toRange } from '../report';

/**
 * PY-ASYNC-001..004. Code between two awaits is atomic under asyncio, so only state read
 * before an await and written after it can be lost, and only when the coroutine can overlap
 * with itself or another writer: it is started as a task several times, fanned out with
 * `gather`, registered as a request/event handler, or another task writes the same state.
 */
export function asyncFindings(program: Program): Finding[] {
  const findings: Finding[] = [];
  for (const fn of program.functions.values()) {
    if (fn.isAsync) {
      for (const update of fn.awaitUpdates) {
        if (update.locks.length > 0) continue;
        const overlap = overlapOf(program, fn, update.write.line, update.key);
        if (!overlap) continue;
        const message =
          `\`${update.text}\` in \`${fnName(fn)}\` writes \`${keyName(update.key)}\` from a value read before an await ` +
          `(line ${line(update.read)}), and ${overlap.label}: another task can update it in between and the update is lost. ` +
          'Re-read after the await, update in one step without awaiting in between, or hold an asyncio.Lock.';
        findings.push(
          makeFinding('PY-ASYNC-001', true, fn.file, update.write, message, [
            { file: fn.file, range: toRange(update.read), message: 'read before the await' },
            ...overlap.related,
          ]),
        );
      }
      for (const act of fn.checkActs) {
        if (!act.awaitBetween) continue;
        const overlap = overlapOf(program, fn, act.write.line, act.key);
        if (!overlap) continue;
        const message =
          `\`${act.checkText}\` (line ${line(act.check)}) is checked before an await and \`${act.writeText}\` acts on it after, ` +
          `in \`${fnName(fn)}\`, and ${overlap.label}: two tasks can both pass the check (duplicate initialisation, cache stampede). ` +
          'Store the pending task/future before awaiting, or hold an asyncio.Lock across check and update.';
        findings.push(
          makeFinding('PY-ASYNC-002', true, fn.file, act.write, message, [
            { file: fn.file, range: toRange(act.check), message: 'the check' },
            ...overlap.related,
          ]),
        );
      }
      for (const held of fn.lockAcrossAwait) {
        if (!isThreadingLockKind(program.kindOf(held.lock))) continue;
        const message =
          `\`with ${held.expr}:\` in coroutine \`${fnName(fn)}\` holds a threading lock across an await (line ${line(held.awaitSpan)}): ` +
          'another task that takes the lock blocks the event loop thread, and with it the task holding the lock (deadlock). ' +
          'Use an asyncio.Lock with `async with`.';
        findings.push(
          makeFinding('PY-ASYNC-003', true, fn.file, held.withSpan, message, [
            { file: fn.file, range: toRange(held.awaitSpan), message: 'await while the lock is held' },
          ]),
        );
      }
    }
    if (fn.asyncioUses.length > 0) findings.push(...crossThreadUses(program, fn));
  }
  return findings;
}

function overlapOf(program: Program, fn: FunctionInfo, lineNo: number, key: string) {
  const ids = program.contextsAt(fn, lineNo, program.isTaskContext).filter((id) => !program.isParentContext(id));
  for (const id of ids) {
    if (program.concurrent(id, id, false)) {
      return { label: `it runs as ${contextLabel(program, id, fn)}`, related: spawnRelated(program, [id]) };
    }
  }
  if (ids.length >= 2) {
    return { label: `it runs in ${ids.length} concurrent tasks`, related: spawnRelated(program, ids) };
  }
  if (ids.length === 0) return undefined;
  for (const { fn: other, access } of program.accessesByKey.get(key) ?? []) {
    if (other === fn || !other.isAsync || access.kind === 'read' || access.kind === 'iterate') continue;
    const theirs = program.contextsAt(other, access.span.line, program.isTaskContext).filter((id) => !program.isParentContext(id));
    if (theirs.some((id) => !ids.includes(id))) {
      return {
        label: `\`${fnName(other)}\` writes it concurrently (line ${line(access.span)})`,
        related: [{ file: other.file, range: toRange(access.span), message: 'concurrent writer' }, ...spawnRelated(program, [...ids, ...theirs])],
      };
    }
  }
  return undefined;
}

function crossThreadUses(program: Program, fn: FunctionInfo): Finding[] {
  const ids = program.contextsAt(fn, fn.span.line, program.isThreadContext).filter((id) => !program.isParentContext(id));
  if (ids.length === 0) return [];
  const findings: Finding[] = [];
  for (const use of fn.asyncioUses) {
    const kind = program.kindOf(use.key) ?? use.kind;
    if (!kind.startsWith('aio.')) continue;
    const fixHint = kind === 'aio.Loop'
      ? 'Use `loop.call_soon_threadsafe(...)` or `asyncio.run_coroutine_threadsafe(...)`.'
      : `Use \`loop.call_soon_threadsafe(${keyName(use.key)}.${use.method}, ...)\` or \`asyncio.run_coroutine_threadsafe\`.`;
    const message =
      `\`${keyName(use.key)}.${use.method}()\` in \`${fnName(fn)}\` (${contextLabel(program, ids[0]!, fn)}) touches an asyncio ` +
      `${kind.slice(4)} from another thread: asyncio objects are not thread-safe and the event loop is not woken up. ${fixHint}`;
    findings.push(makeFinding('PY-ASYNC-004', true, fn.file, use.span, message, spawnRelated(program, ids)));
  }
  return findings;
}
