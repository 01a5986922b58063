import * as vscode from 'vscode';
import { RULES, findRule, ruleHelpUri } from '../analyzers/rules';
import { BuiltinCommands } from './commands';
import { DIAGNOSTIC_SOURCE } from './findingsView';

/** Where the documentation was shown; returned by the command so callers and tests can check it. */
export type DocumentationTarget = { kind: 'readme'; ruleId: string; line: number } | { kind: 'external'; ruleId: string; uri: string };

function ruleUnderCursor(): string | undefined {
  const editor = vscode.window.activeTextEditor;
  if (!editor) return undefined;
  const cursor = editor.selection.active;
  const diagnostic = vscode.languages
    .getDiagnostics(editor.document.uri)
    .find((d) => d.source === DIAGNOSTIC_SOURCE && d.range.contains(cursor));
  const code = diagnostic?.code;
  return typeof code === 'object' ? String(code.value) : undefined;
}

async function pickRule(): Promise<string | undefined> {
  const picked = await vscode.window.showQuickPick(
    RULES.map((rule) => ({ label: rule.id, description: rule.title })),
    { title: 'Concurrency Lens: rule documentation', matchOnDescription: true, placeHolder: 'Rule id or words from its title' },
  );
  return picked?.label;
}

/** The line of the README heading that documents `ruleId`, else of its explicit HTML anchor. */
export function sectionLine(readme: string, ruleId: string): number | undefined {
  const anchor = ruleId.toLowerCase();
  const lines = readme.split(/\r?\n/);
  const heading = lines.findIndex((line) => /^#{1,6}\s/.test(line) && line.includes(ruleId));
  if (heading >= 0) return heading;
  const explicit = lines.findIndex((line) => line.includes(`id="${anchor}"`) || line.includes(`name="${anchor}"`));
  return explicit >= 0 ? explicit : undefined;
}

async function readBundledReadme(extensionUri: vscode.Uri): Promise<{ uri: vscode.Uri; text: string } | undefined> {
  const uri = vscode.Uri.joinPath(extensionUri, 'README.md');
  try {
    return { uri, text: new TextDecoder().decode(await vscode.workspace.fs.readFile(uri)) };
  } catch {
    return undefined;
  }
}

/**
 * Shows a rule's README section. The README ships inside the extension, so the section opens
 * offline: the source at the heading, with the rendered preview beside it (the preview follows
 * the editor's scroll position). Without a bundled section it falls back to the online page.
 */
export async function showRuleDocumentation(extensionUri: vscode.Uri, requested?: unknown): Promise<DocumentationTarget | undefined> {
  const ruleId = typeof requested === 'string' ? requested : (ruleUnderCursor() ?? (await pickRule()));
  if (!ruleId) return undefined;
  if (!findRule(ruleId)) {
    void vscode.window.showErrorMessage(`Concurrency Lens has no rule "${ruleId}". Run "Concurrency Lens: Show Rule Documentation" to pick one.`);
    return undefined;
  }
  const readme = await readBundledReadme(extensionUri);
  const line = readme ? sectionLine(readme.text, ruleId) : undefined;
  if (readme && line !== undefined) {
    const position = new vscode.Position(line, 0);
    const editor = await vscode.window.showTextDocument(readme.uri, { selection: new vscode.Range(position, position), preview: true });
    editor.revealRange(new vscode.Range(position, position), vscode.TextEditorRevealType.AtTop);
    await vscode.commands.executeCommand(BuiltinCommands.markdownPreviewToSide, readme.uri);
    return { kind: 'readme', ruleId, line };
  }
  const uri = ruleHelpUri(ruleId);
  await vscode.env.openExternal(vscode.Uri.parse(uri));
  return { kind: 'external', ruleId, uri };
}
