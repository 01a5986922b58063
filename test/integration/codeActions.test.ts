import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { Commands } from '../../src/host/commands';
import { fixtureUri, hasRule, lacksRule, openFixture, quickFixes, revertAll, ruleOf, waitForDiagnostics } from './helpers';

async function findingOf(uri: vscode.Uri, ruleId: string): Promise<vscode.Diagnostic> {
  const diagnostics = await waitForDiagnostics(uri, hasRule(ruleId));
  const diagnostic = diagnostics.find((d) => ruleOf(d) === ruleId);
  assert.ok(diagnostic);
  return diagnostic;
}

describe('quick fixes', () => {
  afterEach(revertAll);

  it('"Suppress PY-RACE-001 on this line" inserts an indented comment above and removes the diagnostic', async () => {
    const uri = fixtureUri('counter.py');
    const editor = await openFixture('counter.py');
    const race = await findingOf(uri, 'PY-RACE-001');
    const actions = await quickFixes(uri, race);
    const suppress = actions.find((a) => a.title === 'Suppress PY-RACE-001 on this line');
    assert.ok(suppress?.edit, `offered: ${actions.map((a) => a.title).join(' | ')}`);
    assert.equal(suppress.kind?.value, vscode.CodeActionKind.QuickFix.value);
    assert.ok(await vscode.workspace.applyEdit(suppress.edit));

    const line = race.range.start.line;
    assert.equal(editor.document.lineAt(line).text, '        # conclens: ignore[PY-RACE-001]');
    assert.equal(editor.document.lineAt(line + 1).text, '        hits += 1');
    await waitForDiagnostics(uri, lacksRule('PY-RACE-001'));
  });

  it('the preferred fix for PY-RACE-004 wraps the bare write in the lock that guards it elsewhere', async () => {
    const uri = fixtureUri('guarded.py');
    const editor = await openFixture('guarded.py');
    const bare = await findingOf(uri, 'PY-RACE-004');
    assert.match(editor.document.getText(bare.range), /self\.value/);
    const actions = await quickFixes(uri, bare);
    const preferred = actions.filter((a) => a.isPreferred);
    assert.equal(preferred.length, 1, `offered: ${actions.map((a) => a.title).join(' | ')}`);
    assert.ok(preferred[0].edit);
    assert.ok(await vscode.workspace.applyEdit(preferred[0].edit));

    const text = editor.document.getText();
    assert.ok(text.includes('    def reset(self):\n        with self._lock:\n            self.value = 0\n'), text);
    assert.ok(text.includes('    def increment(self):\n        with self._lock:\n            self.value += 1\n'), 'the guarded write is untouched');
    await waitForDiagnostics(uri, lacksRule('PY-RACE-004'));
  });

  it('orders the actions: the real fix first and preferred, then the documentation, suppression last', async () => {
    const offered = async (name: string, ruleId: string) => {
      const uri = fixtureUri(name);
      await openFixture(name);
      const actions = await quickFixes(uri, await findingOf(uri, ruleId));
      return {
        titles: actions.map((a) => a.title),
        preferred: actions.filter((a) => a.isPreferred).map((a) => a.title),
        docs: actions.findIndex((a) => a.title === `Show documentation for ${ruleId}`),
        suppress: actions.findIndex((a) => a.title === `Suppress ${ruleId} on this line`),
      };
    };
    for (const [name, ruleId, fix] of [
      ['guarded.py', 'PY-RACE-004', /^Wrap in `with self\._lock:`$/],
      ['cache.ts', 'JS-ASYNC-002', /promise/i],
    ] as const) {
      const { titles, preferred, docs, suppress } = await offered(name, ruleId);
      const fixAt = titles.findIndex((title) => fix.test(title));
      assert.ok(fixAt >= 0 && fixAt < docs && docs < suppress, `${ruleId}: fix, documentation, suppression (offered: ${titles.join(' | ')})`);
      assert.deepEqual(preferred, [titles[fixAt]], `${ruleId}: the real fix is the one preferred`);
    }
    // Without a real fix nothing of ours is preferred, and the first of ours is the documentation.
    const counter = await offered('counter.py', 'PY-RACE-001');
    assert.ok(counter.docs >= 0 && counter.docs < counter.suppress, counter.titles.join(' | '));
    assert.ok(!counter.preferred.includes('Suppress PY-RACE-001 on this line'), 'suppression is never preferred');
  });

  it('"Show documentation for RULE" opens the rule\'s README section', async () => {
    const uri = fixtureUri('counter.py');
    await openFixture('counter.py');
    const action = (await quickFixes(uri, await findingOf(uri, 'PY-RACE-001'))).find((a) => a.title === 'Show documentation for PY-RACE-001');
    assert.ok(action?.command);
    const target = await vscode.commands.executeCommand<{ kind: string; ruleId: string }>(action.command.command, ...(action.command.arguments ?? []));
    assert.deepEqual({ kind: target?.kind, ruleId: target?.ruleId }, { kind: 'readme', ruleId: 'PY-RACE-001' });
  });

  it('offers nothing for diagnostics of other tools', async () => {
    const uri = fixtureUri('counter.py');
    await openFixture('counter.py');
    await findingOf(uri, 'PY-RACE-001');
    // Line 0 holds no finding of ours, so only the foreign diagnostic reaches the provider.
    const foreignRange = new vscode.Range(0, 0, 0, 3);
    const foreign = new vscode.Diagnostic(foreignRange, 'docstring style', vscode.DiagnosticSeverity.Warning);
    foreign.source = 'other-linter';
    const collection = vscode.languages.createDiagnosticCollection('foreign');
    try {
      collection.set(uri, [foreign]);
      const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
        'vscode.executeCodeActionProvider', uri, foreignRange, vscode.CodeActionKind.QuickFix.value);
      assert.deepEqual(actions.filter((a) => a.title.startsWith('Suppress')), []);
      const atFinding = await vscode.commands.executeCommand<vscode.CodeAction[]>(
        'vscode.executeCodeActionProvider', uri, new vscode.Range(9, 8, 9, 12), vscode.CodeActionKind.QuickFix.value);
      assert.ok(atFinding.some((a) => a.title === 'Suppress PY-RACE-001 on this line'), 'the same query at our finding offers the fix');
    } finally {
      collection.dispose();
    }
  });
});

