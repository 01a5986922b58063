import path from 'node:path';

/** A path as the user should see it: relative to the working directory when inside it. */
export function displayPath(file: string, cwd: string): string {
  if (file === '') return file;
  const relative = path.relative(cwd, file);
  return relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

/** The same relative path with `/` separators, for JSON and SARIF consumers on any OS. */
export function portablePath(file: string, cwd: string): string {
  return displayPath(file, cwd).split(path.sep).join('/');
}
