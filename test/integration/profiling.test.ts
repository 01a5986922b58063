import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { Commands } from '../../src/host/commands';
import type { ProfileResult } from '../../src/host/profileCommand';
import type { OpenTraceResult } from '../../src/host/traceCommands';
import { revealSource } from '../../src/host/timelinePanel';
import { fixtureUri, openFixture, revertAll } from './helpers';

/** Tiny runs for a 2-core machine: the serial baseline (the verdict needs it), threads and processes at 1 and 2 workers, once each. */
const SETTINGS: [string, unknown][] = [
  ['profiler.workers', [1, 2]],
  ['profiler.repeat', 1],
  ['profiler.kinds', ['serial', 'thread', 'process']],
  ['profiler.timeoutSeconds', 30],
];

async function configure(values: 'set' | 'reset'): Promise<void> {
  const config = vscode.workspace.getConfiguration('concurrencyLens');
  for (const [key, value] of SETTINGS) await config.update(key, values === 'set' ? value : undefined, vscode.ConfigurationTarget.Workspace);
}

async function lensTitles(uri: vscode.Uri): Promise<string[]> {
  const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
  return lenses.map((lens) => lens.command?.title ?? '');
}

describe('profiling from the editor', function () {
  this.timeout(180_000);
  let profiled: Extract<ProfileResult, { status: 'done' }>;

  before(async () => {
    await configure('set');
    const result = await vscode.commands.executeCommand<ProfileResult>(Commands.profileFunction, {
      uri: fixtureUri('profiling.py'),
      functionName: 'count_primes',
      tasks: '[3000] * 4',
    });
    assert.equal(result.status, 'done', JSON.stringify(result));
    profiled = result as typeof profiled;
  });
  after(async () => {
    await configure('reset');
    await revertAll();
  });

  it('the command profiles the function under the configured pools and reaches a verdict', () => {
    const { trace, completed } = profiled.outcome;
    assert.equal(completed, true, profiled.outcome.message);
    assert.equal(trace.target.function, 'count_primes');
    assert.equal(trace.target.file, 'profiling.py');
    assert.equal(trace.target.taskCount, 4);
    assert.deepEqual([...new Set(trace.runs.map((run) => `${run.kind}x${run.workers}`))].sort(), ['processx1', 'processx2', 'serialx1', 'threadx1', 'threadx2']);
    assert.ok(trace.runs.every((run) => run.tasks.length === 4));
    assert.equal(trace.configuration.repeat, 1);
    assert.ok(trace.verdict, 'a verdict');
  });

  it('the timeline panel opens and the webview receives the whole trace', async () => {
    const loaded = await profiled.panelLoaded;
    assert.equal(loaded.runs, profiled.outcome.trace.runs.length);
    assert.equal(loaded.tasks, profiled.outcome.trace.runs.reduce((sum, run) => sum + run.tasks.length, 0));
    const tab = vscode.window.tabGroups.all.flatMap((group) => group.tabs).find((t) => t.label === 'Timeline: count_primes');
    assert.ok(tab, 'a tab titled "Timeline: count_primes"');
    assert.ok(tab.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith('concurrencyLens.timeline'));
  });

  it('the trace is stored and reopens from the history', async () => {
    const result = await vscode.commands.executeCommand<OpenTraceResult>(Commands.openTrace, { traceId: profiled.traceId });
    assert.equal(result.status, 'opened');
    const loaded = await (result as Extract<OpenTraceResult, { status: 'opened' }>).panelLoaded;
    assert.equal(loaded.runs, profiled.outcome.trace.runs.length);
    const panels = vscode.window.tabGroups.all.flatMap((group) => group.tabs).filter((t) => t.label.startsWith('Timeline: '));
    assert.equal(panels.length, 1, 'one timeline panel, reused');
  });

  it('Open Trace reads a trace file, and says why a file is not one', async () => {
    const file = fixtureUri('count_primes.conclens-trace.json').fsPath;
    writeFileSync(file, JSON.stringify(profiled.outcome.trace));
    const opened = await vscode.commands.executeCommand<OpenTraceResult>(Commands.openTrace, { file });
    assert.equal(opened.status, 'opened');
    const loaded = await (opened as Extract<OpenTraceResult, { status: 'opened' }>).panelLoaded;
    assert.equal(loaded.runs, profiled.outcome.trace.runs.length);

    const bad = await vscode.commands.executeCommand<OpenTraceResult>(Commands.openTrace, { file: fixtureUri('counter.py').fsPath });
    assert.equal(bad.status, 'failed');
    assert.match((bad as { message: string }).message, /^counter\.py is not JSON \(/);
  });

  it('Open Trace refuses a trace that breaks the schema, naming the file and the fault, and opens no panel', async () => {
    const good = profiled.outcome.trace;
    const malformed: [string, unknown, RegExp][] = [
      ['null-run.json', { ...good, runs: [null] }, /runs\/0: must be object/],
      ['null-fault.json', { ...good, faults: [null] }, /faults\/0: must be object/],
      ['empty-target.json', { ...good, target: {}, runs: [] }, /target: must have required property 'file'/],
    ];
    const timelines = () => vscode.window.tabGroups.all.flatMap((group) => group.tabs).filter((t) => t.label.startsWith('Timeline: ')).map((t) => t.label);
    const before = timelines();
    for (const [name, document, fault] of malformed) {
      const file = fixtureUri(name).fsPath;
      writeFileSync(file, JSON.stringify(document));
      const result = await vscode.commands.executeCommand<OpenTraceResult>(Commands.openTrace, { file });
      assert.equal(result.status, 'failed', name);
      const message = (result as { message: string }).message;
      assert.ok(message.startsWith(`${name} is not a valid Concurrency Lens trace (schema/trace.schema.json): `), message);
      assert.match(message, fault);
    }
    assert.deepEqual(timelines(), before, 'a refused file neither opens nor retitles a timeline');
  });

  it('a *.conclens-trace.json file opens in the timeline editor by default', async () => {
    const uri = fixtureUri('count_primes.conclens-trace.json');
    await vscode.commands.executeCommand('vscode.open', uri);
    const deadline = Date.now() + 10_000;
    const custom = () =>
      vscode.window.tabGroups.all
        .flatMap((group) => group.tabs)
        .find((t) => t.input instanceof vscode.TabInputCustom && t.input.uri.fsPath === uri.fsPath);
    while (!custom() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    const tab = custom();
    assert.ok(tab, 'a custom editor tab for the trace file');
    assert.equal((tab.input as vscode.TabInputCustom).viewType, 'concurrencyLens.traceViewer');
  });

  it('the CodeLens offers "Profile under pools" on top-level functions and shows the last verdict', async () => {
    const titles = await lensTitles(fixtureUri('profiling.py'));
    assert.equal(titles.filter((t) => t === 'Profile under pools').length, 3, titles.join(' | '));
    const verdict = profiled.outcome.trace.verdict;
    assert.ok(verdict);
    // The panel's words: "Use a thread pool with 2 workers: 1.40× faster than serial · bottleneck: …".
    const expected = verdict.recommendation === 'serial' ? 'Run serially: ' : `Use a ${verdict.recommendation} pool with ${verdict.workers} worker${verdict.workers === 1 ? '' : 's'}: `;
    assert.ok(titles.some((t) => t.startsWith(expected)), `a lens with the verdict (${titles.join(' | ')})`);
    assert.ok(titles.every((t) => !/\d\.\d+x\b|\.0%/.test(t)), `one multiplication sign, no ".0%" (${titles.join(' | ')})`);
  });

  it('exports the shown trace as a Chrome trace', async () => {
    const target = fixtureUri('count_primes.chrome-trace.json');
    const written = await vscode.commands.executeCommand<vscode.Uri | undefined>(Commands.exportChromeTrace, target);
    assert.equal(written?.fsPath, target.fsPath);
    const chrome = JSON.parse(readFileSync(target.fsPath, 'utf8')) as { traceEvents: unknown[] };
    assert.ok(Array.isArray(chrome.traceEvents) && chrome.traceEvents.length > 0);
  });

  it('Export Chrome Trace takes the trace of an open trace-file editor, and exports nothing when no timeline is open', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const target = fixtureUri('from-editor.chrome-trace.json');
    assert.equal(await vscode.commands.executeCommand(Commands.exportChromeTrace, target), undefined, 'no timeline open: nothing to export');
    await vscode.commands.executeCommand('vscode.open', fixtureUri('count_primes.conclens-trace.json'));
    const deadline = Date.now() + 15_000;
    let written: vscode.Uri | undefined;
    while (!written && Date.now() < deadline) {
      written = await vscode.commands.executeCommand<vscode.Uri | undefined>(Commands.exportChromeTrace, target);
      if (!written) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(written?.fsPath, target.fsPath, 'the trace-file editor\'s trace is exported');
    const chrome = JSON.parse(readFileSync(target.fsPath, 'utf8')) as { traceEvents: unknown[] };
    assert.ok(chrome.traceEvents.length > 0);
  });

  it('a tasks expression that is not Python is refused before anything runs', async () => {
    const result = await vscode.commands.executeCommand<ProfileResult>(Commands.profileFunction, {
      uri: fixtureUri('profiling.py'),
      functionName: 'spin',
      tasks: '[200_000] * 8 +',
    });
    assert.equal(result.status, 'refused');
    assert.match((result as { reason: string }).reason, /the tasks for spin are not one Python expression: The expression is incomplete/);
  });

  it('a profile that never ran a configuration opens no panel and says why', async () => {
    const result = await vscode.commands.executeCommand<ProfileResult>(Commands.profileFunction, {
      uri: fixtureUri('profiling.py'),
      functionName: 'spin',
      tasks: 'no_such_name * 3',
    });
    assert.equal(result.status, 'failed', JSON.stringify(result));
    assert.match((result as { message: string }).message, /^spin was not profiled: .*no_such_name/);
    const tabs = vscode.window.tabGroups.all.flatMap((group) => group.tabs).map((t) => t.label);
    assert.ok(!tabs.includes('Timeline: spin'), `no panel (tabs: ${tabs.join(', ')})`);
  });

  it('"profiler.codeLens": false hides the lenses', async () => {
    const config = vscode.workspace.getConfiguration('concurrencyLens');
    await config.update('profiler.codeLens', false, vscode.ConfigurationTarget.Workspace);
    try {
      assert.deepEqual(await lensTitles(fixtureUri('profiling.py')), []);
    } finally {
      await config.update('profiler.codeLens', undefined, vscode.ConfigurationTarget.Workspace);
    }
    assert.ok((await lensTitles(fixtureUri('profiling.py'))).includes('Profile under pools'));
  });

  it('an interpreter that cannot run fails with a message that names it', async () => {
    const config = vscode.workspace.getConfiguration('concurrencyLens');
    await config.update('pythonPath', '/nonexistent/python3', vscode.ConfigurationTarget.Workspace);
    try {
      const result = await vscode.commands.executeCommand<ProfileResult>(Commands.profileFunction, {
        uri: fixtureUri('profiling.py'),
        functionName: 'count_primes',
        tasks: '[10] * 2',
      });
      assert.equal(result.status, 'failed');
      assert.match((result as { message: string }).message, /\/nonexistent\/python3 could not be run.*Python 3\.9 or newer/);
    } finally {
      await config.update('pythonPath', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('refuses a method: a process pool cannot pickle it', async () => {
    const editor = await openFixture('profiling.py');
    const line = editor.document.getText().split('\n').findIndex((text) => text.includes('return value + 1'));
    editor.selection = new vscode.Selection(line, 4, line, 4);
    const result = await vscode.commands.executeCommand<ProfileResult>(Commands.profileFunction);
    assert.equal(result.status, 'refused');
    assert.match((result as { reason: string }).reason, /Tally\.add is a method/);
  });

  it('opens the line a timeline span points to, and refuses paths outside the workspace', async () => {
    const editor = await revealSource({ type: 'revealSource', file: 'profiling.py', symbol: 'spin' }, vscode.window.createOutputChannel('test', { log: true }));
    assert.ok(editor);
    assert.equal(editor.document.uri.fsPath, fixtureUri('profiling.py').fsPath);
    assert.match(editor.document.lineAt(editor.selection.active.line).text, /^def spin\(/);
    const atLine = await revealSource({ type: 'revealSource', file: 'profiling.py', line: 5 }, vscode.window.createOutputChannel('test', { log: true }));
    assert.equal(atLine?.selection.start.line, 4);
    const outside = await revealSource({ type: 'revealSource', file: '/etc/passwd', line: 1 }, vscode.window.createOutputChannel('test', { log: true }));
    assert.equal(outside, undefined);
    symlinkSync('/etc/hostname', fixtureUri('escape.txt').fsPath);
    const viaLink = await revealSource({ type: 'revealSource', file: 'escape.txt', line: 1 }, vscode.window.createOutputChannel('test', { log: true }));
    assert.equal(viaLink, undefined, 'a link in the workspace to a file outside is refused');
    assert.ok(!vscode.window.visibleTextEditors.some((e) => e.document.uri.fsPath === '/etc/passwd'));
  });
});
