/**
 * Reads the default tasks expression of a function from a `# conclens: tasks=<expr>` comment
 * in the comment block directly above its `def` (decorators may sit in between).
 */
export function readTasksComment(source: string, functionName: string): string | null {
  const lines = source.split(/\r?\n/);
  const definition = new RegExp(`^(?:async\\s+)?def\\s+${functionName}\\s*\\(`);
  const index = lines.findIndex((line) => definition.test(line));
  if (index < 0) return null;
  for (let i = index - 1; i >= 0; i--) {
    const line = lines[i].trim();
    const match = /^#\s*conclens:\s*tasks\s*=\s*(.+)$/.exec(line);
    if (match) return match[1].trim();
    if (!line.startsWith('#') && !line.startsWith('@')) return null;
  }
  return null;
}
