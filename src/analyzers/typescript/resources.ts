/** Calls that test an external resource (a path, a port) before something acts on it. */
export const RESOURCE_CHECKS = new Set(['exists', 'existsSync', 'pathExists', 'pathExistsSync', 'access', 'stat', 'lstat', 'isPortFree', 'isPortAvailable', 'checkPort']);

/** Calls that act on an external resource and fail or clobber if it changed since the check. */
export const RESOURCE_ACTS = new Set([
  'writeFile', 'writeFileSync', 'mkdir', 'mkdirSync', 'open', 'create', 'createWriteStream', 'rename', 'copyFile', 'unlink', 'rm',
  'rmdir', 'symlink', 'listen', 'insert', 'insertOne', 'outputFile', 'ensureDir', 'mkdirp',
]);
