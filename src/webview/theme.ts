/**
 * Canvas colours come from CSS custom properties (styles.css maps each to the VS Code theme
 * variable with a fallback for the standalone report). The canvas cannot use `var()`, so the
 * values are read once per theme and re-read when VS Code switches theme: it changes the body
 * class and the inline style holding the variables, which a MutationObserver sees.
 */
import { STATES, type TaskState } from './states';

export interface Palette {
  states: Record<TaskState, string>;
  background: string;
  foreground: string;
  muted: string;
  grid: string;
  coreBusy: string;
  memory: string;
  wakeArrow: string;
  lockHold: string;
  selection: string;
  font: string;
}

const STATE_VARIABLES: Record<TaskState, string> = {
  schedulerWait: '--cl-scheduler-wait',
  running: '--cl-running',
  runqueue: '--cl-runqueue',
  gilWait: '--cl-gil-wait',
  lockWait: '--cl-lock-wait',
  loopBusy: '--cl-loop-busy',
  io: '--cl-io',
  blocked: '--cl-blocked',
  gc: '--cl-gc',
  serialization: '--cl-serialization',
  transfer: '--cl-transfer',
};

export function readPalette(element: Element = document.body): Palette {
  const style = getComputedStyle(element);
  const read = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  const states = Object.fromEntries(STATES.map((s) => [s, read(STATE_VARIABLES[s], '#888888')])) as Record<TaskState, string>;
  const family = read('--cl-font-family', 'sans-serif');
  return {
    states,
    background: read('--cl-background', '#1e1e1e'),
    foreground: read('--cl-foreground', '#cccccc'),
    muted: read('--cl-muted', '#8a8a8a'),
    grid: read('--cl-grid', 'rgba(128,128,128,0.25)'),
    coreBusy: read('--cl-core-busy', '#4caf50'),
    memory: read('--cl-memory', '#9c7cd4'),
    wakeArrow: read('--cl-wake-arrow', '#e0e0e0'),
    lockHold: read('--cl-lock-hold', '#c9a227'),
    selection: read('--cl-selection', 'rgba(0,120,212,0.25)'),
    font: `11px ${family}`,
  };
}

/** Calls `onChange` with the new palette whenever the theme (body class or style) changes. */
export function observeTheme(onChange: (palette: Palette) => void): () => void {
  const observer = new MutationObserver(() => onChange(readPalette()));
  observer.observe(document.body, { attributes: true, attributeFilter: ['class', 'style', 'data-vscode-theme-kind'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['class', 'style'] });
  const media = window.matchMedia('(prefers-color-scheme: dark)');
  const onMedia = () => onChange(readPalette());
  media.addEventListener('change', onMedia);
  return () => {
    observer.disconnect();
    media.removeEventListener('change', onMedia);
  };
}
