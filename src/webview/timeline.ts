/**
 * The canvas timeline: d3 provides the time scale, the axis, zoom/pan and the brush; lanes
 * are painted on one canvas, culled to the visible rows and time window. Zoomed-out task
 * columns go straight into ImageData (see aggregate.ts), everything else is vector drawing
 * over it. Only rows in the scroller's viewport are drawn.
 */
import { axisTop, brushX, scaleLinear, select, zoom, zoomIdentity, type BrushBehavior, type D3BrushEvent, type D3ZoomEvent, type ScaleLinear, type Selection, type ZoomBehavior, type ZoomTransform } from 'd3';
import { planLane } from './aggregate';
import { formatBytes, formatCount, formatDuration, formatMs, formatPercent } from './format';
import { layoutRows, rowAt, rowsInView, type LaneFilter, type Layout, type Row } from './layout';
import { taskAt, visibleLocks, type Lane, type TraceModel } from './model';
import { packOver } from './pixels';
import { STATE_COUNT, STATE_LABELS, STATES } from './states';
import type { Palette } from './theme';

const GUTTER = 170;
const AXIS_HEIGHT = 26;
const BRUSH_HEIGHT = 14;
const TASK_BAND = 17;
const LOCK_BAND = 10;
const LOCK_LABEL_FONT = 9;
const MIN_DETAIL_PX = 3;
const MAX_ARROWS = 3000;
const MAX_LOCK_LABEL_SPANS = 400;
const ERROR_OUTLINE = '#f14c4c';
const MIN_NS_PER_PX = 50;

export interface TimelineTarget {
  kind: 'task' | 'lock';
  file: string;
  line?: number;
  symbol?: string;
}

export interface TimelineCallbacks {
  onRange(range: [number, number] | null): void;
  onActivate(target: TimelineTarget): void;
  onSummary(): void;
}

export interface FrameStats {
  lanesOnScreen: number;
  spansDetailed: number;
  spansAggregated: number;
  lockSpans: number;
  arrows: number;
  arrowsHidden: boolean;
  frameMs: number;
}

export class Timeline {
  readonly root: HTMLDivElement;
  private readonly axisSvg: Selection<SVGSVGElement, unknown, null, undefined>;
  private readonly axisGroup: Selection<SVGGElement, unknown, null, undefined>;
  private readonly brushGroup: Selection<SVGGElement, unknown, null, undefined>;
  private readonly scroller: HTMLDivElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly spacer: HTMLDivElement;
  private readonly tooltip: HTMLDivElement;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly zoomBehavior: ZoomBehavior<HTMLCanvasElement, unknown>;
  private readonly brush: BrushBehavior<unknown>;
  private model: TraceModel | null = null;
  private runIndexes: number[] = [];
  private filter: LaneFilter = { text: '' };
  private layout: Layout = { rows: [], height: 0, lanes: 0 };
  private laneRowY = new Map<number, number>();
  private base: ScaleLinear<number, number> = scaleLinear();
  private x: ScaleLinear<number, number> = scaleLinear();
  private transform: ZoomTransform = zoomIdentity;
  private range: [number, number] | null = null;
  private width = 0;
  private height = 0;
  private dpr = 1;
  /** One lane's band (task columns and lock marks), reused for every lane. */
  private image: ImageData | null = null;
  private columns: Float64Array = new Float64Array(0);
  private marks: Uint8Array = new Uint8Array(0);
  private readonly textWidths = new Map<string, number>();
  private drawScheduled = false;
  private movingBrush = false;
  lastFrame: FrameStats = { lanesOnScreen: 0, spansDetailed: 0, spansAggregated: 0, lockSpans: 0, arrows: 0, arrowsHidden: false, frameMs: 0 };

