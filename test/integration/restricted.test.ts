import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { fixtureUri, hasRule, openFixture, waitForDiagnostics } from './helpers';

// Runs only in the runner's second pass, which starts VS Code without trusting the workspace.
describe('@restricted Restricted Mode', () => {
  it('the workspace is untrusted and analysis still reports PY-RACE-001', async () => {
    assert.equal(vscode.workspace.isTrusted, false);
    await openFixture('counter.py');
    await waitForDiagnostics(fixtureUri('counter.py'), hasRule('PY-RACE-001'));
  });
});
