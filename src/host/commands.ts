/**
 * Every command the extension contributes, declared once. package.json `contributes.commands`
 * lists the same ids (each with the "Concurrency Lens" category); tests call them through here.
 */
export const Commands = {
  analyzeWorkspace: 'concurrencyLens.analyzeWorkspace',
  analyzeFile: 'concurrencyLens.analyzeFile',
  clearFindings: 'concurrencyLens.clearFindings',
  showRuleDocumentation: 'concurrencyLens.showRuleDocumentation',
  profileFunction: 'concurrencyLens.profileFunction',
  openTrace: 'concurrencyLens.openTrace',
  exportChromeTrace: 'concurrencyLens.exportChromeTrace',
} as const;

export type CommandId = (typeof Commands)[keyof typeof Commands];

/** Built-in VS Code commands the extension invokes. */
export const BuiltinCommands = {
  focusProblems: 'workbench.actions.view.problems',
  markdownPreviewToSide: 'markdown.showPreviewToSide',
  manageTrust: 'workbench.trust.manage',
} as const;