  constructor(
    private palette: Palette,
    private readonly callbacks: TimelineCallbacks,
  ) {
    this.root = document.createElement('div');
    this.root.className = 'timeline';
    this.axisSvg = select(this.root)
      .append('svg')
      .attr('class', 'axis-svg')
      .attr('height', AXIS_HEIGHT + BRUSH_HEIGHT)
      .attr('aria-label', 'Time axis; drag in the strip under it to select a range for its statistics') as Selection<SVGSVGElement, unknown, null, undefined>;
    this.axisGroup = this.axisSvg.append('g').attr('transform', `translate(0,${AXIS_HEIGHT - 2})`);
    this.brushGroup = this.axisSvg.append('g').attr('class', 'brush').attr('transform', `translate(0,${AXIS_HEIGHT})`);
    this.scroller = document.createElement('div');
    this.scroller.className = 'scroller';
    this.scroller.dataset.testid = 'timeline-lanes';
    this.scroller.tabIndex = 0;
    this.scroller.setAttribute('role', 'group');
    this.scroller.setAttribute(
      'aria-label',
      'Timeline lanes. Plus and minus zoom, left and right arrows pan, up and down scroll lanes, 0 resets the view. Hover a span for its numbers; click it to open its source.',
    );
    this.canvas = document.createElement('canvas');
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', 'Task spans per thread, coloured by state; see the summary below for what is shown');
    this.canvas.dataset.testid = 'timeline-canvas';
    this.spacer = document.createElement('div');
    this.scroller.append(this.canvas, this.spacer);
    this.tooltip = document.createElement('div');
    this.tooltip.className = 'tooltip hidden';
    this.tooltip.setAttribute('role', 'tooltip');
    this.tooltip.dataset.testid = 'timeline-tooltip';
    this.root.append(this.scroller, this.tooltip);
    const ctx = this.canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new Error('This browser cannot draw on a 2D canvas.');
    this.ctx = ctx;

    this.zoomBehavior = zoom<HTMLCanvasElement, unknown>()
      .filter((event: Event) => {
        if (event.type === 'wheel') return !(event as WheelEvent).shiftKey;
        return (event as MouseEvent).button === 0 && !(event as MouseEvent).ctrlKey;
      })
      .on('zoom', (event: D3ZoomEvent<HTMLCanvasElement, unknown>) => {
        this.transform = event.transform;
        this.x = this.transform.rescaleX(this.base);
        this.updateAxis();
        this.placeBrush();
        this.scheduleDraw();
      });
    select(this.canvas).call(this.zoomBehavior).on('dblclick.zoom', null);
    // An explicit extent: the default reads the SVG's size, which fails before layout.
    this.brush = brushX()
      .extent([[GUTTER, 0], [GUTTER + 1, BRUSH_HEIGHT]])
      .on('brush end', (event: D3BrushEvent<unknown>) => {
        if (this.movingBrush || !event.sourceEvent) return;
        const selection = event.selection as [number, number] | null;
        this.range = selection ? [this.x.invert(selection[0]), this.x.invert(selection[1])] : null;
        this.callbacks.onRange(this.range);
        this.scheduleDraw();
      });
    this.brushGroup.call(this.brush);

    this.canvas.addEventListener('mousemove', (e) => this.hover(e));
    this.canvas.addEventListener('mouseleave', () => this.hideTooltip());
    this.canvas.addEventListener('click', (e) => this.click(e));
    this.canvas.addEventListener('wheel', (e) => {
      if (!e.shiftKey) return;
      e.preventDefault();
      this.scroller.scrollTop += e.deltaY || e.deltaX;
    }, { passive: false });
    this.scroller.addEventListener('scroll', () => this.scheduleDraw());
    this.scroller.addEventListener('keydown', (e) => this.key(e));
    new ResizeObserver(() => this.resize()).observe(this.root);
  }

  setPalette(palette: Palette): void {
    this.palette = palette;
    this.textWidths.clear();
    this.scheduleDraw();
  }

  setData(model: TraceModel, runIndexes: number[]): void {
    this.model = model;
    this.runIndexes = runIndexes;
    this.range = null;
    this.relayout();
    if (this.width > 0) this.configureScale();
    this.resetView();
  }

  setFilter(filter: LaneFilter): void {
    this.filter = filter;
    this.relayout();
    this.scheduleDraw();
    this.callbacks.onSummary();
  }

  resetView(): void {
    this.range = null;
    this.movingBrush = true;
    this.brushGroup.call(this.brush.move, null);
    this.movingBrush = false;
    this.callbacks.onRange(null);
    select(this.canvas).call(this.zoomBehavior.transform, zoomIdentity);
    this.scroller.scrollTop = 0;
    this.scheduleDraw();
  }

  /** Zooms by `factor` around the centre of the time window (keyboard and buttons). */
  zoomBy(factor: number): void {
    select(this.canvas).call(this.zoomBehavior.scaleBy, factor, [GUTTER + (this.width - GUTTER) / 2, 0]);
  }

  panBy(fractionOfWindow: number): void {
    select(this.canvas).call(this.zoomBehavior.translateBy, (-fractionOfWindow * (this.width - GUTTER)) / this.transform.k, 0);
  }

  /** Shows [t0, t1] (ns relative to the run start). */
  zoomTo(t0: number, t1: number): void {
    const [d0, d1] = this.base.domain() as [number, number];
    const k = (d1 - d0) / Math.max(t1 - t0, MIN_NS_PER_PX);
    // Screen x = k * base(t) + tx; put t0 at the gutter edge.
    select(this.canvas).call(this.zoomBehavior.transform, zoomIdentity.translate(GUTTER - k * this.base(t0), 0).scale(k));
  }

  /** Selects [t0, t1] as if brushed (the keyboard path to range statistics). */
  selectRange(t0: number, t1: number): void {
    this.range = [t0, t1];
    this.placeBrush();
    this.callbacks.onRange(this.range);
    this.scheduleDraw();
  }

  visibleRange(): [number, number] {
    return [this.x.invert(GUTTER), this.x.invert(this.width)];
  }

  get selectedRange(): [number, number] | null {
    return this.range;
  }

  get laidOutLanes(): number {
    return this.layout.lanes;
  }

  /** Lanes shown after filtering, for range statistics. */
  shownLaneIds(): number[] {
    return this.layout.rows.flatMap((row) => (row.kind === 'thread' ? [row.laneId] : []));
  }

