/**
 * The timeline app: receives protocol messages (from the VS Code host, or from the standalone
 * report's inlined trace), builds the model and lays out the views around the canvas.
 */
import type { HostToWebview, WebviewToHost } from '../shared/webview-protocol';
import { el } from './dom';
import { formatCount, formatDuration, formatMs, formatPercent } from './format';
import { locksSection } from './locks-table';
import { runKey, TraceAssembler, type TraceModel } from './model';
import { stateTiles, swatchImage } from './patterns';
import { scalingChart, type ScalingChart } from './scaling-chart';
import { STATE_LABELS, STATES } from './states';
import { rangeStats } from './stats';
import { observeTheme, readPalette, type Palette } from './theme';
import { Timeline, type TimelineTarget } from './timeline';
import { verdictCard } from './verdict-card';

export interface HostBridge {
  post(message: WebviewToHost): void;
  /** Standalone report: no editor to reveal in, so locations are shown as text. */
  standalone: boolean;
  loadState(): SavedState | undefined;
  saveState(state: SavedState): void;
}

export interface SavedState {
  runKey: string | null;
  sideBySide: boolean;
}

export class TimelineApp {
  private readonly assembler = new TraceAssembler();
  private readonly status: HTMLElement;
  private readonly content: HTMLElement;
  private palette: Palette;
  private model: TraceModel | null = null;
  private timeline: Timeline | null = null;
  private summary: HTMLElement | null = null;
  private rangeText: HTMLElement | null = null;
  private scaling: ScalingChart | null = null;
  private legendSwatches: { swatch: HTMLElement; state: number }[] = [];
  private locks: HTMLElement | null = null;
  private selectedRun = 0;
  private sideBySide = false;

  constructor(
    private readonly root: HTMLElement,
    private readonly host: HostBridge,
  ) {
    this.palette = readPalette();
    this.status = el('div', { className: 'status', testId: 'status', attrs: { role: 'status', 'aria-live': 'polite' } });
    this.content = el('main');
    root.replaceChildren(this.status, this.content);
    this.status.textContent = 'Waiting for the trace…';
    observeTheme((palette) => {
      this.palette = palette;
      this.timeline?.setPalette(palette);
      this.scaling?.setPalette(palette);
      this.paintLegend();
    });
  }

  /** Handles one host message; returns the model when a trace has been fully received. */
  accept(message: HostToWebview): TraceModel | null {
    try {
      const model = this.assembler.accept(message);
      if (message.type === 'traceBegin') this.status.textContent = `Receiving trace (${formatCount(message.totalItems)} items)…`;
      if (!model) return null;
      this.show(model);
      this.host.post({ type: 'traceLoaded', streamId: message.type === 'traceEnd' ? message.streamId : 0, runs: model.runs.length, tasks: model.totalTasks });
      return model;
    } catch (error) {
      this.fail(error);
      return null;
    }
  }

  /**
   * A trace the page cannot read or draw (the host validates what it sends, but a page must not
   * trust that): say why in place of the views, and tell the host, instead of an uncaught error
   * under "Waiting for the trace…".
   */
  fail(error: unknown): void {
    const text = error instanceof Error ? error.message : String(error);
    this.model = null;
    this.timeline = null;
    this.content.replaceChildren();
    this.status.textContent = `Could not load the trace: ${text}`;
    this.status.classList.add('error');
    this.host.post({ type: 'error', message: text.slice(0, 4000) });
  }

  private show(model: TraceModel): void {
    this.model = model;
    this.status.classList.remove('error');
    if (model.runs.length === 0) {
      // A profile that failed before any run (import error, crash): the card alone says why.
      this.timeline = null;
      this.scaling = null;
      this.status.textContent = '';
      this.content.replaceChildren(verdictCard(model.header));
      return;
    }
    const saved = this.host.loadState();
    const savedIndex = saved?.runKey ? model.runs.findIndex((r) => r.key === saved.runKey) : -1;
    this.selectedRun = savedIndex >= 0 ? savedIndex : defaultRun(model);
    this.sideBySide = Boolean(saved?.sideBySide) && this.pairFor(this.selectedRun) !== null;
    this.status.textContent = `Loaded ${formatCount(model.totalTasks)} tasks in ${model.runs.length} runs.`;

    this.timeline = new Timeline(this.palette, {
      onRange: (range) => this.showRange(range),
      onActivate: (target) => this.reveal(target),
      onSummary: () => {
        if (this.summary && this.timeline) this.summary.textContent = this.timeline.frameSummary();
      },
    });
    this.summary = el('p', { className: 'summary', testId: 'timeline-summary', attrs: { 'aria-live': 'off' } });
    this.rangeText = el('p', { className: 'range-stats', testId: 'range-stats', text: 'Drag in the strip under the time axis (or press Range statistics) to get the statistics of a range.' });
    this.scaling = scalingChart(model.header, this.palette);
    this.locks = el('div', { className: 'locks-view' });
    this.content.replaceChildren(
      verdictCard(model.header),
      el('div', { className: 'views' }, [this.scaling.element, this.locks]),
      el('h2', { text: 'Timeline' }),
      this.toolbar(model),
      this.legend(model),
      this.timeline.root,
      this.summary,
      this.rangeText,
    );
    this.applyRuns();
  }

