import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ProfileResult } from '../../src/host/profileCommand';
import { revealSource } from '../../src/host/timelinePanel';
import { fixtureUri, openFixture, revertAll } from './helpers';

/** Tiny runs for a 2-core machine, as for Python; async is left out by the function itself (it returns no promise). */
const SETTINGS: [string, unknown][] = [
  ['profiler.workers', [2]],
  ['profiler.repeat', 1],
  ['profiler.kinds', ['serial', 'async', 'thread', 'process']],
  ['profiler.timeoutSeconds', 30],
];

async function configure(values: 'set' | 'reset'): Promise<void> {
  const config = vscode.workspace.getConfiguration('concurrencyLens');
  for (const [key, value] of SETTINGS) await config.update(key, values === 'set' ? value : undefined, vscode.ConfigurationTarget.Workspace);
}

async function lenses(uri: vscode.Uri): Promise<vscode.CodeLens[]> {
  // The provider command needs the document loaded.
  await vscode.workspace.openTextDocument(uri);
  return vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
}

describe('profiling a TypeScript function from the editor', function () {
  this.timeout(180_000);
  let profiled: Extract<ProfileResult, { status: 'done' }>;

  before(async () => {
    await configure('set');
    // The CodeLens above the exported function carries the command and its arguments; the
    // tasks the prompt would offer (from the `// conclens: tasks=` comment) are passed along.
    const lens = (await lenses(fixtureUri('profiling.ts'))).find((l) => l.command?.title === 'Profile under pools' && l.range.start.line === 3);
    assert.ok(lens?.command, 'a "Profile under pools" lens above sumOfSquares');
    const [args] = lens.command.arguments as [{ uri: vscode.Uri; functionName: string }];
    const result = await vscode.commands.executeCommand<ProfileResult>(lens.command.command, { ...args, tasks: '[200000, 200000, 200000, 200000]' });
    assert.equal(result.status, 'done', JSON.stringify(result));
    profiled = result as typeof profiled;
  });
  after(async () => {
    await configure('reset');
    await revertAll();
  });

  it('lenses sit above the exported functions only', async () => {
    const titled = (await lenses(fixtureUri('profiling.ts'))).filter((l) => l.command?.title === 'Profile under pools');
    assert.deepEqual(titled.map((l) => l.range.start.line), [3, 14]);
    assert.deepEqual(titled.map((l) => (l.command!.arguments![0] as { functionName: string }).functionName), ['sumOfSquares', 'spinFor']);
  });

  it('the profile runs under Node with the transpiled TypeScript and reaches a verdict', () => {
    const { trace, completed } = profiled.outcome;
    assert.equal(completed, true, profiled.outcome.message);
    assert.equal(trace.target.runtime, 'node');
    assert.equal(trace.target.language, 'typescript');
    assert.equal(trace.target.node?.transpiled, true);
    assert.deepEqual([...new Set(trace.runs.map((run) => `${run.kind}x${run.workers}`))].sort(), ['processx2', 'serialx1', 'threadx2']);
    assert.ok(trace.faults.some((f) => f.fault === 'not-async'), 'a function that returns no promise gets no async run');
    assert.ok(trace.verdict, 'a verdict');
  });

  it('the timeline panel shows the whole trace', async () => {
    const loaded = await profiled.panelLoaded;
    assert.equal(loaded.runs, profiled.outcome.trace.runs.length);
    assert.equal(loaded.tasks, profiled.outcome.trace.runs.reduce((sum, run) => sum + run.tasks.length, 0));
    assert.ok(vscode.window.tabGroups.all.flatMap((group) => group.tabs).some((t) => t.label === 'Timeline: sumOfSquares'));
  });

  it('the lens then shows the verdict, and a span reveals the exported function', async () => {
    const verdict = profiled.outcome.trace.verdict!;
    const titles = (await lenses(fixtureUri('profiling.ts'))).map((l) => l.command?.title ?? '');
    // The panel's words, with Node's pool names: "Use a worker_threads pool with 2 workers: 1.80× faster than serial".
    const pools: Record<string, string> = { thread: 'worker_threads pool', process: 'child_process pool' };
    const expected = verdict.recommendation === 'serial' ? 'Run serially: ' : `Use a ${pools[verdict.recommendation]} with ${verdict.workers} worker${verdict.workers === 1 ? '' : 's'}: `;
    assert.ok(titles.some((t) => t.startsWith(expected)), titles.join(' | '));
    const editor = await revealSource({ type: 'revealSource', file: 'profiling.ts', symbol: 'spinFor' }, vscode.window.createOutputChannel('test', { log: true }));
    assert.equal(editor?.selection.start.line, 14);
  });

  it('the cursor picks the exported function around it; a function the module does not export is refused', async () => {
    const editor = await openFixture('profiling.ts');
    const inside = editor.document.getText().split('\n').findIndex((text) => text.includes('return value * value'));
    editor.selection = new vscode.Selection(inside, 2, inside, 2);
    const result = await vscode.commands.executeCommand<ProfileResult>('concurrencyLens.profileFunction');
    assert.equal(result.status, 'refused');
    assert.match((result as { reason: string }).reason, /put the cursor inside a function that profiling\.ts exports from its top level/);
  });

  it('a nodePath that is not Node fails with a message that names it', async () => {
    const config = vscode.workspace.getConfiguration('concurrencyLens');
    await config.update('nodePath', '/bin/echo', vscode.ConfigurationTarget.Workspace);
    try {
      const result = await vscode.commands.executeCommand<ProfileResult>('concurrencyLens.profileFunction', { uri: fixtureUri('profiling.ts'), functionName: 'sumOfSquares', tasks: '[1]' });
      assert.equal(result.status, 'failed');
      assert.match((result as { message: string }).message, /\/bin\/echo is not Node\.js/);
    } finally {
      await config.update('nodePath', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
});