  private relayout(): void {
    if (!this.model) return;
    this.layout = layoutRows(this.model, this.runIndexes, this.filter);
    this.laneRowY = new Map(this.layout.rows.flatMap((row) => (row.kind === 'thread' ? [[row.laneId, row.y] as [number, number]] : [])));
    this.sizeSpacer();
  }

  private sizeSpacer(): void {
    this.spacer.style.height = `${Math.max(0, this.layout.height - this.height)}px`;
  }

  private maxTime(): number {
    if (!this.model) return 1;
    let max = 1;
    for (const runIndex of this.runIndexes) {
      const run = this.model.runs[runIndex]!;
      max = Math.max(max, run.header.endNs - run.header.startNs);
      for (const laneId of run.lanes) {
        const tasks = this.model.lanes[laneId]!.tasks;
        if (tasks.count) max = Math.max(max, tasks.maxEnd[tasks.count - 1]!);
      }
    }
    return max;
  }

  private resize(): void {
    const width = Math.max(GUTTER + 100, Math.floor(this.root.clientWidth));
    const height = Math.max(100, Math.floor(this.scroller.clientHeight));
    if (width === this.width && height === this.height && this.base.domain()[1] === this.maxTime()) return;
    this.width = width;
    this.height = height;
    this.dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.floor(width * this.dpr);
    this.canvas.height = Math.floor(height * this.dpr);
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    this.image = null;
    this.sizeSpacer();
    this.axisSvg.attr('width', width);
    this.configureScale();
    this.drawNow();
  }

  /** The time scale spans the longest shown run; zoom and brush follow the canvas size. */
  private configureScale(): void {
    const { width, height } = this;
    const domainMax = this.maxTime();
    this.base = scaleLinear().domain([0, domainMax]).range([GUTTER, width]);
    this.zoomBehavior
      .extent([[GUTTER, 0], [width, height]])
      .translateExtent([[GUTTER, 0], [width, height]])
      .scaleExtent([1, Math.max(1, domainMax / ((width - GUTTER) * MIN_NS_PER_PX))]);
    this.brush.extent([[GUTTER, 0], [width, BRUSH_HEIGHT]]);
    this.brushGroup.call(this.brush);
    this.x = this.transform.rescaleX(this.base);
    this.updateAxis();
    this.placeBrush();
  }

  private updateAxis(): void {
    const axis = axisTop(this.x)
      .ticks(Math.max(2, Math.floor((this.width - GUTTER) / 110)))
      .tickFormat((t) => formatDuration(Number(t)));
    this.axisGroup.call(axis);
  }

  private placeBrush(): void {
    this.movingBrush = true;
    if (this.range) {
      const a = Math.max(GUTTER, this.x(this.range[0]));
      const b = Math.min(this.width, this.x(this.range[1]));
      this.brushGroup.call(this.brush.move, b > a ? [a, b] : null);
    }
    this.movingBrush = false;
  }

  private scheduleDraw(): void {
    if (this.drawScheduled) return;
    this.drawScheduled = true;
    requestAnimationFrame(() => {
      this.drawScheduled = false;
      this.drawNow();
    });
  }

