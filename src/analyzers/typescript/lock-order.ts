import type { Finding } from '../../shared/findings';
import { findRule } from '../rules';
import type { LockOrderEdge } from './locks';

/** Longer cycles than this are theoretical; real inversions involve two or three locks. */
const MAX_CYCLE = 5;

/**
 * Closes the lock nestings of every file into one order graph per lock family and reports each
 * cycle once: lock A taken inside B somewhere, B inside A elsewhere (ABBA), or a longer ring.
 * Taking a lock suspends, so any two async flows can interleave there: any cycle can hang.
 */
export function lockOrderFindings(edges: readonly LockOrderEdge[]): Finding[] {
  const sorted = [...edges].sort((a, b) => a.file.localeCompare(b.file) || a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
  const first = new Map<string, LockOrderEdge>();
  for (const edge of sorted) {
    const key = `${edge.kind}|${edge.outer}|${edge.inner}`;
    if (!first.has(key)) first.set(key, edge);
  }
  const successors = new Map<string, LockOrderEdge[]>();
  for (const edge of first.values()) {
    const from = `${edge.kind}|${edge.outer}`;
    successors.set(from, [...(successors.get(from) ?? []), edge]);
  }
  const findings: Finding[] = [];
  const reported = new Set<string>();
  for (const start of first.values()) {
    const cycle = shortestCycle(start, successors);
    if (!cycle) continue;
    const identity = `${start.kind}|${cycle.map((e) => e.outer).sort().join('|')}`;
    if (reported.has(identity)) continue;
    reported.add(identity);
    findings.push(cycleFinding(cycle));
  }
  return findings;
}

/** The shortest path of edges from `start.inner` back to `start.outer`, `start` first. */
function shortestCycle(start: LockOrderEdge, successors: Map<string, LockOrderEdge[]>): LockOrderEdge[] | undefined {
  const target = start.outer;
  let frontier: LockOrderEdge[][] = [[start]];
  const seen = new Set([start.inner]);
  for (let length = 1; length < MAX_CYCLE && frontier.length > 0; length++) {
    const next: LockOrderEdge[][] = [];
    for (const path of frontier) {
      const last = path[path.length - 1];
      for (const edge of successors.get(`${start.kind}|${last.inner}`) ?? []) {
        if (edge.inner === target) return [...path, edge];
        if (seen.has(edge.inner)) continue;
        seen.add(edge.inner);
        next.push([...path, edge]);
      }
    }
    frontier = next;
  }
  return undefined;
}

function cycleFinding(cycle: LockOrderEdge[]): Finding {
  const [edge] = cycle;
  const ruleId = edge.kind === 'web-lock' ? 'JS-LOCK-003' : 'JS-LOCK-001';
  const locks = cycle.map((e) => `\`${e.outer}\``).join(cycle.length === 2 ? ' and ' : ', ');
  // Two orders fit in the sentence; a longer ring is listed in the related locations.
  const orders = cycle.length === 2 ? cycle.map((e) => `\`${e.functionName}\` takes \`${e.inner}\` inside \`${e.outer}\``).join(', ') : `a ring of ${cycle.length} nestings`;
  return {
    ruleId,
    severity: findRule(ruleId)?.defaultSeverity ?? 'error',
    message: `${locks} are taken in opposite orders (${orders}), so these flows can deadlock when they run at once; take the locks in one global order everywhere.`,
    file: edge.file,
    range: edge.range,
    related: cycle.flatMap((e, index) => [
      ...(index === 0 ? [] : [{ file: e.file, range: e.range, message: `\`${e.inner}\` taken while holding \`${e.outer}\`` }]),
      { file: e.file, range: e.outerRange, message: `\`${e.outer}\` held from here` },
    ]),
    fixes: [],
  };
}
