import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { SOURCE, fixtureUri, hasRule, lacksRule, openFixture, ours, quickFixes, revertAll, ruleOf, waitForDiagnostics } from './helpers';

async function stampede(): Promise<vscode.Diagnostic> {
  const diagnostics = await waitForDiagnostics(fixtureUri('cache.ts'), hasRule('JS-ASYNC-002'), 30_000);
  const diagnostic = diagnostics.find((d) => ruleOf(d) === 'JS-ASYNC-002');
  assert.ok(diagnostic);
  return diagnostic;
}

describe('TypeScript in the editor', () => {
  afterEach(revertAll);

  it('opening cache.ts reports the cache stampede JS-ASYNC-002 on the awaited assignment, with the check as related', async () => {
    const editor = await openFixture('cache.ts');
    assert.equal(editor.document.languageId, 'typescript');
    const diagnostic = await stampede();
    assert.equal(diagnostic.source, SOURCE);
    assert.equal(editor.document.getText(diagnostic.range), 'state.client = await connect()');
    assert.equal(diagnostic.range.start.line, 15);
    const code = diagnostic.code as { value: string; target: vscode.Uri };
    assert.equal(code.value, 'JS-ASYNC-002');
    assert.ok(diagnostic.relatedInformation?.some((related) => related.location.range.start.line === 14), 'the `if (!state.client)` check is related');
  });

  it('the fixed cache in settled.ts has no findings', async () => {
    await openFixture('cache.ts');
    await stampede();
    await openFixture('settled.ts');
    // cache.ts is analyzed by the time its diagnostic is in; settled.ts was analyzed with it or just after.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.deepEqual(ours(fixtureUri('settled.ts')).map(ruleOf), []);
  });

  it('"Cache the promise instead of the awaited value" removes the await and the finding', async () => {
    const editor = await openFixture('cache.ts');
    const diagnostic = await stampede();
    const fix = (await quickFixes(fixtureUri('cache.ts'), diagnostic)).find((a) => a.title === 'Cache the promise instead of the awaited value');
    assert.ok(fix?.edit, 'the fix is offered');
    assert.equal(fix.isPreferred, true);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.equal(editor.document.lineAt(15).text, '    state.client = connect().catch((error) => { state.client = undefined; throw error; });');
    await waitForDiagnostics(fixtureUri('cache.ts'), lacksRule('JS-ASYNC-002'), 30_000);
  });

  it('suppressing JS-ASYNC-002 writes a // conclens-ignore-next-line comment above the line', async () => {
    const editor = await openFixture('cache.ts');
    const diagnostic = await stampede();
    const suppress = (await quickFixes(fixtureUri('cache.ts'), diagnostic)).find((a) => a.title === 'Suppress JS-ASYNC-002 on this line');
    assert.ok(suppress?.edit);
    assert.ok(await vscode.workspace.applyEdit(suppress.edit));
    assert.equal(editor.document.lineAt(15).text, '    // conclens-ignore-next-line JS-ASYNC-002');
    assert.equal(editor.document.lineAt(16).text, '    state.client = await connect();');
    await waitForDiagnostics(fixtureUri('cache.ts'), lacksRule('JS-ASYNC-002'), 30_000);
  });
});