  drawNow(): void {
    if (this.width === 0) return;
    const began = performance.now();
    const ctx = this.ctx;
    const p = this.palette;
    const dpr = this.dpr;
    const deviceWidth = this.canvas.width;
    const deviceHeight = this.canvas.height;
    const stats: FrameStats = { lanesOnScreen: 0, spansDetailed: 0, spansAggregated: 0, lockSpans: 0, arrows: 0, arrowsHidden: false, frameMs: 0 };
    const top = this.scroller.scrollTop;
    const [firstRow, endRow] = rowsInView(this.layout, top, top + this.height);
    const model = this.model;
    const detailed: { row: Row & { kind: 'thread' }; indices: number[] }[] = [];
    const [t0, t1] = this.visibleRange();
    const gutter = Math.round(GUTTER * dpr);
    const plotDeviceWidth = Math.max(1, deviceWidth - gutter);
    const nsPerDevicePx = (t1 - t0) / plotDeviceWidth;
    ctx.fillStyle = p.background;
    ctx.fillRect(0, 0, deviceWidth, deviceHeight);
    if (model) {
      // Aggregated task columns and lock marks are written as pixels into one lane-sized
      // image reused for every lane; the rest is vector drawing on top.
      const taskRows = Math.round(TASK_BAND * dpr);
      const laneRows = Math.round((TASK_BAND + 2 + LOCK_BAND) * dpr);
      if (!this.image || this.image.width !== plotDeviceWidth || this.image.height !== laneRows) {
        this.image = ctx.createImageData(plotDeviceWidth, laneRows);
        this.marks = new Uint8Array(plotDeviceWidth);
      }
      const pixels = new Uint32Array(this.image.data.buffer);
      const backgroundWord = packOver(p.background, '#808080');
      const stateWords = STATES.map((s) => packOver(p.states[s], p.background));
      const lockWords = { wait: packOver(p.states.lockWait, p.background), hold: packOver(p.lockHold, p.background) };
      if (this.columns.length !== plotDeviceWidth * STATE_COUNT) this.columns = new Float64Array(plotDeviceWidth * STATE_COUNT);
      for (let r = firstRow; r < endRow; r++) {
        const row = this.layout.rows[r]!;
        if (row.kind !== 'thread') continue;
        const lane = model.lanes[row.laneId]!;
        stats.lanesOnScreen++;
        const plan = planLane(lane.tasks, { t0, nsPerPx: nsPerDevicePx, width: plotDeviceWidth }, MIN_DETAIL_PX, this.columns);
        stats.spansAggregated += plan.aggregated;
        stats.spansDetailed += plan.detailed.length;
        detailed.push({ row, indices: plan.detailed });
        pixels.fill(backgroundWord);
        if (plan.aggregated > 0) writeColumns(pixels, plotDeviceWidth, taskRows, plan.columns, nsPerDevicePx, stateWords);
        if (plan.detailed.length > 0) writeTaskSegments(pixels, plotDeviceWidth, taskRows, lane, plan.detailed, t0, nsPerDevicePx, stateWords);
        const lockTop = Math.round((TASK_BAND + 2) * dpr);
        const locksDrawn = writeLockMarks(pixels, plotDeviceWidth, lockTop, laneRows - lockTop, lane, t0, nsPerDevicePx, this.marks, lockWords);
        stats.lockSpans += locksDrawn;
        if (plan.aggregated > 0 || plan.detailed.length > 0 || locksDrawn > 0) ctx.putImageData(this.image, gutter, Math.round((row.y - top + 2) * dpr));
      }
    }
    ctx.save();
    ctx.scale(dpr, dpr);
    ctx.font = p.font;
    ctx.textBaseline = 'middle';
    this.drawGrid();
    if (model) {
      for (let r = firstRow; r < endRow; r++) this.drawRow(this.layout.rows[r]!, top);
      this.drawTaskOutlines(detailed.map(({ row, indices }) => ({ lane: model.lanes[row.laneId]!, y: row.y - top, indices })));
      this.drawArrows(top, stats);
      this.drawRange();
    }
    ctx.restore();
    stats.frameMs = performance.now() - began;
    this.lastFrame = stats;
    this.canvas.dataset.frameMs = stats.frameMs.toFixed(3);
    this.canvas.dataset.frames = String(Number(this.canvas.dataset.frames ?? '0') + 1);
    this.callbacks.onSummary();
  }

  private drawGrid(): void {
    const ctx = this.ctx;
    ctx.strokeStyle = this.palette.grid;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (const tick of this.x.ticks(Math.max(2, Math.floor((this.width - GUTTER) / 110)))) {
      const px = Math.round(this.x(tick)) + 0.5;
      if (px < GUTTER) continue;
      ctx.moveTo(px, 0);
      ctx.lineTo(px, this.height);
    }
    ctx.stroke();
  }

  private drawRow(row: Row, top: number): void {
    const ctx = this.ctx;
    const p = this.palette;
    const model = this.model!;
    const run = model.runs[row.runIndex]!;
    const y = row.y - top;
    ctx.fillStyle = p.background;
    ctx.fillRect(0, y, GUTTER, row.height);
    ctx.strokeStyle = p.grid;
    ctx.beginPath();
    ctx.moveTo(0, y + row.height - 0.5);
    ctx.lineTo(this.width, y + row.height - 0.5);
    ctx.stroke();
    ctx.fillStyle = p.foreground;
    switch (row.kind) {
      case 'run': {
        const h = run.header;
        const speed = h.speedup === null ? '' : ` · speedup ${h.speedup.toFixed(2)}x`;
        ctx.font = `bold ${p.font}`;
        const size = h.kind === 'async' ? `${h.workers} in flight on one event loop` : `${h.workers} worker${h.workers === 1 ? '' : 's'}`;
        ctx.fillText(`${h.kind === 'async' || h.kind === 'dask' ? h.kind : `${h.kind} pool`} · ${size} · repetition ${h.repetition + 1} · wall ${formatDuration(h.wallNs)}${speed}`, 4, y + row.height / 2);
        ctx.font = p.font;
        return;
      }
      case 'cores':
        this.drawCores(row, y);
        return;
      case 'host': {
        const workers = run.processes.filter((candidate) => candidate.host === row.host).length;
        ctx.font = `bold ${p.font}`;
        ctx.fillText(clipText(ctx, `host ${row.host} · ${workers} worker process${workers === 1 ? '' : 'es'}`, this.width - 8), 4, y + row.height / 2);
        ctx.font = p.font;
        return;
      }
      case 'process': {
        const proc = run.processes.find((candidate) => candidate.pid === row.pid)!;
        const maxRss = Math.max(1, ...run.processes.map((candidate) => candidate.peakRssBytes ?? 0));
        const x0 = Math.max(GUTTER, this.x(proc.firstNs));
        const x1 = Math.min(this.width, this.x(proc.lastNs));
        if (x1 > x0 && proc.peakRssBytes !== null) {
          ctx.globalAlpha = 0.25 + 0.6 * (proc.peakRssBytes / maxRss);
          ctx.fillStyle = p.memory;
          ctx.fillRect(x0, y + 3, x1 - x0, row.height - 6);
          ctx.globalAlpha = 1;
        }
        ctx.fillStyle = p.foreground;
        ctx.fillText(clipText(ctx, `${proc.name ? `${proc.name} · ` : ''}pid ${proc.pid} · peak RSS ${formatBytes(proc.peakRssBytes)}`, GUTTER - 8), 4, y + row.height / 2);
        return;
      }
      case 'thread': {
        const lane = model.lanes[row.laneId]!;
        ctx.fillText(clipText(ctx, lane.label, GUTTER - 14), 14, y + TASK_BAND / 2 + 2);
        this.drawLockLabels(lane, y);
        return;
      }
    }
  }

