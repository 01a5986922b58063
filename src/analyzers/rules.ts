import type { Severity } from '../shared/findings';

export type RuleLanguage = 'python' | 'javascript';

export interface RuleInfo {
  id: string;
  language: RuleLanguage;
  /** One line: what the rule finds (SARIF `shortDescription`, quick-pick label). */
  title: string;
  /** Level used when the code shows evidence of concurrency (the precision gate is per finding). */
  defaultSeverity: Severity;
}

/** Where the README documents each rule; diagnostics and SARIF link here. */
export const DOCS_BASE_URL = 'https://github.com/conclens/concurrency-lens/blob/main/README.md';

export function ruleHelpUri(ruleId: string): string {
  return `${DOCS_BASE_URL}#${ruleId.toLowerCase()}`;
}

const rule = (id: string, title: string, defaultSeverity: Severity = 'warning'): RuleInfo => ({
  id,
  language: id.startsWith('PY-') ? 'python' : 'javascript',
  title,
  defaultSeverity,
});

/** The catalogue of `../shared/docs/rules.md`; ids are part of the product's interface. */
export const RULES: readonly RuleInfo[] = [
  rule('PY-RACE-001', 'Unsynchronised read-modify-write of shared state reached from two or more thread contexts'),
  rule('PY-RACE-002', 'Check-then-act on a shared container or attribute without a lock'),
  rule('PY-RACE-003', 'Lazy initialisation or double-checked locking done outside the lock'),
  rule('PY-RACE-004', 'Inconsistent locking: state guarded by a lock in one place, written bare elsewhere'),
  rule('PY-RACE-005', 'Iterating a shared container while another thread context mutates it'),
  rule('PY-RACE-006', 'Compound update that is not atomic even under the GIL'),
  rule('PY-RACE-007', 'Decision split across two critical sections'),
  rule('PY-ASYNC-001', 'Shared state read before an await and written after it'),
  rule('PY-ASYNC-002', 'Check-then-act spanning an await (duplicate initialisation, cache stampede)'),
  rule('PY-ASYNC-003', 'A blocking threading lock held across await', 'error'),
  rule('PY-ASYNC-004', 'asyncio object touched from another thread without call_soon_threadsafe or run_coroutine_threadsafe'),
  rule('PY-ASYNC-005', 'A waiter future overwritten, bypassed or mistaken for pending by another task'),
  rule('PY-ASYNC-006', 'A server started while the initialisation its handlers need still runs'),
  rule('PY-MP-001', 'Read-modify-write of multiprocessing.Value/Array without get_lock()'),
  rule('PY-MP-002', 'Process-isolation misconception: a worker mutates a module global the parent reads'),
  rule('PY-FUT-001', 'Pool-starvation deadlock: a task blocks on a future of the same bounded pool', 'error'),
  rule('PY-DL-001', 'Lock-order inversion between code paths that can run concurrently', 'error'),
  rule('PY-DL-002', 'Re-acquiring a non-reentrant Lock on the same path (self-deadlock)', 'error'),
  rule('PY-DL-003', 'Acquire without guaranteed release on the exception path'),
  rule('PY-DL-004', 'Waiting for a thread or future while holding a lock it needs', 'error'),
  rule('PY-DL-005', 'Condition.wait() outside a predicate loop, or notify without holding the lock'),
  rule('JS-ASYNC-001', 'Non-local state read before await and written after it (lost update)'),
  rule('JS-ASYNC-002', 'Check-then-act across await (double initialisation, cache stampede)'),
  rule('JS-ASYNC-003', 'Stale snapshot used after await to decide a write'),
  rule('JS-ASYNC-004', 'Concurrent fan-out mutating a shared accumulator across awaits'),
  rule('JS-ASYNC-005', 'Async event or request handler doing read-modify-write on shared state across await'),
  rule('JS-ASYNC-006', 'External-resource check-then-act across async calls (file, port, row)'),
  rule('JS-ASYNC-007', 'Object acted on after a suspension without checking again the closing flag it checked before'),
  rule('JS-ASYNC-008', 'Lost wake-up: waiting for a one-shot event that may already have fired'),
  rule('JS-ASYNC-009', 'Work in flight released before the callback it started has finished'),
  rule('JS-SAB-001', 'Plain read-modify-write on a SharedArrayBuffer view shared with a worker'),
  rule('JS-SAB-002', 'Mixed atomic and plain access to the same shared index'),
  rule('JS-SAB-003', 'Blocking Atomics.wait on the main (event-loop) thread', 'error'),
  rule('JS-WRK-001', 'Worker-isolation misconception: mutating a non-shared object expected to be seen across threads'),
  rule('JS-LOCK-001', 'Lock-order inversion between async mutexes', 'error'),
  rule('JS-LOCK-002', 'Re-entrant acquisition of a non-reentrant async mutex (self-deadlock)', 'error'),
  rule('JS-LOCK-003', 'Nested navigator.locks.request in inconsistent order', 'error'),
  rule('JS-LOCK-004', 'Release not in finally, or released before the protected work finishes'),
  rule('JS-LOCK-005', 'Awaiting a lock event that the same flow blocks', 'error'),
];

const byId = new Map(RULES.map((r) => [r.id, r]));

export function findRule(ruleId: string): RuleInfo | undefined {
  return byId.get(ruleId);
}
