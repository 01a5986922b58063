import type { Finding } from '../../shared/findings';
import { findRule } from '../rules';
import type { LockOrderEdge } from './locks';

/**
 * Closes the lock nestings of every file into one order graph per lock family and reports each
 * inversion once: lock A taken inside B somewhere, B taken inside A elsewhere (ABBA). Any two
 * async flows can interleave at the acquisition, which itself suspends, so any inversion can hang.
 */
export function lockOrderFindings(edges: readonly LockOrderEdge[]): Finding[] {
  const findings: Finding[] = [];
  const byPair = new Map<string, LockOrderEdge>();
  const sorted = [...edges].sort((a, b) => a.file.localeCompare(b.file) || a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
  for (const edge of sorted) {
    const key = `${edge.kind}|${edge.outer}|${edge.inner}`;
    if (!byPair.has(key)) byPair.set(key, edge);
  }
  const reported = new Set<string>();
  for (const edge of byPair.values()) {
    const reverse = byPair.get(`${edge.kind}|${edge.inner}|${edge.outer}`);
    const pair = [edge.outer, edge.inner].sort().join('|');
    if (!reverse || reported.has(`${edge.kind}|${pair}`)) continue;
    reported.add(`${edge.kind}|${pair}`);
    const ruleId = edge.kind === 'web-lock' ? 'JS-LOCK-003' : 'JS-LOCK-001';
    const what = edge.kind === 'web-lock' ? 'Web Locks' : 'async mutexes';
    findings.push({
      ruleId,
      severity: findRule(ruleId)?.defaultSeverity ?? 'error',
      message:
        `Lock-order inversion between ${what}: \`${edge.functionName}\` takes \`${edge.inner}\` while holding \`${edge.outer}\`, ` +
        `but \`${reverse.functionName}\` takes \`${reverse.outer}\` then \`${reverse.inner}\` — the opposite order. ` +
        'When both flows run at once each can hold one lock and wait forever for the other. Take the locks in one global order everywhere.',
      file: edge.file,
      range: edge.range,
      related: [
        { file: edge.file, range: edge.outerRange, message: `\`${edge.outer}\` held from here` },
        { file: reverse.file, range: reverse.range, message: `\`${reverse.inner}\` taken while holding \`${reverse.outer}\` (opposite order)` },
        { file: reverse.file, range: reverse.outerRange, message: `\`${reverse.outer}\` held from here` },
      ],
      fixes: [],
    });
  }
  return findings;
}