  private drawCores(row: Row, y: number): void {
    const ctx = this.ctx;
    const p = this.palette;
    const cores = this.model!.runs[row.runIndex]!.cores;
    const heights = { per: 5, total: row.height - cores.cores * 5 };
    ctx.fillText('cores', 4, y + (cores.cores * heights.per) / 2);
    ctx.fillStyle = p.muted;
    ctx.fillText('utilization', 4, y + cores.cores * heights.per + heights.total / 2);
    const [t0, t1] = this.visibleRange();
    ctx.fillStyle = p.coreBusy;
    const n = cores.time.length;
    let previousX = -1;
    for (let i = 0; i < n; i++) {
      const start = i === 0 ? 0 : cores.time[i - 1]!;
      const end = cores.time[i]!;
      if (end < t0 || start > t1) continue;
      const x0 = Math.max(GUTTER, this.x(start));
      const x1 = Math.min(this.width, this.x(end));
      if (x1 - x0 < 0.5 && Math.floor(x0) === previousX) continue;
      previousX = Math.floor(x0);
      for (let c = 0; c < cores.cores; c++) {
        ctx.globalAlpha = cores.busy[i * cores.cores + c]!;
        ctx.fillRect(x0, y + c * heights.per, Math.max(1, x1 - x0), heights.per - 1);
      }
    }
    ctx.globalAlpha = 0.8;
    ctx.beginPath();
    const base = y + row.height - 2;
    ctx.moveTo(GUTTER, base);
    for (let i = 0; i < n; i++) {
      const start = i === 0 ? 0 : cores.time[i - 1]!;
      const end = cores.time[i]!;
      if (end < t0 || start > t1) continue;
      let sum = 0;
      for (let c = 0; c < cores.cores; c++) sum += cores.busy[i * cores.cores + c]!;
      const top = base - (sum / cores.cores) * (heights.total - 4);
      ctx.lineTo(Math.max(GUTTER, this.x(start)), top);
      ctx.lineTo(Math.min(this.width, this.x(end)), top);
    }
    ctx.lineTo(this.width, base);
    ctx.closePath();
    ctx.fill();
    ctx.globalAlpha = 1;
  }

  /** Names the lock on waits wide enough to hold the text (only when zoomed in that far). */
  private drawLockLabels(lane: Lane, y: number): void {
    const ctx = this.ctx;
    const locks = lane.locks;
    const [t0, t1] = this.visibleRange();
    const [first, last] = visibleLocks(locks, t0, t1);
    if (last - first > MAX_LOCK_LABEL_SPANS) return;
    const bandY = y + TASK_BAND + 2;
    // Written over the lock-wait colour, like task labels over theirs.
    ctx.fillStyle = this.palette.background;
    ctx.font = this.palette.font.replace(/^\d+px/, `${LOCK_LABEL_FONT}px`);
    for (let i = first; i < last; i++) {
      const wx0 = Math.max(GUTTER, this.x(locks.request[i]!));
      const wx1 = Math.min(this.width, this.x(locks.acquired[i]!));
      if (wx1 - wx0 <= 70) continue;
      const site = this.model!.sites[locks.site[i]!]!;
      ctx.fillText(clipText(ctx, `waits for ${site.key}`, wx1 - wx0 - 4), wx0 + 2, bandY + LOCK_BAND / 2);
    }
    ctx.font = this.palette.font;
  }

  /** Outlines and labels of the tasks wide enough to see (their fill is in the lane image). */
  private drawTaskOutlines(batches: { lane: Lane; y: number; indices: number[] }[]): void {
    const ctx = this.ctx;
    const p = this.palette;
    const outlines = new Path2D();
    const failed = new Path2D();
    ctx.fillStyle = p.background;
    for (const { lane, y, indices } of batches) {
      for (const i of indices) {
        const a = Math.max(GUTTER, this.x(lane.tasks.start[i]!));
        const b = Math.min(this.width, this.x(lane.tasks.end[i]!));
        if (b - a <= 3) continue;
        (lane.tasks.errors.has(i) ? failed : outlines).rect(a + 0.5, y + 2.5, b - a - 1, TASK_BAND - 1);
        if (b - a <= 48) continue;
        const label = `task ${lane.tasks.index[i]}`;
        if (this.textWidth(label) <= b - a - 6) ctx.fillText(label, a + 3, y + 2 + TASK_BAND / 2);
      }
    }
    ctx.lineWidth = 1;
    ctx.strokeStyle = p.background;
    ctx.stroke(outlines);
    ctx.lineWidth = 2;
    ctx.strokeStyle = ERROR_OUTLINE;
    ctx.stroke(failed);
    ctx.lineWidth = 1;
  }

