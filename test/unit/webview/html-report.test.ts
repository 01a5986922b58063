import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildPanelHtml, buildStandaloneReport, jsonForScriptElement } from '../../../src/profiler/html-report';
import { run, task, trace } from './trace-fixture';

const HOSTILE = '</script><img src=x onerror=alert(1)><!-- \u2028';

void test('inlined trace JSON cannot close its script element and parses back unchanged', () => {
  const value = { name: HOSTILE, path: '</SCRIPT >&' };
  const json = jsonForScriptElement(value);
  assert.doesNotMatch(json, /<|>/);
  assert.deepEqual(JSON.parse(json), value);
});

void test('the standalone report inlines bundle, CSS and trace under a nonce CSP with no network source', () => {
  const t = trace([run('thread', 1, [task(0, 1, 0, 1)])]);
  t.target.function = HOSTILE;
  const html = buildStandaloneReport(t, { js: 'console.log("</script>")', css: 'body{color:red}' }, 'abcdefghijklmnopqrstuvwx');
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
  assert.equal(csp, "default-src 'none'; script-src 'nonce-abcdefghijklmnopqrstuvwx'; style-src 'nonce-abcdefghijklmnopqrstuvwx'; img-src data:; font-src data:");
  assert.doesNotMatch(html, /unsafe-inline|unsafe-eval|https?:\/\//);
  assert.equal(html.match(/<\/script>/g)?.length, 2, 'only the two script elements close');
  assert.match(html, /<script type="application\/json" id="conclens-trace">/);
  assert.match(html, /console\.log\("<\\\/script>"\)/);
  assert.doesNotMatch(html, /<img/);
  assert.match(html, /<title>Concurrency Lens: &lt;\/script&gt;&lt;img/);
  assert.throws(() => buildStandaloneReport({ ...t, runs: [null] } as never, { js: '', css: '' }), /^Error: the trace of this report is not a valid Concurrency Lens trace \(schema\/trace\.schema\.json\): runs\/0: must be object\.$/);
  assert.throws(() => buildStandaloneReport(t, { js: '', css: '</style>' }), /cannot be inlined/);
});

void test('the panel page loads the bundle by URI under the webview CSP source', () => {
  const html = buildPanelHtml({ cspSource: 'https://file+.vscode-resource.vscode-cdn.net', nonce: 'n0nceN0nceN0nce123', scriptUri: 'https://r/dist/webview.js', styleUri: 'https://r/dist/webview.css' });
  assert.match(html, /script-src 'nonce-n0nceN0nceN0nce123'; style-src https:\/\/file\+\.vscode-resource\.vscode-cdn\.net;/);
  assert.match(html, /<script nonce="n0nceN0nceN0nce123" src="https:\/\/r\/dist\/webview.js"><\/script>/);
  assert.match(html, /<link rel="stylesheet" href="https:\/\/r\/dist\/webview.css">/);
  assert.throws(() => buildPanelHtml({ cspSource: 'x', nonce: 'short', scriptUri: '', styleUri: '' }), /nonce/);
});
