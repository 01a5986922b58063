/**
 * Lock-order graph in the lockdep style: a lock is identified by its creation site, every
 * "held A while acquiring B" adds the edge A→B, and a cycle is a deadlock risk even when the
 * run that observed it did not hang.
 */
import type { LockOrderCycle, LockOrderEdge, SourceSite } from '../shared/trace';

const siteKey = (site: SourceSite): string => `${site.file}:${site.line}`;

/** Keeps the first observation of each ordered pair (its stack is the evidence). */
export function dedupeEdges(edges: LockOrderEdge[]): LockOrderEdge[] {
  const seen = new Map<string, LockOrderEdge>();
  for (const edge of edges) {
    const key = `${siteKey(edge.from)}->${siteKey(edge.to)}`;
    if (!seen.has(key)) seen.set(key, edge);
  }
  return [...seen.values()];
}

/** Elementary cycles, each reported once (rotated to start at its smallest site). */
export function findCycles(edges: LockOrderEdge[]): LockOrderCycle[] {
  const outgoing = new Map<string, LockOrderEdge[]>();
  for (const edge of edges) {
    const list = outgoing.get(siteKey(edge.from)) ?? [];
    list.push(edge);
    outgoing.set(siteKey(edge.from), list);
  }
  const cycles = new Map<string, LockOrderCycle>();
  const walk = (start: string, path: LockOrderEdge[], visited: Set<string>): void => {
    const here = path.length === 0 ? start : siteKey(path[path.length - 1].to);
    for (const edge of outgoing.get(here) ?? []) {
      const next = siteKey(edge.to);
      if (next === start) {
        const cycleEdges = [...path, edge];
        const keys = cycleEdges.map((e) => siteKey(e.from));
        const smallest = keys.indexOf([...keys].sort()[0]);
        const rotated = [...cycleEdges.slice(smallest), ...cycleEdges.slice(0, smallest)];
        const id = rotated.map((e) => siteKey(e.from)).join('|');
        if (!cycles.has(id)) cycles.set(id, { sites: rotated.map((e) => e.from), edges: rotated });
      } else if (!visited.has(next) && next > start) {
        // Only extend through sites greater than the start: each cycle is found from its smallest site.
        visited.add(next);
        walk(start, [...path, edge], visited);
        visited.delete(next);
      }
    }
  };
  for (const start of outgoing.keys()) walk(start, [], new Set([start]));
  return [...cycles.values()];
}
