/**
 * HTML for the timeline: the standalone report (one offline file: bundle, CSS and trace
 * inlined) and the VS Code panel page (bundle and CSS by URI). Both carry a strict CSP: no
 * default sources, scripts and styles only by nonce or from the bundle folder, no
 * unsafe-inline or unsafe-eval. No vscode import: the CLI and the host share it.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ProfileTrace } from '../shared/trace';
import { checkTrace } from '../shared/trace-schema';

export interface WebviewAssets {
  js: string;
  css: string;
}

/** Must match INLINE_TRACE_ID in src/webview/main.ts. */
const INLINE_TRACE_ID = 'conclens-trace';

export function createNonce(): string {
  return randomBytes(18).toString('base64url');
}

/**
 * JSON that is safe inside a `<script type="application/json">` element: `<` is escaped so no
 * string in the trace can close the element (`</script>`) or open a comment (`<!--`), and the
 * two line separators JSON allows but old parsers do not are escaped too.
 */
export function jsonForScriptElement(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError('The trace cannot be serialised as JSON.');
  return json.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Inlined JavaScript cannot contain `</script` or `<!--` (they end or alter the element). */
function scriptForInline(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

function styleForInline(css: string): string {
  if (/<\/style/i.test(css)) throw new Error('The webview stylesheet contains "</style" and cannot be inlined.');
  return css;
}

function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function page(options: { title: string; csp: string; head: string; body: string }): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeAttribute(options.csp)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeAttribute(options.title)}</title>`,
    options.head,
    '</head>',
    '<body>',
    '<div id="app"></div>',
    options.body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/**
 * One self-contained HTML file: opens offline in any browser and makes no network request
 * (default-src 'none' forbids it, and nothing in it asks for one). The trace is checked
 * against the schema first, so the page only ever gets a document it can draw.
 */
export function buildStandaloneReport(trace: ProfileTrace, assets: WebviewAssets, nonce = createNonce()): string {
  checkTrace(trace, 'the trace of this report');
  return buildInlinePage(assets, nonce, `Concurrency Lens: ${trace.target.function} (${trace.target.file})`, jsonForScriptElement(trace));
}

/**
 * The inlined page; without a trace the app waits for protocol messages posted to the window
 * (how the timeline benchmark streams its synthetic trace).
 */
export function buildInlinePage(assets: WebviewAssets, nonce: string, title: string, traceJson: string | null): string {
  const csp = `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; img-src data:; font-src data:`;
  const data = traceJson === null ? '' : `<script type="application/json" id="${INLINE_TRACE_ID}">${traceJson}</script>`;
  return page({
    title,
    csp,
    head: `<style nonce="${nonce}">\n${styleForInline(assets.css)}\n</style>`,
    body: `${data}\n<script nonce="${nonce}">\n${scriptForInline(assets.js)}\n</script>`,
  });
}

/**
 * The VS Code panel page. `cspSource` is `webview.cspSource`; the URIs come from
 * `webview.asWebviewUri` over the bundle folder (the panel's only localResourceRoot).
 */
export function buildPanelHtml(options: { cspSource: string; nonce: string; scriptUri: string; styleUri: string; title?: string }): string {
  const { cspSource, nonce, scriptUri, styleUri } = options;
  if (!/^[A-Za-z0-9+/=_-]{16,}$/.test(nonce)) throw new Error('The nonce must be at least 16 base64 characters.');
  const csp = `default-src 'none'; script-src 'nonce-${nonce}'; style-src ${cspSource}; img-src ${cspSource} data:; font-src ${cspSource}`;
  return page({
    title: options.title ?? 'Concurrency Lens: Timeline',
    csp,
    head: `<link rel="stylesheet" href="${escapeAttribute(styleUri)}">`,
    body: `<script nonce="${nonce}" src="${escapeAttribute(scriptUri)}"></script>`,
  });
}

/** Reads dist/webview.js and dist/webview.css (built by esbuild.mjs) from `distDir`. */
export async function readWebviewAssets(distDir: string): Promise<WebviewAssets> {
  const read = async (name: string) => {
    try {
      return await readFile(path.join(distDir, name), 'utf8');
    } catch (error) {
      throw new Error(`Cannot read the timeline bundle ${path.join(distDir, name)}: run \`npm run build\` first (${(error as Error).message}).`, { cause: error });
    }
  };
  const [js, css] = await Promise.all([read('webview.js'), read('webview.css')]);
  return { js, css };
}

/** Builds the standalone report from the bundle in `distDir`. */
export async function buildStandaloneReportFromDist(trace: ProfileTrace, distDir: string): Promise<string> {
  return buildStandaloneReport(trace, await readWebviewAssets(distDir));
}
