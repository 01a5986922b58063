/** The verdict card: what to use, how many workers, what holds it back, how sure we are. */
import type { TraceHeader } from '../shared/webview-protocol';
import { el } from './dom';

const BOTTLENECK_TEXT: Record<string, string> = {
  gil: 'the GIL',
  cpu: 'CPU (cores saturated)',
  io: 'I/O or sleep',
  lock: 'a lock',
  ipc: 'inter-process transfer (pickling)',
  overhead: 'pool overhead (tasks too small)',
  imbalance: 'load imbalance',
  oversubscription: 'too many workers (runqueue wait)',
  memory: 'memory',
  scheduler: 'the Dask scheduler (latency per task)',
  none: 'nothing significant',
};

export function verdictCard(header: TraceHeader): HTMLElement {
  const card = el('section', { className: 'verdict', testId: 'verdict', attrs: { 'aria-label': 'Verdict' } });
  const target = header.target;
  const subject = el('div', { className: 'facts', text: `${target.function} in ${target.file} · ${target.taskCount} tasks · ${header.host.cpusUsable} usable CPUs · Python ${target.interpreterVersion}${target.gilEnabled ? '' : ' (GIL disabled)'}` });
  const verdict = header.verdict;
  if (!verdict) {
    card.append(el('div', { className: 'headline', text: 'No verdict: the profile did not complete.' }), subject);
  } else {
    const workers = `${verdict.workers} worker${verdict.workers === 1 ? '' : 's'}`;
    const pools: Record<string, string> = {
      serial: 'Run serially',
      async: `Keep up to ${verdict.workers} calls in flight on one event loop`,
      dask: `Use a Dask cluster with ${workers}`,
    };
    const pool = pools[verdict.recommendation] ?? `Use a ${verdict.recommendation} pool with ${workers}`;
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
