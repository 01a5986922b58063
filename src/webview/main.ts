/**
 * Webview entry. In VS Code the host streams the trace after our `ready`; in the standalone
 * report the trace is inlined as JSON (never executed) and fed through the same messages.
 */
import { traceMessages, WEBVIEW_PROTOCOL_VERSION, type HostToWebview, type WebviewToHost } from '../shared/webview-protocol';
import type { ProfileTrace } from '../shared/trace';
import { TimelineApp, type HostBridge, type SavedState } from './app';
import './styles.css';

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export const INLINE_TRACE_ID = 'conclens-trace';

function bridge(): HostBridge {
  const inline = document.getElementById(INLINE_TRACE_ID) !== null;
  const api = typeof acquireVsCodeApi === 'function' ? acquireVsCodeApi() : null;
  let memory: SavedState | undefined;
  return {
    standalone: inline || api === null,
    post: (message) => api?.postMessage(message),
    loadState: () => (api ? (api.getState() as SavedState | undefined) : memory),
    saveState: (state) => (api ? api.setState(state) : (memory = state)),
  };
}

function isHostMessage(data: unknown): data is HostToWebview {
  return typeof data === 'object' && data !== null && typeof (data as { type?: unknown }).type === 'string' && String((data as { type: string }).type).startsWith('trace');
}

function start(): void {
  const root = document.getElementById('app');
  if (!root) throw new Error('The page has no #app element.');
  const host = bridge();
  const app = new TimelineApp(root, host);
  window.addEventListener('message', (event: MessageEvent<unknown>) => {
    if (isHostMessage(event.data)) app.accept(event.data);
  });
  const inline = document.getElementById(INLINE_TRACE_ID);
  if (inline) {
    try {
      const trace = JSON.parse(inline.textContent ?? '') as ProfileTrace;
      if (typeof trace !== 'object' || trace === null || !Array.isArray(trace.runs)) throw new Error('it is not a profile trace');
      for (const message of traceMessages(trace, 1)) app.accept(message);
    } catch (error) {
      app.fail(new Error(`this report's trace cannot be read: ${error instanceof Error ? error.message : String(error)}`));
    }
  } else {
    host.post({ type: 'ready', protocolVersion: WEBVIEW_PROTOCOL_VERSION });
  }
}

start();
