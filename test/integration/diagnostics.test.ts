import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { Commands } from '../../src/host/commands';
import { ruleHelpUri } from '../../src/analyzers/rules';
import type { AnalysisResult } from '../../src/shared/findings';
import { fixtureUri, hasRule, lacksRule, openFixture, ours, revertAll, ruleOf, SOURCE, waitForDiagnostics } from './helpers';

describe('diagnostics', () => {
  afterEach(revertAll);

  it('reports PY-RACE-001 on a global counter incremented by two threads', async () => {
    const uri = fixtureUri('counter.py');
    await openFixture('counter.py');
    const diagnostics = await waitForDiagnostics(uri, hasRule('PY-RACE-001'));
    const race = diagnostics.find((d) => ruleOf(d) === 'PY-RACE-001');
    assert.ok(race);
    assert.equal(race.source, SOURCE);
    assert.equal(race.severity, vscode.DiagnosticSeverity.Warning);
    assert.deepEqual(race.code, { value: 'PY-RACE-001', target: vscode.Uri.parse(ruleHelpUri('PY-RACE-001')) });
    // `hits += 1` is line 10 (zero-based 9) of counter.py.
    assert.equal(race.range.start.line, 9);
    const document = await vscode.workspace.openTextDocument(uri);
    assert.match(document.getText(race.range), /hits/);
    assert.match(race.message, /hits/);
    assert.ok(race.relatedInformation && race.relatedInformation.length > 0, 'names the other side of the race');
    for (const related of race.relatedInformation) {
      assert.equal(related.location.uri.toString(), uri.toString());
      assert.ok(related.message.length > 0);
    }
  });

  it('stays silent on a queue hand-off', async () => {
    const uri = fixtureUri('handoff.py');
    await openFixture('handoff.py');
    // counter.py is analyzed in the same session, so seeing its finding proves this file was checked too.
    await openFixture('counter.py');
    await waitForDiagnostics(fixtureUri('counter.py'), hasRule('PY-RACE-001'));
    assert.deepEqual(ours(uri), []);
  });

  it('follows unsaved edits while typing', async () => {
    const uri = fixtureUri('counter.py');
    const editor = await openFixture('counter.py');
    await waitForDiagnostics(uri, hasRule('PY-RACE-001'));
    const line = editor.document.lineAt(9);
    await editor.edit((edit) => edit.replace(line.range, '        pass'));
    await waitForDiagnostics(uri, lacksRule('PY-RACE-001'));
  });

  it('analyzes the workspace without opening files, and keeps findings of closed files', async () => {
    await vscode.commands.executeCommand(Commands.clearFindings);
    assert.deepEqual(ours(fixtureUri('guarded.py')), []);
    const result = await vscode.commands.executeCommand<AnalysisResult>(Commands.analyzeWorkspace);
    assert.ok(result, 'the command returns the run result');
    assert.ok(result.files >= 3, `analyzed ${result.files} files`);
    assert.ok(result.findings.some((f) => f.ruleId === 'PY-RACE-004' && f.file.endsWith('guarded.py')));
    await waitForDiagnostics(fixtureUri('guarded.py'), hasRule('PY-RACE-004'));

    await openFixture('counter.py');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.ok(hasRule('PY-RACE-001')(ours(fixtureUri('counter.py'))), 'closing the editor keeps the finding');
  });

  it('"Analyze Current File" re-analyzes the active editor after a clear', async () => {
    const uri = fixtureUri('counter.py');
    await openFixture('counter.py');
    await waitForDiagnostics(uri, hasRule('PY-RACE-001'));
    await vscode.commands.executeCommand(Commands.clearFindings);
    assert.deepEqual(ours(uri), []);
    await vscode.commands.executeCommand(Commands.analyzeFile);
    await waitForDiagnostics(uri, hasRule('PY-RACE-001'), 0);
  });

  it('clears every finding on request', async () => {
    await vscode.commands.executeCommand(Commands.analyzeWorkspace);
    await waitForDiagnostics(fixtureUri('guarded.py'), hasRule('PY-RACE-004'));
    await vscode.commands.executeCommand(Commands.clearFindings);
    assert.deepEqual(ours(fixtureUri('guarded.py')), []);
    assert.deepEqual(ours(fixtureUri('counter.py')), []);
  });
});
