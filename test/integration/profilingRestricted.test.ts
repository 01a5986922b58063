import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { Commands } from '../../src/host/commands';
import type { ProfileResult } from '../../src/host/profileCommand';
import { fixtureUri } from './helpers';

// Runs only in the runner's second pass, which starts VS Code without trusting the workspace.
describe('@restricted Restricted Mode profiling', () => {
  it('the profile command refuses and says profiling runs workspace code', async () => {
    assert.equal(vscode.workspace.isTrusted, false);
    const result = await vscode.commands.executeCommand<ProfileResult>(Commands.profileFunction, {
      uri: fixtureUri('profiling.py'),
      functionName: 'count_primes',
      tasks: '[10] * 2',
    });
    assert.equal(result.status, 'refused');
    assert.match((result as { reason: string }).reason, /Restricted Mode because it runs workspace code/);
  });

  it('no "Profile under pools" CodeLens is shown', async () => {
    for (const file of ['profiling.py', 'profiling.ts']) {
      await vscode.workspace.openTextDocument(fixtureUri(file));
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', fixtureUri(file));
      assert.deepEqual(lenses.map((lens) => lens.command?.title).filter((t) => t === 'Profile under pools'), [], file);
    }
  });

  it('a TypeScript function is refused too', async () => {
    const result = await vscode.commands.executeCommand<ProfileResult>(Commands.profileFunction, { uri: fixtureUri('profiling.ts'), functionName: 'sumOfSquares', tasks: '[1]' });
    assert.equal(result.status, 'refused');
  });
});