  private toolbar(model: TraceModel): HTMLElement {
    const runs = model.runs;
    const kinds = [...new Set(runs.map((r) => r.header.kind))];
    const current = () => runs[this.selectedRun]!.header;
    const kindSelect = el('select', { testId: 'run-kind', attrs: { 'aria-label': 'Pool kind' } });
    const workerSelect = el('select', { testId: 'run-workers', attrs: { 'aria-label': 'Workers' } });
    const repetitionSelect = el('select', { testId: 'run-repetition', attrs: { 'aria-label': 'Repetition' } });
    const fill = (select: HTMLSelectElement, values: number[] | string[], selected: string | number, label: (v: string | number) => string) => {
      select.replaceChildren(...values.map((v) => el('option', { text: label(v), attrs: { value: String(v) } })));
      select.value = String(selected);
    };
    const refreshPickers = () => {
      const h = current();
      fill(kindSelect, kinds, h.kind, (v) => `${v}`);
      const workers = [...new Set(runs.filter((r) => r.header.kind === h.kind).map((r) => r.header.workers))].sort((a, b) => a - b);
      fill(workerSelect, workers, h.workers, (v) => `${v} worker${v === 1 ? '' : 's'}`);
      const reps = runs.filter((r) => r.header.kind === h.kind && r.header.workers === h.workers).map((r) => r.header.repetition).sort((a, b) => a - b);
      fill(repetitionSelect, reps, h.repetition, (v) => `repetition ${Number(v) + 1}`);
      sideBySide.disabled = this.pairFor(this.selectedRun) === null;
      sideBySide.checked = this.sideBySide && !sideBySide.disabled;
    };
    const pick = (kind: string, workers: number, repetition: number) => {
      const exact = runs.findIndex((r) => r.header.kind === kind && r.header.workers === workers && r.header.repetition === repetition);
      const sameSize = runs.findIndex((r) => r.header.kind === kind && r.header.workers === workers);
      const sameKind = runs.findIndex((r) => r.header.kind === kind);
      this.selectedRun = [exact, sameSize, sameKind, 0].find((i) => i >= 0)!;
      this.sideBySide = this.sideBySide && this.pairFor(this.selectedRun) !== null;
      refreshPickers();
      this.applyRuns();
    };
    kindSelect.addEventListener('change', () => pick(kindSelect.value, current().workers, current().repetition));
    workerSelect.addEventListener('change', () => pick(current().kind, Number(workerSelect.value), current().repetition));
    repetitionSelect.addEventListener('change', () => pick(current().kind, current().workers, Number(repetitionSelect.value)));
    const sideBySide = el('input', { testId: 'side-by-side', attrs: { type: 'checkbox', id: 'side-by-side' } });
    sideBySide.addEventListener('change', () => {
      this.sideBySide = sideBySide.checked;
      this.applyRuns();
    });
    const filter = el('input', { testId: 'lane-filter', attrs: { type: 'search', placeholder: 'filter lanes (pid, tid, worker)', 'aria-label': 'Filter lanes by pid, tid or worker' } });
    filter.addEventListener('input', () => this.timeline?.setFilter({ text: filter.value }));
    const button = (text: string, label: string, testId: string, action: () => void) => {
      const b = el('button', { text, testId, attrs: { type: 'button', 'aria-label': label } });
      b.addEventListener('click', action);
      return b;
    };
    refreshPickers();
    // Groups wrap as wholes on a narrow panel: a picker never lands apart from its siblings.
    const group = (children: (Node | string)[]) => el('span', { className: 'group' }, children);
    return el('div', { className: 'toolbar', attrs: { role: 'toolbar', 'aria-label': 'Timeline controls' } }, [
      group([el('label', { text: 'Run ' }, [kindSelect]), workerSelect, repetitionSelect]),
      group([el('label', { attrs: { for: 'side-by-side', title: 'Draw the thread run and the process run of the same size one above the other, on one time axis' } }, [sideBySide, ' Compare threads and processes'])]),
      filter,
      group([
        button('+', 'Zoom in', 'zoom-in', () => this.timeline?.zoomBy(2)),
        button('−', 'Zoom out', 'zoom-out', () => this.timeline?.zoomBy(0.5)),
        button('Range statistics', 'Statistics of the visible time range', 'range-visible', () => {
          const range = this.timeline?.visibleRange();
          if (range) this.timeline?.selectRange(Math.max(0, range[0]), range[1]);
        }),
        button('Reset view', 'Reset zoom, selection and scroll', 'reset-view', () => this.timeline?.resetView()),
      ]),
    ]);
  }

