/** The verdict card: what to use, how many workers, what holds it back, how sure we are. */
import type { TraceHeader } from '../shared/webview-protocol';
import { el } from './dom';

const BOTTLENECK_TEXT: Record<string, string> = {
  gil: 'the GIL',
  cpu: 'CPU (cores saturated)',
  io: 'I/O or sleep',
  lock: 'a lock',
  ipc: 'moving arguments and results (pickling, structured clone)',
  overhead: 'pool overhead (tasks too small)',
  imbalance: 'load imbalance',
  oversubscription: 'too many workers (runqueue wait)',
  memory: 'memory',
  gc: 'garbage collection',
  none: 'nothing significant',
};

/** Node's names for its kinds; Python's pools keep theirs. */
function recommendationText(recommendation: string, workers: number, node: boolean): string {
  if (recommendation === 'serial') return 'Run serially';
  const count = `${workers} worker${workers === 1 ? '' : 's'}`;
  if (!node) return `Use a ${recommendation} pool with ${count}`;
  if (recommendation === 'async') return `Run ${workers} calls at once on the event loop (no pool)`;
  return recommendation === 'thread' ? `Use a worker_threads pool with ${count}` : `Use a child_process pool with ${count}`;
}

export function verdictCard(header: TraceHeader): HTMLElement {
  const card = el('section', { className: 'verdict', testId: 'verdict', attrs: { 'aria-label': 'Verdict' } });
  const target = header.target;
  const node = target.runtime === 'node';
  const runtime = node ? `Node.js ${target.interpreterVersion}${target.node?.transpiled ? ' (TypeScript transpiled with esbuild)' : ''}` : `Python ${target.interpreterVersion}${target.gilEnabled ? '' : ' (GIL disabled)'}`;
  const subject = el('div', { className: 'facts', text: `${target.function} in ${target.file} · ${target.taskCount} tasks · ${header.host.cpusUsable} usable CPUs · ${runtime}` });
  const verdict = header.verdict;
  if (!verdict) {
    card.append(el('div', { className: 'headline', text: 'No verdict: the profile did not complete.' }), subject);
  } else {
    const pool = recommendationText(verdict.recommendation, verdict.workers, node);
    card.append(
      el('div', { className: 'headline', text: pool }),
      el('div', { className: 'sentence', text: verdict.summary }),
      el('div', {
        className: 'facts',
        text: `Bottleneck: ${BOTTLENECK_TEXT[verdict.bottleneck] ?? verdict.bottleneck} · Confidence: ${verdict.confidence}${verdict.withinNoise ? ' · differences are within noise' : ''}`,
      }),
      subject,
    );
  }
  const fatal = header.faults.filter((fault) => fault.fatal);
  for (const fault of fatal) card.append(el('div', { className: 'warning', text: `${fault.fault}: ${fault.message}` }));
  if (header.sampler.unavailable.length > 0) {
    card.append(el('div', { className: 'facts', text: `Not measured: ${header.sampler.unavailable.join('; ')}` }));
  }
  return card;
}
