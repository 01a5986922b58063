/**
 * Which Python runs the profile: the Python extension's active interpreter for the file when
 * that extension is installed (a soft dependency: no extensionDependencies), else the
 * `concurrencyLens.pythonPath` setting, else python3/python on PATH. Whichever is chosen is
 * run once to check it is Python 3.9 or newer.
 */
import * as vscode from 'vscode';
import { PythonExtension } from '@vscode/python-extension';
import { findPythonInterpreter, type InterpreterLookup } from '../profiler/index';

export const PYTHON_EXTENSION_ID = 'ms-python.python';

export type InterpreterSource = 'python extension' | 'setting concurrencyLens.pythonPath' | 'PATH';

async function fromPythonExtension(resource: vscode.Uri, log: vscode.LogOutputChannel): Promise<string | undefined> {
  if (!vscode.extensions.getExtension(PYTHON_EXTENSION_ID)) return undefined;
  try {
    const api = await PythonExtension.api();
    const active = api.environments.getActiveEnvironmentPath(resource);
    const resolved = await api.environments.resolveEnvironment(active);
    return resolved?.executable.uri?.fsPath;
  } catch (error) {
    log.warn(`The Python extension did not report an interpreter (${error instanceof Error ? error.message : String(error)}); falling back to settings and PATH.`);
    return undefined;
  }
}

export async function resolvePythonInterpreter(
  resource: vscode.Uri,
  configuredPath: string,
  log: vscode.LogOutputChannel,
): Promise<InterpreterLookup & { source: InterpreterSource }> {
  const fromExtension = await fromPythonExtension(resource, log);
  if (fromExtension) return { ...(await findPythonInterpreter({ configured: fromExtension })), source: 'python extension' };
  if (configuredPath) return { ...(await findPythonInterpreter({ configured: configuredPath })), source: 'setting concurrencyLens.pythonPath' };
  return { ...(await findPythonInterpreter()), source: 'PATH' };
}