  /**
   * The states this trace has time in (a trace without GIL sampling shows no GIL wait), each
   * with the texture the lanes use, then the marks that are not task states.
   */
  private legend(model: TraceModel): HTMLElement {
    this.legendSwatches = [];
    const items = STATES.flatMap((state, index) => {
      if (!model.statesPresent.has(state)) return [];
      const swatch = el('span', { className: 'swatch texture' });
      this.legendSwatches.push({ swatch, state: index });
      return [el('li', { attrs: { 'data-state': state } }, [swatch, STATE_LABELS[state]])];
    });
    const extra = [
      ['--cl-lock-hold', 'Lock held (lower band)', 'swatch band'],
      ['--cl-wake-arrow', 'Release → waiter it woke', 'swatch arrow'],
      ['--cl-core-busy', 'Core busy (darker is busier)', 'swatch'],
      ['--cl-memory', 'Peak RSS per process (hatched outline)', 'swatch memory'],
    ].map(([variable, text, className]) => {
      const swatch = el('span', { className: className! });
      swatch.style.setProperty('--swatch', `var(${variable})`);
      return el('li', {}, [swatch, text!]);
    });
    const list = el('ul', { className: 'legend', testId: 'legend', attrs: { 'aria-label': 'Legend' } }, [...items, ...extra]);
    this.paintLegend();
    return list;
  }

  private paintLegend(): void {
    const tiles = stateTiles(this.palette.states, this.palette.background, 2);
    for (const { swatch, state } of this.legendSwatches) swatch.style.backgroundImage = `url("${swatchImage(tiles, state)}")`;
  }

  /** The runs drawn: the selected one, or the thread run above the process run of the same size. */
  private shownRuns(): number[] {
    const pair = this.sideBySide ? this.pairFor(this.selectedRun) : null;
    return pair ?? [this.selectedRun];
  }

  private pairFor(runIndex: number): [number, number] | null {
    const runs = this.model?.runs ?? [];
    const h = runs[runIndex]?.header;
    if (!h || h.kind === 'serial') return null;
    const find = (kind: string) => runs.findIndex((r) => r.header.kind === kind && r.header.workers === h.workers && r.header.repetition === h.repetition);
    const thread = find('thread');
    const process = find('process');
    return thread >= 0 && process >= 0 ? [thread, process] : null;
  }

  private applyRuns(): void {
    if (!this.model || !this.timeline || !this.locks) return;
    const shown = this.shownRuns();
    this.timeline.setData(this.model, shown);
    const locks = locksSection(this.model, shown, (site) => this.reveal({ kind: 'lock', file: site.file, line: site.line }));
    this.locks.replaceChildren(locks);
    const state = { runKey: runKey(this.model.runs[this.selectedRun]!.header), sideBySide: this.sideBySide };
    this.host.saveState(state);
    this.host.post({ type: 'viewState', ...state });
  }

  private showRange(range: [number, number] | null): void {
    if (!this.rangeText || !this.model || !this.timeline) return;
    if (!range) {
      this.rangeText.textContent = 'Drag in the strip under the time axis (or press Range statistics) to get the statistics of a range.';
      return;
    }
    const stats = rangeStats(this.model, this.timeline.shownLaneIds(), range[0], range[1]);
    const total = STATES.reduce((sum, s) => sum + stats.stateNs[s], 0);
    const parts = STATES.filter((s) => stats.stateNs[s] > 0).map((s) => `${STATE_LABELS[s]} ${formatDuration(stats.stateNs[s])} (${formatPercent(total ? stats.stateNs[s] / total : 0)})`);
    const cores = stats.meanCoreBusy === null ? 'no core samples' : `cores ${formatPercent(stats.meanCoreBusy)} busy`;
    this.rangeText.textContent =
      `Range ${formatMs(stats.t0)} – ${formatMs(stats.t1)} (${formatDuration(stats.t1 - stats.t0)}): ${formatCount(stats.tasks)} tasks on ${stats.lanes} lanes · ` +
      `${parts.join(' · ') || 'no task time'} · ${formatCount(stats.lockWaits)} lock waits totalling ${formatDuration(stats.lockWaitNs)} · ${cores}`;
  }

  private reveal(target: TimelineTarget): void {
    if (this.host.standalone) {
      const where = target.line !== undefined ? `${target.file}:${target.line}` : `${target.symbol} in ${target.file}`;
      this.status.textContent = `Source: ${where}`;
      return;
    }
    this.host.post({ type: 'revealSource', file: target.file, ...(target.line !== undefined ? { line: target.line } : {}), ...(target.symbol ? { symbol: target.symbol } : {}) });
  }
}

/** The recommended configuration if present, else the first pool run, else the first run. */
function defaultRun(model: TraceModel): number {
  const verdict = model.header.verdict;
  if (verdict) {
    const recommended = model.runs.findIndex((r) => r.header.kind === verdict.recommendation && r.header.workers === verdict.workers && r.taskCount > 0);
    if (recommended >= 0) return recommended;
  }
  const pool = model.runs.findIndex((r) => r.header.kind !== 'serial' && r.taskCount > 0);
  return pool >= 0 ? pool : 0;
}