  /** Text widths are measured once per font (measureText is slow on a busy frame). */
  private textWidth(text: string): number {
    let width = this.textWidths.get(text);
    if (width === undefined) {
      if (this.textWidths.size > 5000) this.textWidths.clear();
      width = this.ctx.measureText(text).width;
      this.textWidths.set(text, width);
    }
    return width;
  }

  private drawArrows(top: number, stats: FrameStats): void {
    const ctx = this.ctx;
    const model = this.model!;
    const [t0, t1] = this.visibleRange();
    const segments: [number, number, number, number][] = [];
    for (const runIndex of this.runIndexes) {
      const wakes = model.runs[runIndex]!.wakes;
      for (let i = 0; i < wakes.count; i++) {
        const from = wakes.fromNs[i]!;
        const to = wakes.toNs[i]!;
        if (to < t0 || from > t1) continue;
        const fromY = this.laneRowY.get(wakes.fromLane[i]!);
        const toY = this.laneRowY.get(wakes.toLane[i]!);
        if (fromY === undefined || toY === undefined) continue;
        if (Math.max(fromY, toY) < top - 40 || Math.min(fromY, toY) > top + this.height + 40) continue;
        segments.push([this.x(from), fromY - top + TASK_BAND + 2 + LOCK_BAND / 2, this.x(to), toY - top + TASK_BAND + 2 + LOCK_BAND / 2]);
        if (segments.length > MAX_ARROWS) {
          stats.arrowsHidden = true;
          return;
        }
      }
    }
    stats.arrows = segments.length;
    ctx.strokeStyle = this.palette.wakeArrow;
    ctx.fillStyle = this.palette.wakeArrow;
    ctx.lineWidth = 1;
    for (const [x0, y0, x1, y1] of segments) {
      if (x1 < GUTTER && x0 < GUTTER) continue;
      ctx.beginPath();
      ctx.moveTo(x0, y0);
      ctx.lineTo(x1, y1);
      ctx.stroke();
      const angle = Math.atan2(y1 - y0, x1 - x0);
      ctx.beginPath();
      ctx.moveTo(x1, y1);
      ctx.lineTo(x1 - 6 * Math.cos(angle - 0.45), y1 - 6 * Math.sin(angle - 0.45));
      ctx.lineTo(x1 - 6 * Math.cos(angle + 0.45), y1 - 6 * Math.sin(angle + 0.45));
      ctx.closePath();
      ctx.fill();
    }
  }

  private drawRange(): void {
    if (!this.range) return;
    const a = Math.max(GUTTER, this.x(this.range[0]));
    const b = Math.min(this.width, this.x(this.range[1]));
    if (b <= a) return;
    this.ctx.fillStyle = this.palette.selection;
    this.ctx.fillRect(a, 0, b - a, this.height);
  }

  /** What is under the pointer at canvas position (px, py), in CSS pixels. */
  hitTest(px: number, py: number): { row: Row; lane?: Lane; task?: number; lock?: number } | undefined {
    if (!this.model || px < GUTTER) return undefined;
    const row = rowAt(this.layout, py + this.scroller.scrollTop);
    if (!row) return undefined;
    if (row.kind !== 'thread') return { row };
    const lane = this.model.lanes[row.laneId]!;
    const t = this.x.invert(px);
    const tolerance = Math.abs(this.x.invert(px + 2) - t);
    const within = py + this.scroller.scrollTop - row.y;
    if (within >= TASK_BAND + 2) {
      const locks = lane.locks;
      const [first, last] = visibleLocks(locks, t - tolerance, t + tolerance);
      for (let i = first; i < last; i++) {
        if (locks.request[i]! - tolerance <= t && t <= locks.released[i]! + tolerance) return { row, lane, lock: i };
      }
      return { row, lane };
    }
    const task = taskAt(lane.tasks, t, tolerance);
    return task >= 0 ? { row, lane, task } : { row, lane };
  }

  private hover(e: MouseEvent): void {
    const rect = this.canvas.getBoundingClientRect();
    const hit = this.hitTest(e.clientX - rect.left, e.clientY - rect.top);
    const lines = hit ? this.describe(hit, this.x.invert(e.clientX - rect.left)) : [];
    if (lines.length === 0) return this.hideTooltip();
    this.tooltip.textContent = lines.join('\n');
    this.tooltip.classList.remove('hidden');
    const x = Math.min(e.clientX + 14, window.innerWidth - this.tooltip.offsetWidth - 4);
    const y = Math.min(e.clientY + 14, window.innerHeight - this.tooltip.offsetHeight - 4);
    this.tooltip.style.left = `${Math.max(0, x)}px`;
    this.tooltip.style.top = `${Math.max(0, y)}px`;
    this.canvas.style.cursor = hit?.task !== undefined || hit?.lock !== undefined ? 'pointer' : '';
  }

