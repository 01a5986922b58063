import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { Commands } from '../../src/host/commands';
import { ruleHelpUri } from '../../src/analyzers/rules';
import type { AnalysisResult } from '../../src/shared/findings';
import { fixtureUri, hasRule, lacksRule, openFixture, ours, revertAll, ruleOf, SOURCE, waitForDiagnostics, watchFile } from './helpers';

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

  it('analyzes a file too big for the host thread on the bundled analyzer worker', async () => {
    const counter = new TextDecoder().decode(await vscode.workspace.fs.readFile(fixtureUri('counter.py')));
    // Over the session's 256 KiB worker threshold, still far under the size limit.
    const padding = Array.from({ length: 6_000 }, (_, i) => `def helper_${i}(value):\n    return value * ${i} + 1\n\n`).join('\n');
    const uri = fixtureUri('big_counter.py');
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(`${padding}\n${counter}`));
    try {
      assert.ok((await vscode.workspace.fs.stat(uri)).size > 256 * 1024);
      await openFixture('big_counter.py');
      await waitForDiagnostics(uri, hasRule('PY-RACE-001'), 30_000);
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await vscode.workspace.fs.delete(uri);
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
    const original = editor.document.lineAt(9).text;
    await editor.edit((edit) => edit.replace(editor.document.lineAt(9).range, '        pass'));
    await waitForDiagnostics(uri, lacksRule('PY-RACE-001'));
    await editor.edit((edit) => edit.replace(editor.document.lineAt(9).range, original));
    await waitForDiagnostics(uri, hasRule('PY-RACE-001'));
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

  it('follows closed files that another extension rewrites or deletes', async () => {
    const encoder = new TextEncoder();
    const extra = fixtureUri('extra_counter.py');
    const extraEvents = watchFile(extra);
    const created = extraEvents.next('created');
    await vscode.workspace.fs.writeFile(extra, await vscode.workspace.fs.readFile(fixtureUri('counter.py')));
    await created;
    const guarded = fixtureUri('guarded.py');
    const guardedText = new TextDecoder().decode(await vscode.workspace.fs.readFile(guarded));
    try {
      await vscode.commands.executeCommand(Commands.analyzeWorkspace);
      await waitForDiagnostics(extra, hasRule('PY-RACE-001'));
      await waitForDiagnostics(guarded, hasRule('PY-RACE-004'));
      // Through the file system API, not a text edit: only the file watcher sees these.
      const fixed = guardedText.replace('    def reset(self):\n        self.value = 0', '    def reset(self):\n        with self._lock:\n            self.value = 0');
      assert.notEqual(fixed, guardedText);
      await vscode.workspace.fs.writeFile(guarded, encoder.encode(fixed));
      const deleted = extraEvents.next('deleted');
      await vscode.workspace.fs.delete(extra);
      await waitForDiagnostics(guarded, lacksRule('PY-RACE-004'));
      await deleted;
      await waitForDiagnostics(extra, (diagnostics) => diagnostics.length === 0);
    } finally {
      extraEvents.dispose();
      await vscode.workspace.fs.writeFile(guarded, encoder.encode(guardedText));
      await vscode.workspace.fs.delete(extra).then(undefined, () => undefined);
    }
    await waitForDiagnostics(guarded, hasRule('PY-RACE-004'));
  });

  it('clears every finding on request', async () => {
    await vscode.commands.executeCommand(Commands.analyzeWorkspace);
    await waitForDiagnostics(fixtureUri('guarded.py'), hasRule('PY-RACE-004'));
    await vscode.commands.executeCommand(Commands.clearFindings);
    assert.deepEqual(ours(fixtureUri('guarded.py')), []);
    assert.deepEqual(ours(fixtureUri('counter.py')), []);
  });
});
