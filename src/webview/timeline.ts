/**
 * The canvas timeline: d3 provides the time scale, the axis, zoom/pan and the brush; lanes
 * are painted on one canvas, culled to the visible rows and time window. Zoomed-out task
 * columns go straight into ImageData (see aggregate.ts and lane-image.ts), everything else is
 * vector drawing over it. Only rows in the scroller's viewport are drawn. The canvas fits its
 * container: the label gutter narrows with the width (labels are clipped, the full text is in
 * a tooltip), and lanes grow into the height the panel has instead of leaving it empty.
 */
import { axisTop, brushX, scaleLinear, select, zoom, zoomIdentity, type BrushBehavior, type D3BrushEvent, type D3ZoomEvent, type ScaleLinear, type Selection, type ZoomBehavior, type ZoomTransform } from 'd3';
import { planLane } from './aggregate';
import { formatCount, formatMs, formatTimeTick } from './format';
import { writeColumns, writeLockMarks, writeTaskSegments } from './lane-image';
import { DEFAULT_ROW_HEIGHTS, layoutRows, rowAt, rowsInView, type LaneFilter, type Layout, type Row } from './layout';
import { taskAt, visibleLocks, type Lane, type TraceModel } from './model';
import { stateTiles, type StateTiles } from './patterns';
import { packOver } from './pixels';
import { STATE_COUNT } from './states';
import type { Palette } from './theme';
import { describeHit, rowLabel, type Hit } from './timeline-text';

