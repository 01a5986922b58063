/** The verdict card: what to use, how many workers, what holds it back, how sure we are. */
import type { TraceHeader } from '../shared/webview-protocol';
import { bottleneckText, recommendationText, speedupText } from '../shared/verdict-words';
import { el } from './dom';

export function verdictCard(header: TraceHeader): HTMLElement {
  const card = el('section', { className: 'verdict', testId: 'verdict', attrs: { 'aria-label': 'Verdict' } });
  const target = header.target;
  const node = target.runtime === 'node';
  const runtime = node ? `Node.js ${target.interpreterVersion}${target.node?.transpiled ? ' (TypeScript transpiled with esbuild)' : ''}` : `Python ${target.interpreterVersion}${target.gilEnabled ? '' : ' (GIL disabled)'}`;
  const subject = el('div', { className: 'facts', text: `${target.function} in ${target.file} · ${target.taskCount} tasks · ${header.host.cpusUsable} usable CPUs · ${runtime}` });
  const verdict = header.verdict;
  if (!verdict) {
    const headline = header.runs.length === 0 ? 'No run was recorded, so there is no timeline to draw.' : 'No verdict: the profile did not complete.';
    card.append(el('div', { className: 'headline', text: headline }), subject);
  } else {
    card.append(
      el('div', { className: 'headline', text: `${recommendationText(verdict, target.runtime)}: ${speedupText(verdict)}` }),
      el('div', { className: 'sentence', text: verdict.summary }),
      el('div', {
        className: 'facts',
        text: `Bottleneck: ${bottleneckText(verdict.bottleneck, target.runtime)} · Confidence: ${verdict.confidence}${verdict.withinNoise ? ' · differences are within noise' : ''}`,
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
