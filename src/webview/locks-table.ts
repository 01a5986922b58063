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
    const columns: [label: string, numeric: boolean][] = [
      ['Created at', false],
      ['Kind', false],
      ['Total wait', true],
      ['Median wait (shown runs)', true],
      ['Max wait', true],
      ['Acquisitions', true],
      ['Contended', true],
      ['Holders (shown runs)', true],
    ];
    const head = el('tr', {}, columns.map(([label, numeric]) => el('th', { className: numeric ? 'number' : '', text: label, attrs: { scope: 'col' } })));
    // Each cell carries its column's name: a narrow column shows every row as a card of "name value" lines.
    const cell = (column: number, content: string | Node) =>
      el('td', { className: columns[column]![1] ? 'number' : '', attrs: { 'data-label': columns[column]![0] } }, [content]);
    const body = el('tbody');
    for (const row of rows) {
      const where = `${row.site.file}:${row.site.line}`;
      body.append(
        el('tr', {}, [
          cell(0, siteLink(where, `Open ${where}`, () => reveal(row.site))),
          cell(1, row.kind),
          cell(2, formatDuration(row.totalWaitNs)),
          cell(3, row.medianWaitNs === null ? '–' : formatDuration(row.medianWaitNs)),
          cell(4, formatDuration(row.maxWaitNs)),
          cell(5, formatCount(row.acquisitions)),
          cell(6, formatCount(row.contended)),
          cell(7, formatCount(row.holders)),
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
