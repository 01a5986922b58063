/** The locks table and the lock-order cycles, each site a control that reveals its source. */
import type { TraceModel } from './model';
import { el, siteLink } from './dom';
import { formatCount, formatDuration } from './format';
import { cycleRows, lockRows } from './stats';

export type RevealSite = (site: { file: string; line: number }) => void;

export function locksSection(model: TraceModel, runIndexes: readonly number[], reveal: RevealSite): HTMLElement {
  const section = el('section', { className: 'locks', attrs: { 'aria-label': 'Locks' } }, [el('h2', { text: 'Locks' })]);
  const rows = lockRows(model, runIndexes);
  if (rows.length === 0) {
    section.append(el('p', { text: 'No instrumented lock was acquired.' }));
  } else {
    const head = el('tr', {}, [
      el('th', { text: 'Created at', attrs: { scope: 'col' } }),
      el('th', { text: 'Kind', attrs: { scope: 'col' } }),
      el('th', { className: 'number', text: 'Total wait', attrs: { scope: 'col' } }),
      el('th', { className: 'number', text: 'Median wait (shown runs)', attrs: { scope: 'col' } }),
      el('th', { className: 'number', text: 'Max wait', attrs: { scope: 'col' } }),
      el('th', { className: 'number', text: 'Acquisitions', attrs: { scope: 'col' } }),
      el('th', { className: 'number', text: 'Contended', attrs: { scope: 'col' } }),
      el('th', { className: 'number', text: 'Holders (shown runs)', attrs: { scope: 'col' } }),
    ]);
    const body = el('tbody');
    for (const row of rows) {
      const where = `${row.site.file}:${row.site.line}`;
      body.append(
        el('tr', {}, [
          el('td', {}, [siteLink(where, `Open ${where}`, () => reveal(row.site))]),
          el('td', { text: row.kind }),
          el('td', { className: 'number', text: formatDuration(row.totalWaitNs) }),
          el('td', { className: 'number', text: row.medianWaitNs === null ? '–' : formatDuration(row.medianWaitNs) }),
          el('td', { className: 'number', text: formatDuration(row.maxWaitNs) }),
          el('td', { className: 'number', text: formatCount(row.acquisitions) }),
          el('td', { className: 'number', text: formatCount(row.contended) }),
          el('td', { className: 'number', text: formatCount(row.holders) }),
        ]),
      );
    }
    section.append(el('table', { testId: 'locks-table' }, [el('thead', {}, [head]), body]));
  }
  const cycles = cycleRows(model.header.lockOrder.cycles);
  section.append(el('h2', { text: 'Lock-order cycles' }));
  if (cycles.length === 0) {
    section.append(el('p', { text: 'No lock-order cycle was observed.' }));
    return section;
  }
  const list = el('ul', { testId: 'lock-cycles' });
  for (const cycle of cycles) {
    const steps = el('ul');
    for (const step of cycle.steps) {
      const item = el('li', {}, [`holds ${step.from.file}:${step.from.line}, then takes ${step.to.file}:${step.to.line}`]);
      if (step.acquiredAt) {
        const at = step.acquiredAt;
        item.append(' at ', siteLink(`${at.file}:${at.line} (${at.function})`, `Open ${at.file}:${at.line}`, () => reveal(at)));
      }
      steps.append(item);
    }
    list.append(el('li', {}, [el('strong', { text: `Deadlock risk: ${cycle.text}` }), steps]));
  }
  section.append(list);
  return section;
}
