/**
 * The scaling chart (small, so SVG): median speedup per pool kind versus workers with the
 * min–max spread of repetitions, efficiency on a second axis, and the ideal line. It is drawn
 * at the width of its column (redrawn when the column changes), so its axes never reach into
 * the block beside it; each kind's series has its own marker shape as well as colour.
 */
import { axisBottom, axisLeft, axisRight, line, max, scaleLinear, select, symbol, symbolCircle, symbolDiamond, symbolSquare, symbolTriangle } from 'd3';
import type { TraceHeader } from '../shared/webview-protocol';
import type { Runtime } from '../shared/trace';
import { configurationName, kindName, TIMES } from '../shared/verdict-words';
import type { Palette } from './theme';
import { el } from './dom';
import { formatPercent, formatSpeedup } from './format';
import { scalingSeries, type ScalingPoint } from './stats';

const MAX_WIDTH = 520;
const MIN_WIDTH = 200;
const M = { top: 12, right: 44, bottom: 34, left: 40 };
// The async kind (calls in flight on one event loop) is drawn against its count like workers;
// a swatch is clipped to its marker's shape.
const SERIES = [
  { kind: 'thread', marker: symbolCircle, shape: 'circles', clip: null },
  { kind: 'process', marker: symbolSquare, shape: 'squares', clip: null },
  { kind: 'async', marker: symbolTriangle, shape: 'triangles', clip: 'polygon(50% 0, 100% 100%, 0 100%)' },
  { kind: 'dask', marker: symbolDiamond, shape: 'diamonds', clip: 'polygon(50% 0, 100% 50%, 50% 100%, 0 50%)' },
] as const;
type SeriesKind = (typeof SERIES)[number]['kind'];

export interface ScalingChart {
  readonly element: HTMLElement;
  setPalette(palette: Palette): void;
}

export function scalingChart(header: TraceHeader, initialPalette: Palette): ScalingChart {
  const section = el('section', { className: 'scaling', testId: 'scaling', attrs: { 'aria-label': 'Scaling chart' } }, [el('h2', { text: 'Scaling' })]);
  const points = scalingSeries(header).filter((p) => p.kind !== 'serial');
  if (points.length === 0) {
    section.append(el('p', { text: 'No pool runs with a speedup to chart.' }));
    return { element: section, setPalette: () => undefined };
  }
  const runtime = header.target.runtime;
  const plot = el('div', { className: 'plot' });
  const legend = el('ul', { className: 'legend' });
  section.append(plot, legend);
  let palette = initialPalette;
  let drawnWidth = 0;
  const draw = () => {
    const width = Math.round(Math.max(MIN_WIDTH, Math.min(MAX_WIDTH, plot.clientWidth || MAX_WIDTH)));
    drawnWidth = width;
    plot.replaceChildren(chartSvg(points, palette, width, runtime));
    legend.replaceChildren(...legendItems(points, palette, runtime));
  };
  new ResizeObserver(() => {
    const width = Math.round(Math.max(MIN_WIDTH, Math.min(MAX_WIDTH, plot.clientWidth)));
    if (plot.clientWidth > 0 && width !== drawnWidth) draw();
  }).observe(plot);
  draw();
  return {
    element: section,
    setPalette(next) {
      palette = next;
      draw();
    },
  };
}

function colours(palette: Palette): Record<SeriesKind, string> {
  return { thread: palette.states.running, process: palette.states.io, async: palette.states.loopBusy, dask: palette.states.schedulerWait };
}

function chartSvg(points: ScalingPoint[], palette: Palette, W: number, runtime: Runtime | undefined): SVGSVGElement {
  const H = Math.round(Math.max(170, Math.min(230, W * 0.55)));
  const maxWorkers = max(points, (p) => p.workers) ?? 1;
  const maxSpeed = Math.max(maxWorkers, max(points, (p) => p.maxSpeedup) ?? 1);
  const x = scaleLinear().domain([0, maxWorkers]).range([M.left, W - M.right]).nice();
  const y = scaleLinear().domain([0, maxSpeed]).range([H - M.bottom, M.top]).nice();
  const yEfficiency = scaleLinear().domain([0, Math.max(1.2, max(points, (p) => p.efficiency) ?? 1)]).range([H - M.bottom, M.top]).nice();
  const svg = select(document.createElementNS('http://www.w3.org/2000/svg', 'svg'))
    .attr('viewBox', `0 0 ${W} ${H}`)
    .attr('width', W)
    .attr('height', H)
    .attr('role', 'img')
    .attr('aria-label', describe(points));
  svg.append('g').attr('class', 'axis').attr('transform', `translate(0,${H - M.bottom})`).call(axisBottom(x).ticks(Math.min(maxWorkers, 8)).tickFormat((d) => String(d)));
  svg.append('g').attr('class', 'axis').attr('transform', `translate(${M.left},0)`).call(axisLeft(y).ticks(5).tickFormat((d) => `${String(d)}${TIMES}`));
  svg.append('g').attr('class', 'axis').attr('transform', `translate(${W - M.right},0)`).call(axisRight(yEfficiency).ticks(4).tickFormat((d) => formatPercent(Number(d))));
  svg.append('text').attr('x', (M.left + W - M.right) / 2).attr('y', H - 4).attr('text-anchor', 'middle').text('workers');
  svg.append('line').attr('class', 'ideal').attr('x1', x(0)).attr('y1', y(0)).attr('x2', x(maxWorkers)).attr('y2', y(maxWorkers));
  const speedLine = line<ScalingPoint>().x((p) => x(p.workers)).y((p) => y(p.medianSpeedup));
  const efficiencyLine = line<ScalingPoint>().x((p) => x(p.workers)).y((p) => yEfficiency(p.efficiency));
  for (const { kind, marker } of SERIES) {
    const series = points.filter((p) => p.kind === kind);
    if (series.length === 0) continue;
    const colour = colours(palette)[kind];
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
      .selectAll('path.point')
      .data(series)
      .join('path')
      .attr('class', 'point')
      .attr('d', symbol(marker, 48)() ?? '')
      .attr('transform', (p) => `translate(${x(p.workers)},${y(p.medianSpeedup)})`)
      .style('fill', colour)
      .append('title')
      .text((p) => `${configurationName(p.kind, p.workers, runtime)}: ${formatSpeedup(p.medianSpeedup)} (range ${formatSpeedup(p.minSpeedup)}–${formatSpeedup(p.maxSpeedup)}, ${p.repetitions} repetitions), ${formatPercent(p.efficiency)} efficient`);
  }
  return svg.node()!;
}

/** The series the chart draws, each with its marker's shape on the swatch. */
function legendItems(points: ScalingPoint[], palette: Palette, runtime: Runtime | undefined): HTMLElement[] {
  const shown = new Set(points.map((p) => p.kind));
  const items = SERIES.filter(({ kind }) => shown.has(kind)).map(({ kind, shape, clip }) => {
    const swatch = el('span', { className: 'swatch' });
    swatch.style.background = colours(palette)[kind];
    if (kind === 'thread') swatch.style.borderRadius = '50%';
    if (clip) swatch.style.clipPath = clip;
    return el('li', {}, [swatch, `${kindName(kind, runtime)} (${shape}): speedup solid, efficiency dotted (right axis)`]);
  });
  return [...items, el('li', { text: 'dashed: ideal (speedup = workers); bars: spread of repetitions' })];
}

function describe(points: ScalingPoint[]): string {
  return `Speedup versus workers. ${points.map((p) => `${p.kind} ${p.workers}: ${formatSpeedup(p.medianSpeedup)}`).join('; ')}`;
}
