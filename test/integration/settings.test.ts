import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as vscode from 'vscode';
import { Commands } from '../../src/host/commands';
import type { AnalysisResult } from '../../src/shared/findings';
import { fixtureUri, hasRule, lacksRule, openFixture, revertAll, ruleOf, waitForDiagnostics } from './helpers';

const settings = () => vscode.workspace.getConfiguration('concurrencyLens');
const raceSeverity = (expected: vscode.DiagnosticSeverity) => (diagnostics: vscode.Diagnostic[]) =>
  diagnostics.some((d) => ruleOf(d) === 'PY-RACE-001' && d.severity === expected);

describe('settings', () => {
  const counter = () => fixtureUri('counter.py');

  beforeEach(async () => {
    await openFixture('counter.py');
    // The default severity: the previous test's settings are undone, so a severity a test
    // waits for can only come from its own change (and the settings changed with it).
    await waitForDiagnostics(counter(), raceSeverity(vscode.DiagnosticSeverity.Warning));
  });

  afterEach(async () => {
    // Only what the test set: every write of settings.json is another burst of change events.
    for (const key of ['rules', 'enable', 'exclude', 'analyzeOnType', 'maxWorkers']) {
      if (settings().inspect(key)?.workspaceValue !== undefined) await settings().update(key, undefined, vscode.ConfigurationTarget.Workspace);
    }
    await vscode.workspace.fs.delete(fixtureUri('conclens.json')).then(undefined, () => undefined);
    await revertAll();
  });

  it('turning a rule "off" removes its diagnostic, and back on restores it', async () => {
    await settings().update('rules', { 'PY-RACE-001': 'off' }, vscode.ConfigurationTarget.Workspace);
    await waitForDiagnostics(counter(), lacksRule('PY-RACE-001'));
    await settings().update('rules', undefined, vscode.ConfigurationTarget.Workspace);
    await waitForDiagnostics(counter(), hasRule('PY-RACE-001'));
  });

  it('a severity override changes the diagnostic severity', async () => {
    await settings().update('rules', { 'PY-RACE-001': 'error' }, vscode.ConfigurationTarget.Workspace);
    await waitForDiagnostics(counter(), raceSeverity(vscode.DiagnosticSeverity.Error));
    await settings().update('rules', { 'PY-RACE-001': 'hint' }, vscode.ConfigurationTarget.Workspace);
    await waitForDiagnostics(counter(), raceSeverity(vscode.DiagnosticSeverity.Hint));
  });

  it('honours conclens.json, with settings taking precedence', async () => {
    const file = { rules: { 'PY-RACE-001': 'information' } };
    await vscode.workspace.fs.writeFile(fixtureUri('conclens.json'), new TextEncoder().encode(JSON.stringify(file)));
    await waitForDiagnostics(counter(), raceSeverity(vscode.DiagnosticSeverity.Information));
    await settings().update('rules', { 'PY-RACE-001': 'error' }, vscode.ConfigurationTarget.Workspace);
    await waitForDiagnostics(counter(), raceSeverity(vscode.DiagnosticSeverity.Error));
  });

  it('a workspace run reads only regular files within conclens.json\'s "maxFileBytes"', async () => {
    const counterText = new TextDecoder().decode(await vscode.workspace.fs.readFile(counter()));
    const big = fixtureUri('big_racy.py');
    const pipe = fixtureUri('pipe.py');
    await vscode.workspace.fs.writeFile(big, new TextEncoder().encode(`${counterText}\n${'# padding\n'.repeat(4_000)}`));
    execFileSync('mkfifo', [pipe.fsPath]);
    try {
      const file = { rules: { 'PY-RACE-001': 'information' }, maxFileBytes: 20_000 };
      await vscode.workspace.fs.writeFile(fixtureUri('conclens.json'), new TextEncoder().encode(JSON.stringify(file)));
      // The severity shows the file has been applied, maxFileBytes with it.
      await waitForDiagnostics(counter(), raceSeverity(vscode.DiagnosticSeverity.Information));
      const result = await vscode.commands.executeCommand<AnalysisResult>(Commands.analyzeWorkspace);
      assert.ok(result, 'the run completes (a FIFO named like a source file is never opened)');
      assert.ok(result.findings.some((f) => f.file === counter().fsPath), 'the small file is analyzed');
      assert.ok(!result.findings.some((f) => f.file === big.fsPath), 'the file over maxFileBytes is not');
    } finally {
      await vscode.workspace.fs.delete(big);
      await vscode.workspace.fs.delete(pipe);
    }
  });

  it('with "analyzeOnType": false, edits are analyzed on save only', async () => {
    await settings().update('analyzeOnType', false, vscode.ConfigurationTarget.Workspace);
    // A visible effect of a later settings change proves the earlier one has been applied too.
    await settings().update('rules', { 'PY-RACE-001': 'error' }, vscode.ConfigurationTarget.Workspace);
    await waitForDiagnostics(counter(), raceSeverity(vscode.DiagnosticSeverity.Error));
    const editor = await openFixture('counter.py');
    const original = editor.document.lineAt(9).text;
    await editor.edit((edit) => edit.replace(editor.document.lineAt(9).range, '        pass'));
    try {
      // Three debounce periods: long enough for an analysis on type to have landed.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await waitForDiagnostics(counter(), hasRule('PY-RACE-001'), 0);
      await editor.document.save();
      await waitForDiagnostics(counter(), lacksRule('PY-RACE-001'));
    } finally {
      await editor.edit((edit) => edit.replace(editor.document.lineAt(9).range, original));
      await editor.document.save();
    }
  });

  it('changing "maxWorkers" keeps the findings of files that are not open', async () => {
    await vscode.commands.executeCommand(Commands.analyzeWorkspace);
    const guarded = fixtureUri('guarded.py');
    await waitForDiagnostics(guarded, hasRule('PY-RACE-004'));
    await settings().update('maxWorkers', 2, vscode.ConfigurationTarget.Workspace);
    // The new session re-reads the file in the background; give it time to (wrongly) drop it.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await waitForDiagnostics(guarded, hasRule('PY-RACE-004'), 0);
  });

  it('"exclude" stops analysis of matching files', async () => {
    await settings().update('exclude', ['counter.py'], vscode.ConfigurationTarget.Workspace);
    await waitForDiagnostics(counter(), lacksRule('PY-RACE-001'));
  });

  it('"enable": false clears every finding', async () => {
    await settings().update('enable', false, vscode.ConfigurationTarget.Workspace);
    await waitForDiagnostics(counter(), (diagnostics) => diagnostics.length === 0);
    await settings().update('enable', undefined, vscode.ConfigurationTarget.Workspace);
    await waitForDiagnostics(counter(), hasRule('PY-RACE-001'));
  });
});