/** The label gutter takes this share of the width, within these bounds (CSS px). */
const GUTTER_SHARE = 0.25;
const MIN_GUTTER = 56;
const MAX_GUTTER = 170;
const AXIS_HEIGHT = 26;
const BRUSH_HEIGHT = 14;
/** Thread rows grow up to this height when the panel has room for them. */
const MAX_THREAD_ROW = 72;
/** The lanes take at most this share of the panel's height, so the controls stay in view. */
const HEIGHT_SHARE = 0.75;
const MIN_CANVAS_HEIGHT = 120;
const MIN_LOCK_BAND = 10;
const MAX_LOCK_BAND = 14;
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
  /** The panel height the lanes were laid out for. */
  private available = 0;
  /** New data or a new filter arrived while the panel was hidden. */
  private relayoutPending = false;
  private gutter = MAX_GUTTER;
  /** Heights within a thread row: the task band, a 2 px gap, the lock band. */
  private bands = bandsFor(DEFAULT_ROW_HEIGHTS.thread);
  private dpr = 1;
  private tiles: StateTiles | null = null;
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
      .extent([[MAX_GUTTER, 0], [MAX_GUTTER + 1, BRUSH_HEIGHT]])
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
    new ResizeObserver(() => this.fit()).observe(this.root);
    window.addEventListener('resize', () => this.fit());
  }

  setPalette(palette: Palette): void {
    this.palette = palette;
    this.tiles = null;
    this.textWidths.clear();
    this.scheduleDraw();
  }

  setData(model: TraceModel, runIndexes: number[]): void {
    this.model = model;
    this.runIndexes = runIndexes;
    this.range = null;
    this.fit(true);
    this.resetView();
  }

  setFilter(filter: LaneFilter): void {
    this.filter = filter;
    this.fit(true);
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
    select(this.canvas).call(this.zoomBehavior.scaleBy, factor, [this.gutter + (this.width - this.gutter) / 2, 0]);
  }

  panBy(fractionOfWindow: number): void {
    select(this.canvas).call(this.zoomBehavior.translateBy, (-fractionOfWindow * (this.width - this.gutter)) / this.transform.k, 0);
  }

  /** Shows [t0, t1] (ns relative to the run start). */
  zoomTo(t0: number, t1: number): void {
    const [d0, d1] = this.base.domain() as [number, number];
    const k = (d1 - d0) / Math.max(t1 - t0, MIN_NS_PER_PX);
    // Screen x = k * base(t) + tx; put t0 at the gutter edge.
    select(this.canvas).call(this.zoomBehavior.transform, zoomIdentity.translate(this.gutter - k * this.base(t0), 0).scale(k));
  }

  /** Selects [t0, t1] as if brushed (the keyboard path to range statistics). */
  selectRange(t0: number, t1: number): void {
    this.range = [t0, t1];
    this.placeBrush();
    this.callbacks.onRange(this.range);
    this.scheduleDraw();
  }

  visibleRange(): [number, number] {
    return [this.x.invert(this.gutter), this.x.invert(this.width)];
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

  /**
   * Lays the rows out for the height the panel offers: thread rows share what the fixed rows
   * (run headers, cores, processes) leave, between their default and MAX_THREAD_ROW, and the
   * canvas is as tall as its rows, up to that height (taller layouts scroll).
   */
  private relayout(available: number): void {
    if (!this.model) return;
    const fixed = layoutRows(this.model, this.runIndexes, this.filter, { ...DEFAULT_ROW_HEIGHTS, thread: 0 });
    const share = fixed.lanes > 0 ? Math.floor((available - fixed.height) / fixed.lanes) : 0;
    const thread = Math.max(DEFAULT_ROW_HEIGHTS.thread, Math.min(MAX_THREAD_ROW, share));
    this.layout = layoutRows(this.model, this.runIndexes, this.filter, { ...DEFAULT_ROW_HEIGHTS, thread });
    this.bands = bandsFor(thread);
    this.laneRowY = new Map(this.layout.rows.flatMap((row) => (row.kind === 'thread' ? [[row.laneId, row.y] as [number, number]] : [])));
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

  /** Sizes the canvas to the container's width and the panel's height; `relayout` also after new data or a filter. */
  private fit(relayout = false): void {
    this.relayoutPending ||= relayout;
    const width = Math.floor(this.root.clientWidth);
    if (width <= 1) return; // not laid out (a hidden panel): sized when it shows
    const available = Math.max(MIN_CANVAS_HEIGHT, Math.floor(window.innerHeight * HEIGHT_SHARE));
    relayout = this.relayoutPending || available !== this.available;
    if (relayout) this.relayout(available);
    this.relayoutPending = false;
    this.available = available;
    const height = Math.max(MIN_CANVAS_HEIGHT, Math.min(available, this.layout.height));
    this.spacer.style.height = `${Math.max(0, this.layout.height - height)}px`;
    const dpr = window.devicePixelRatio || 1;
    if (width === this.width && height === this.height && dpr === this.dpr && this.base.domain()[1] === this.maxTime()) {
      if (relayout) this.scheduleDraw();
      return;
    }
    this.width = width;
    this.height = height;
    this.gutter = Math.round(Math.max(MIN_GUTTER, Math.min(MAX_GUTTER, width * GUTTER_SHARE)));
    this.dpr = dpr;
    this.tiles = null;
    this.scroller.style.height = `${height}px`;
    this.canvas.width = Math.floor(width * dpr);
    this.canvas.height = Math.floor(height * dpr);
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    this.image = null;
    this.axisSvg.attr('width', width);
    this.configureScale();
    this.drawNow();
  }

  /** The time scale spans the longest shown run; zoom and brush follow the canvas size. */
  private configureScale(): void {
    const { width, height } = this;
    const domainMax = this.maxTime();
    const gutter = this.gutter;
    this.base = scaleLinear().domain([0, domainMax]).range([gutter, width]);
    this.zoomBehavior
      .extent([[gutter, 0], [width, height]])
      .translateExtent([[gutter, 0], [width, height]])
      .scaleExtent([1, Math.max(1, domainMax / (Math.max(1, width - gutter) * MIN_NS_PER_PX))]);
    this.brush.extent([[gutter, 0], [Math.max(gutter + 1, width), BRUSH_HEIGHT]]);
    this.brushGroup.call(this.brush);
    this.x = this.transform.rescaleX(this.base);
    this.updateAxis();
    this.placeBrush();
  }

  private updateAxis(): void {
    const ticks = this.x.ticks(this.tickCount());
    const step = ticks.length > 1 ? ticks[1]! - ticks[0]! : Math.abs(this.x.domain()[1]! - this.x.domain()[0]!);
    const axis = axisTop(this.x)
      .tickValues(ticks)
      .tickFormat((t) => formatTimeTick(Number(t), step));
    this.axisGroup.call(axis);
    // A label centred on a tick near the right edge would be cut off: align it to end there.
    const width = this.width;
    this.axisGroup.selectAll<SVGTextElement, number>('.tick text').each(function (tick) {
      const half = this.getComputedTextLength() / 2;
      select(this).attr('text-anchor', (axis.scale()(tick) ?? 0) + half > width ? 'end' : null);
    });
  }

  private tickCount(): number {
    return Math.max(2, Math.floor((this.width - this.gutter) / 110));
  }

  private placeBrush(): void {
    this.movingBrush = true;
    if (this.range) {
      const a = Math.max(this.gutter, this.x(this.range[0]));
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
    const gutter = Math.round(this.gutter * dpr);
    const plotDeviceWidth = Math.max(1, deviceWidth - gutter);
    const nsPerDevicePx = (t1 - t0) / plotDeviceWidth;
    ctx.fillStyle = p.background;
    ctx.fillRect(0, 0, deviceWidth, deviceHeight);
    if (model) {
      // Aggregated task columns and lock marks are written as pixels into one lane-sized
      // image reused for every lane; the rest is vector drawing on top.
      const { task, lock } = this.bands;
      const taskRows = Math.round(task * dpr);
      const laneRows = Math.round((task + 2 + lock) * dpr);
      if (!this.image || this.image.width !== plotDeviceWidth || this.image.height !== laneRows) {
        this.image = ctx.createImageData(plotDeviceWidth, laneRows);
        this.marks = new Uint8Array(plotDeviceWidth);
      }
      const pixels = new Uint32Array(this.image.data.buffer);
      const backgroundWord = packOver(p.background, '#808080');
      if (this.tiles?.bandHeight !== taskRows) this.tiles = stateTiles(p.states, p.background, dpr, taskRows);
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
        if (plan.aggregated > 0) writeColumns(pixels, plotDeviceWidth, taskRows, plan.columns, nsPerDevicePx, this.tiles);
        if (plan.detailed.length > 0) writeTaskSegments(pixels, plotDeviceWidth, taskRows, lane, plan.detailed, t0, nsPerDevicePx, this.tiles);
        const lockTop = Math.round((task + 2) * dpr);
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
    for (const tick of this.x.ticks(this.tickCount())) {
      const px = Math.round(this.x(tick)) + 0.5;
      if (px < this.gutter) continue;
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
    ctx.fillRect(0, y, this.gutter, row.height);
    ctx.strokeStyle = p.grid;
    ctx.beginPath();
    ctx.moveTo(0, y + row.height - 0.5);
    ctx.lineTo(this.width, y + row.height - 0.5);
    ctx.stroke();
    ctx.fillStyle = p.foreground;
    switch (row.kind) {
      case 'run': {
        ctx.font = `bold ${p.font}`;
        ctx.fillText(clipText(ctx, rowLabel(this.model!, row), this.width - 8), 4, y + row.height / 2);
        ctx.font = p.font;
        return;
      }
      case 'cores':
        this.drawCores(row, y);
        return;
      case 'host': {
        ctx.font = `bold ${p.font}`;
        ctx.fillText(clipText(ctx, rowLabel(this.model!, row), this.width - 8), 4, y + row.height / 2);
        ctx.font = p.font;
        return;
      }
      case 'process': {
        const proc = run.processes.find((candidate) => candidate.pid === row.pid)!;
        const maxRss = Math.max(1, ...run.processes.map((candidate) => candidate.peakRssBytes ?? 0));
        const x0 = Math.max(this.gutter, this.x(proc.firstNs));
        const x1 = Math.min(this.width, this.x(proc.lastNs));
        if (x1 > x0 && proc.peakRssBytes !== null) this.drawMemory(x0, x1, y + 3, row.height - 6, proc.peakRssBytes / maxRss);
        ctx.fillStyle = p.foreground;
        ctx.fillText(clipText(ctx, rowLabel(this.model!, row), this.gutter - 8), 4, y + row.height / 2);
        return;
      }
      case 'thread': {
        const lane = model.lanes[row.laneId]!;
        ctx.fillText(clipText(ctx, lane.label, this.gutter - 14), 14, y + this.bands.task / 2 + 2);
        this.drawLockLabels(lane, y);
        return;
      }
    }
  }

  /**
   * Peak RSS of a process: an outlined, hatched bar (an annotation, not a task state, so it
   * borrows no state's fill), darker for the process with more memory.
   */
  private drawMemory(x0: number, x1: number, top: number, height: number, share: number): void {
    const ctx = this.ctx;
    ctx.save();
    ctx.beginPath();
    ctx.rect(x0, top, x1 - x0, height);
    ctx.clip();
    ctx.strokeStyle = this.palette.memory;
    ctx.globalAlpha = 0.35 + 0.55 * share;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let x = x0 - height; x < x1; x += 5) {
      ctx.moveTo(x, top + height);
      ctx.lineTo(x + height, top);
    }
    ctx.stroke();
    ctx.globalAlpha = 1;
    ctx.strokeRect(x0 + 0.5, top + 0.5, x1 - x0 - 1, height - 1);
    ctx.restore();
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
      const x0 = Math.max(this.gutter, this.x(start));
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
    ctx.moveTo(this.gutter, base);
    for (let i = 0; i < n; i++) {
      const start = i === 0 ? 0 : cores.time[i - 1]!;
      const end = cores.time[i]!;
      if (end < t0 || start > t1) continue;
      let sum = 0;
      for (let c = 0; c < cores.cores; c++) sum += cores.busy[i * cores.cores + c]!;
      const top = base - (sum / cores.cores) * (heights.total - 4);
      ctx.lineTo(Math.max(this.gutter, this.x(start)), top);
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
    const bandY = y + this.bands.task + 2;
    // Written over the lock-wait colour, like task labels over theirs.
    ctx.fillStyle = this.palette.background;
    ctx.font = this.palette.font.replace(/^\d+px/, `${LOCK_LABEL_FONT}px`);
    for (let i = first; i < last; i++) {
      const wx0 = Math.max(this.gutter, this.x(locks.request[i]!));
      const wx1 = Math.min(this.width, this.x(locks.acquired[i]!));
      if (wx1 - wx0 <= 70) continue;
      const site = this.model!.sites[locks.site[i]!]!;
      ctx.fillText(clipText(ctx, `waits for ${site.key}`, wx1 - wx0 - 4), wx0 + 2, bandY + this.bands.lock / 2);
    }
    ctx.font = this.palette.font;
  }

  /** Outlines and labels of the tasks wide enough to see (their fill is in the lane image). */
  private drawTaskOutlines(batches: { lane: Lane; y: number; indices: number[] }[]): void {
    const ctx = this.ctx;
    const p = this.palette;
    const outlines = new Path2D();
    const failed = new Path2D();
    const labels: [text: string, x: number, y: number, width: number][] = [];
    for (const { lane, y, indices } of batches) {
      for (const i of indices) {
        const a = Math.max(this.gutter, this.x(lane.tasks.start[i]!));
        const b = Math.min(this.width, this.x(lane.tasks.end[i]!));
        if (b - a <= 3) continue;
        (lane.tasks.errors.has(i) ? failed : outlines).rect(a + 0.5, y + 2.5, b - a - 1, this.bands.task - 1);
        if (b - a <= 48) continue;
        const label = `task ${lane.tasks.index[i]}`;
        const width = this.textWidth(label);
        if (width <= b - a - 8) labels.push([label, a + 4, y + 2 + this.bands.task / 2, width]);
      }
    }
    // On a plate of the background, so a label reads over any state's texture.
    ctx.fillStyle = p.background;
    for (const [, x, y, width] of labels) ctx.fillRect(x - 2, y - 7, width + 4, 14);
    ctx.fillStyle = p.foreground;
    for (const [text, x, y] of labels) ctx.fillText(text, x, y);
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
        segments.push([this.x(from), fromY - top + this.bands.task + 2 + this.bands.lock / 2, this.x(to), toY - top + this.bands.task + 2 + this.bands.lock / 2]);
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
    // Many hand-offs on screen would hide the lanes under them: the more there are, the fainter.
    ctx.globalAlpha = Math.max(0.25, Math.min(1, 40 / Math.max(1, segments.length)));
    for (const [x0, y0, x1, y1] of segments) {
      if (x1 < this.gutter && x0 < this.gutter) continue;
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
    ctx.globalAlpha = 1;
  }

  private drawRange(): void {
    if (!this.range) return;
    const a = Math.max(this.gutter, this.x(this.range[0]));
    const b = Math.min(this.width, this.x(this.range[1]));
    if (b <= a) return;
    this.ctx.fillStyle = this.palette.selection;
    this.ctx.fillRect(a, 0, b - a, this.height);
  }

  /** What is under the pointer at canvas position (px, py), in CSS pixels. */
  hitTest(px: number, py: number): Hit | undefined {
    if (!this.model || px < this.gutter) return undefined;
    const row = rowAt(this.layout, py + this.scroller.scrollTop);
    if (!row) return undefined;
    if (row.kind !== 'thread') return { row };
    const lane = this.model.lanes[row.laneId]!;
    const t = this.x.invert(px);
    const tolerance = Math.abs(this.x.invert(px + 2) - t);
    const within = py + this.scroller.scrollTop - row.y;
    if (within >= this.bands.task + 2) {
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
    const px = e.clientX - rect.left;
    const hit = this.hitTest(px, e.clientY - rect.top);
    const gutterRow = px < this.gutter && this.model ? rowAt(this.layout, e.clientY - rect.top + this.scroller.scrollTop) : undefined;
    const lines = gutterRow ? [rowLabel(this.model!, gutterRow)] : hit ? describeHit(this.model!, hit, this.x.invert(px)) : [];
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

/** A thread row of height `row`: the lock band is a fifth of it (10 to 14 px), the task band the rest. */
function bandsFor(row: number): { task: number; lock: number } {
  const lock = Math.max(MIN_LOCK_BAND, Math.min(MAX_LOCK_BAND, Math.round(row * 0.2)));
  return { task: row - lock - 3, lock };
}