describe('rule documentation', () => {
  afterEach(() => vscode.commands.executeCommand('workbench.action.closeAllEditors'));

  it('opens the bundled README at the rule\'s section, offline', async () => {
    const target = await vscode.commands.executeCommand<{ kind: string; ruleId: string; line: number }>(
      Commands.showRuleDocumentation,
      'PY-DL-001',
    );
    assert.deepEqual({ kind: target?.kind, ruleId: target?.ruleId }, { kind: 'readme', ruleId: 'PY-DL-001' });
    const readme = vscode.window.visibleTextEditors.find((e) => e.document.uri.path.endsWith('/README.md'));
    assert.ok(readme, 'the README is shown');
    assert.equal(readme.selection.active.line, target.line);
    assert.match(readme.document.lineAt(target.line).text, /PY-DL-001|py-dl-001/);
  });

  it('rejects an unknown rule id', async () => {
    assert.equal(await vscode.commands.executeCommand(Commands.showRuleDocumentation, 'PY-NOPE-999'), undefined);
  });

  it('uses the rule under the cursor when called without an id', async () => {
    const editor = await openFixture('counter.py');
    const race = await findingOf(fixtureUri('counter.py'), 'PY-RACE-001');
    editor.selection = new vscode.Selection(race.range.start, race.range.start);
    const target = await vscode.commands.executeCommand<{ ruleId: string }>(Commands.showRuleDocumentation);
    assert.equal(target?.ruleId, 'PY-RACE-001');
  });
});