  private hideTooltip(): void {
    this.tooltip.classList.add('hidden');
    this.canvas.style.cursor = '';
  }

  private describe(hit: NonNullable<ReturnType<Timeline['hitTest']>>, t: number): string[] {
    const model = this.model!;
    const run = model.runs[hit.row.runIndex]!;
    if (hit.lane && hit.task !== undefined) {
      const tasks = hit.lane.tasks;
      const i = hit.task;
      const wall = tasks.end[i]! - tasks.start[i]!;
      const lines = [
        `Task ${tasks.index[i]} · ${run.header.kind} pool, worker ${tasks.worker[i]}`,
        `pid ${hit.lane.pid} · tid ${hit.lane.tid} · core ${tasks.coreStart[i]} → ${tasks.coreEnd[i]}`,
        `start ${formatMs(tasks.start[i]!)} · end ${formatMs(tasks.end[i]!)}`,
        `wall ${formatMs(wall)}`,
      ];
      STATES.forEach((state, k) => {
        const ns = tasks.states[i * STATE_COUNT + k]!;
        if (ns > 0) lines.push(`${STATE_LABELS[state]}: ${formatMs(ns)} (${formatPercent(wall > 0 ? ns / wall : 0)})`);
      });
      const error = tasks.errors.get(i);
      if (error) lines.push(`raised ${error.type}: ${error.message}`);
      lines.push(`click: open ${model.header.target.function} in ${model.header.target.file}`);
      return lines;
    }
    if (hit.lane && hit.lock !== undefined) {
      const locks = hit.lane.locks;
      const i = hit.lock;
      const site = model.sites[locks.site[i]!]!;
      return [
        `Lock created at ${site.key}`,
        `pid ${hit.lane.pid} · tid ${hit.lane.tid}`,
        `waited ${formatMs(locks.acquired[i]! - locks.request[i]!)} (from ${formatMs(locks.request[i]!)})`,
        `held ${formatMs(locks.released[i]! - locks.acquired[i]!)} (until ${formatMs(locks.released[i]!)})`,
        'click: open the line that created the lock',
      ];
    }
    if (hit.row.kind === 'cores') {
      const cores = run.cores;
      const i = Math.min(cores.time.length - 1, Math.max(0, lowerIndex(cores.time, t)));
      if (i < 0 || cores.cores === 0) return [];
      const shares = Array.from({ length: cores.cores }, (_, c) => `core ${c}: ${formatPercent(cores.busy[i * cores.cores + c]!)}`);
      return [`Core utilization at ${formatMs(cores.time[i]!)}`, ...shares];
    }
    if (hit.row.kind === 'process') {
      const proc = run.processes.find((candidate) => candidate.pid === (hit.row as { pid: number }).pid)!;
      return [`Process ${proc.pid}${proc.name ? ` · Dask worker ${proc.name} on ${proc.host}` : ''}`, `peak RSS ${formatBytes(proc.peakRssBytes)}`, `${proc.lanes.length} thread lane${proc.lanes.length === 1 ? '' : 's'}`];
    }
    if (hit.row.kind === 'host') {
      const host = hit.row.host;
      return [`Host ${host}`, `${run.processes.filter((candidate) => candidate.host === host).length} Dask worker processes`];
    }
    return [];
  }

  private click(e: MouseEvent): void {
    const rect = this.canvas.getBoundingClientRect();
    const hit = this.hitTest(e.clientX - rect.left, e.clientY - rect.top);
    if (!hit || !this.model) return;
    if (hit.lane && hit.lock !== undefined) {
      const site = this.model.sites[hit.lane.locks.site[hit.lock]!]!;
      this.callbacks.onActivate({ kind: 'lock', file: site.file, line: site.line });
    } else if (hit.task !== undefined) {
      const target = this.model.header.target;
      this.callbacks.onActivate({ kind: 'task', file: target.file, symbol: target.function });
    }
  }

  private key(e: KeyboardEvent): void {
    const actions: Record<string, () => void> = {
      '+': () => this.zoomBy(1.5),
      '=': () => this.zoomBy(1.5),
      '-': () => this.zoomBy(1 / 1.5),
      ArrowLeft: () => this.panBy(-0.2),
      ArrowRight: () => this.panBy(0.2),
      '0': () => this.resetView(),
      Home: () => this.resetView(),
    };
    const action = actions[e.key];
    if (!action) return;
    e.preventDefault();
    action();
  }

  frameSummary(): string {
    const [t0, t1] = this.visibleRange();
    const f = this.lastFrame;
    const drawn = f.spansDetailed + f.spansAggregated;
    const arrows = f.arrowsHidden ? 'wake-up arrows hidden at this zoom' : `${formatCount(f.arrows)} wake-up arrows`;
    return (
      `Runs: ${this.runIndexes.length} · Lanes: ${formatCount(this.layout.lanes)} (${formatCount(f.lanesOnScreen)} on screen) · ` +
      `Spans drawn: ${formatCount(drawn)} (${formatCount(f.spansDetailed)} individually, ${formatCount(f.spansAggregated)} aggregated per pixel) · ` +
      `Lock spans: ${formatCount(f.lockSpans)} · ${arrows} · Visible range: ${formatMs(Math.max(0, t0))} – ${formatMs(t1)}`
    );
  }
}

