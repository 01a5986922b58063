/**
 * The scaling chart (small, so SVG): median speedup per pool kind versus workers with the
 * min–max spread of repetitions, efficiency on a second axis, and the ideal line.
 */
import { axisBottom, axisLeft, axisRight, line, max, scaleLinear, select } from 'd3';
import type { TraceHeader } from '../shared/webview-protocol';
import type { Palette } from './theme';
import { el } from './dom';
import { formatPercent } from './format';
import { scalingSeries, type ScalingPoint } from './stats';

const W = 420;
const H = 230;
const M = { top: 12, right: 44, bottom: 34, left: 40 };

export function scalingChart(header: TraceHeader, palette: Palette): HTMLElement {
  const section = el('section', { className: 'scaling', attrs: { 'aria-label': 'Scaling chart' } }, [el('h2', { text: 'Scaling' })]);
  const points = scalingSeries(header).filter((p) => p.kind !== 'serial');
  if (points.length === 0) {
    section.append(el('p', { text: 'No pool runs with a speedup to chart.' }));
    return section;
  }
  const maxWorkers = max(points, (p) => p.workers) ?? 1;
  const maxSpeed = Math.max(maxWorkers, max(points, (p) => p.maxSpeedup) ?? 1);
  const x = scaleLinear().domain([0, maxWorkers]).range([M.left, W - M.right]).nice();
  const y = scaleLinear().domain([0, maxSpeed]).range([H - M.bottom, M.top]).nice();
  const yEfficiency = scaleLinear().domain([0, Math.max(1.2, max(points, (p) => p.efficiency) ?? 1)]).range([H - M.bottom, M.top]).nice();
  const svg = select(section)
    .append('svg')
    .attr('viewBox', `0 0 ${W} ${H}`)
    .attr('width', W)
    .attr('height', H)
    .attr('role', 'img')
    .attr('aria-label', describe(points));
  svg.append('g').attr('class', 'axis').attr('transform', `translate(0,${H - M.bottom})`).call(axisBottom(x).ticks(Math.min(maxWorkers, 8)).tickFormat((d) => String(d)));
  svg.append('g').attr('class', 'axis').attr('transform', `translate(${M.left},0)`).call(axisLeft(y).ticks(5).tickFormat((d) => `${d}x`));
  svg.append('g').attr('class', 'axis').attr('transform', `translate(${W - M.right},0)`).call(axisRight(yEfficiency).ticks(4).tickFormat((d) => formatPercent(Number(d))));
  svg.append('text').attr('x', (M.left + W - M.right) / 2).attr('y', H - 4).attr('text-anchor', 'middle').text('workers');
  svg.append('line').attr('class', 'ideal').attr('x1', x(0)).attr('y1', y(0)).attr('x2', x(maxWorkers)).attr('y2', y(maxWorkers));
  const palettes: Record<string, string> = { thread: palette.states.running, process: palette.states.io, async: palette.states.loopBusy, dask: palette.states.schedulerWait };
  const colours = Object.fromEntries([...new Set(points.map((p) => p.kind))].map((kind) => [kind, palettes[kind] ?? palette.muted]));
  const speedLine = line<ScalingPoint>().x((p) => x(p.workers)).y((p) => y(p.medianSpeedup));
  const efficiencyLine = line<ScalingPoint>().x((p) => x(p.workers)).y((p) => yEfficiency(p.efficiency));
  for (const [kind, colour] of Object.entries(colours)) {
    const series = points.filter((p) => p.kind === kind);
    const group = svg.append('g').attr('data-kind', kind);
    group.append('path').attr('class', 'series').style('stroke', colour).attr('d', speedLine(series));
    group.append('path').attr('class', 'series efficiency').style('stroke', colour).style('opacity', '0.6').attr('d', efficiencyLine(series));
    group
      .selectAll('line.spread')
      .data(series)
      .join('line')
      .attr('class', 'spread')
      .style('stroke', colour)
      .attr('x1', (p) => x(p.workers))
      .attr('x2', (p) => x(p.workers))
      .attr('y1', (p) => y(p.minSpeedup))
      .attr('y2', (p) => y(p.maxSpeedup));
    group
      .selectAll('circle')
      .data(series)
      .join('circle')
      .attr('r', 3.5)
      .attr('cx', (p) => x(p.workers))
      .attr('cy', (p) => y(p.medianSpeedup))
      .style('fill', colour)
      .append('title')
      .text((p) => `${p.kind} × ${p.workers}: ${p.medianSpeedup.toFixed(2)}x (range ${p.minSpeedup.toFixed(2)}–${p.maxSpeedup.toFixed(2)}, ${p.repetitions} repetitions), ${formatPercent(p.efficiency)} efficient`);
  }
  const legend = el('ul', { className: 'legend' });
  for (const [kind, colour] of Object.entries(colours)) {
    const swatch = el('span', { className: 'swatch' });
    swatch.style.background = colour;
    legend.append(el('li', {}, [swatch, `${kind === 'thread' || kind === 'process' ? `${kind} pool` : kind}: speedup (solid), efficiency (dotted, right axis)`]));
  }
  legend.append(el('li', { text: 'dashed: ideal (speedup = workers); bars: spread of repetitions' }));
  section.append(legend);
  return section;
}

function describe(points: ScalingPoint[]): string {
  return `Speedup versus workers. ${points.map((p) => `${p.kind} ${p.workers}: ${p.medianSpeedup.toFixed(2)}x`).join('; ')}`;
}