function lowerIndex(values: Float64Array, t: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function clipText(ctx: CanvasRenderingContext2D, text: string, maxWidth: number): string {
  if (maxWidth <= 8) return '';
  if (ctx.measureText(text).width <= maxWidth) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (ctx.measureText(`${text.slice(0, mid)}…`).width <= maxWidth) lo = mid;
    else hi = mid - 1;
  }
  return lo === 0 ? '' : `${text.slice(0, lo)}…`;
}

/**
 * Writes the tasks drawn individually as proportional state segments, full band height. Tasks
 * of one thread do not overlap, so this writes each pixel column at most about once.
 */
function writeTaskSegments(
  pixels: Uint32Array,
  stride: number,
  bandHeight: number,
  lane: Lane,
  indices: number[],
  t0: number,
  nsPerPx: number,
  stateWords: number[],
): void {
  const { start, states } = lane.tasks;
  for (const i of indices) {
    let x = (start[i]! - t0) / nsPerPx;
    for (let k = 0; k < STATE_COUNT; k++) {
      const next = x + states[i * STATE_COUNT + k]! / nsPerPx;
      const c0 = Math.max(0, Math.round(x));
      const c1 = Math.min(stride, Math.round(next));
      const word = stateWords[k]!;
      for (let c = c0; c < c1; c++) for (let j = 0; j < bandHeight; j++) pixels[j * stride + c] = word;
      x = next;
    }
  }
}

/**
 * Marks each pixel column of the lock band: a wait (request → acquired) over a hold (acquired
 * → released), so many sub-pixel spans cost one pixel write each. Returns the spans visited.
 */
function writeLockMarks(
  pixels: Uint32Array,
  stride: number,
  bandTop: number,
  bandHeight: number,
  lane: Lane,
  t0: number,
  nsPerPx: number,
  marks: Uint8Array,
  words: { wait: number; hold: number },
): number {
  const locks = lane.locks;
  if (locks.count === 0) return 0;
  const width = marks.length;
  const [first, last] = visibleLocks(locks, t0, t0 + width * nsPerPx);
  if (last <= first) return 0;
  marks.fill(0);
  const column = (t: number) => Math.floor((t - t0) / nsPerPx);
  for (let i = first; i < last; i++) {
    const request = column(locks.request[i]!);
    const acquired = column(locks.acquired[i]!);
    const released = column(locks.released[i]!);
    for (let c = Math.max(0, acquired); c <= Math.min(width - 1, released); c++) if (marks[c] === 0) marks[c] = 1;
    if (locks.acquired[i]! > locks.request[i]!) for (let c = Math.max(0, request); c <= Math.min(width - 1, acquired); c++) marks[c] = 2;
  }
  const holdInset = Math.min(2, Math.floor(bandHeight / 3));
  for (let c = 0; c < width; c++) {
    const mark = marks[c];
    if (mark === 0) continue;
    const word = mark === 2 ? words.wait : words.hold;
    const from = mark === 2 ? 0 : holdInset;
    const to = mark === 2 ? bandHeight : bandHeight - holdInset;
    for (let j = from; j < to; j++) pixels[(bandTop + j) * stride + c] = word;
  }
  return last - first;
}

/**
 * Writes per-pixel task columns: each column is filled from the bottom of the band in
 * proportion to how busy the lane was in that pixel, split by state in legend order.
 */
function writeColumns(pixels: Uint32Array, stride: number, bandHeight: number, columns: Float64Array, nsPerPx: number, stateWords: number[]): void {
  const columnCount = columns.length / STATE_COUNT;
  for (let c = 0; c < columnCount; c++) {
    const o = c * STATE_COUNT;
    let total = 0;
    for (let k = 0; k < STATE_COUNT; k++) total += columns[o + k]!;
    if (total <= 0) continue;
    const filled = Math.max(1, Math.round(bandHeight * Math.min(1, total / nsPerPx)));
    // Walk up from the bottom row of the band.
    let at = (bandHeight - 1) * stride + c;
    let remaining = filled;
    let dominant = 0;
    for (let k = 0; k < STATE_COUNT && remaining > 0; k++) {
      const share = columns[o + k]!;
      if (share <= 0) continue;
      if (share > columns[o + dominant]!) dominant = k;
      const h = Math.min(remaining, Math.round((filled * share) / total));
      const word = stateWords[k]!;
      for (let j = 0; j < h; j++, at -= stride) pixels[at] = word;
      remaining -= h;
    }
    // Rounding can leave a pixel or two: give them to the dominant state rather than a gap.
    const word = stateWords[dominant]!;
    for (; remaining > 0; remaining--, at -= stride) pixels[at] = word;
  }
}

