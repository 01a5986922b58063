/**
 * "Profile Function Under Pools": picks the top-level function (cursor or arguments), asks for
 * the tasks expression (checked as it is typed), finds the interpreter, runs the profiler with
 * a cancellable progress notification, saves the trace and opens it in the timeline. A profile
 * that never ran a configuration opens no panel: the error says why. Refused in Restricted
 * Mode: profiling imports the module and calls the function, i.e. runs workspace code. Python
 * files run under the Python harness, JavaScript and TypeScript files (exported functions)
 * under the Node one (see nodeFunctions.ts).
 */
import * as vscode from 'vscode';
import path from 'node:path';
import { formatProfileTable, readTasksComment, runProfile, type ProfileOutcome, type ProfileProgress } from '../profiler/index';
import type { ExportedFunction } from '../profiler/node/exported-functions';
import { runNodeProfile } from '../profiler/node/profile';
import type { Runtime } from '../shared/trace';
import { checkTrace } from '../shared/trace-schema';
import { configurationName, verdictLine } from '../shared/verdict-words';
import { BuiltinCommands } from './commands';
import { isNodeDocument, nodeTarget, resolveNodeInterpreter } from './nodeFunctions';
import { readProfilerSettings } from './profilerSettings';
import { enclosingFunction, topLevelFunctions } from './pythonFunctions';
import { resolvePythonInterpreter } from './pythonInterpreter';
import { askForTasks, nodeTasksLanguage, pythonTasksLanguage, saveTasksComment } from './tasksPrompt';
import type { TimelinePanels, TraceLoaded } from './timelinePanel';
import type { TraceHistory } from './traceFiles';

/** Arguments for automation (tests, the CodeLens): skip the cursor lookup and the InputBox. */
export interface ProfileArgs {
  uri?: vscode.Uri | string;
  functionName?: string;
  tasks?: string;
  /** Put in every profiled process's environment as CONCLENS_RUN_ID (tests find leftovers by it). */
  runId?: string;
}

/** What the command returns, so tests can follow a run without globals. */
export type ProfileResult =
  | { status: 'refused'; reason: string }
  | { status: 'cancelled' }
  | { status: 'failed'; message: string }
  | { status: 'done'; traceId: string; outcome: ProfileOutcome; panelLoaded: Promise<TraceLoaded> };

export const UNTRUSTED_MESSAGE =
  'Concurrency Lens: profiling is disabled in Restricted Mode because it runs workspace code (it imports the module and calls the function). Trust this workspace to profile.';

const tasksKey = (file: string, functionName: string) => `concurrencyLens.tasks:${file}:${functionName}`;

function refuse(reason: string): ProfileResult {
  void vscode.window.showWarningMessage(reason);
  return { status: 'refused', reason };
}

interface Target {
  document: vscode.TextDocument;
  name: string;
  line: number;
  /** Profiled under Node (an exported JavaScript or TypeScript function). */
  node?: ExportedFunction;
}

function nodeFunctionTarget(document: vscode.TextDocument, pick: { name: string } | { line: number }): Target | { refusal: string } {
  const found = nodeTarget(document, pick);
  return 'refusal' in found ? found : { document, name: found.name, line: found.line, node: found };
}

async function target(args: ProfileArgs): Promise<Target | { refusal: string }> {
  if (args.uri !== undefined) {
    if (typeof args.functionName !== 'string') return { refusal: 'Concurrency Lens: the profile command needs a functionName along with the uri.' };
    const uri = typeof args.uri === 'string' ? vscode.Uri.parse(args.uri) : args.uri;
    const document = await vscode.workspace.openTextDocument(uri);
    if (isNodeDocument(document)) return nodeFunctionTarget(document, { name: args.functionName });
    const found = topLevelFunctions(document.getText()).find((f) => f.name === args.functionName);
    if (!found) return { refusal: `Concurrency Lens: ${path.basename(uri.fsPath)} has no top-level function named ${args.functionName}.` };
    return { document, name: found.name, line: found.line };
  }
  const editor = vscode.window.activeTextEditor;
  if (editor && isNodeDocument(editor.document)) return nodeFunctionTarget(editor.document, { line: editor.selection.active.line });
  if (!editor || editor.document.languageId !== 'python') return { refusal: 'Concurrency Lens: put the cursor in a Python, JavaScript or TypeScript function to profile it.' };
  const found = enclosingFunction(editor.document.getText(), editor.selection.active.line);
  if (!found) return { refusal: 'Concurrency Lens: put the cursor inside a top-level Python function (a `def` at module level) to profile it.' };
  if (found.kind === 'method') {
    return {
      refusal: `Concurrency Lens: ${found.className}.${found.name} is a method. A process pool can only run a module-level function (it is pickled by name); profile a top-level function that calls it.`,
    };
  }
  if (found.kind === 'nested') {
    return {
      refusal: `Concurrency Lens: ${found.name} is defined inside ${found.outer}. A process pool can only run a module-level function (it is pickled by name); move it to module level to profile it.`,
    };
  }
  return { document: editor.document, name: found.name, line: found.line };
}

export async function profileFunction(
  args: ProfileArgs | undefined,
  deps: { context: vscode.ExtensionContext; history: TraceHistory; panels: TimelinePanels; log: vscode.LogOutputChannel },
): Promise<ProfileResult> {
  const { context, history, panels, log } = deps;
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage(UNTRUSTED_MESSAGE, 'Manage Workspace Trust').then((choice) => {
      if (choice) void vscode.commands.executeCommand(BuiltinCommands.manageTrust);
    });
    return { status: 'refused', reason: UNTRUSTED_MESSAGE };
  }
  const found = await target(args ?? {});
  if ('refusal' in found) return refuse(found.refusal);
  const { document, name, node } = found;
  const folder = vscode.workspace.getWorkspaceFolder(document.uri);
  if (document.uri.scheme !== 'file' || !folder) return refuse('Concurrency Lens: only a file saved inside a workspace folder can be profiled (its module is imported relative to the folder).');
  const file = path.relative(folder.uri.fsPath, document.uri.fsPath).split(path.sep).join('/');

  const language = node ? nodeTasksLanguage(document, node) : await pythonTasksLanguage(document, name);
  let tasks = args?.tasks;
  if (tasks === undefined) {
    const remembered = context.workspaceState.get<string>(tasksKey(file, name));
    const commented = node ? node.tasks : readTasksComment(document.getText(), name);
    const answer = await askForTasks(name, remembered ?? commented ?? '', language);
    if (!answer) return { status: 'cancelled' };
    tasks = answer.tasks;
    if (answer.saveAsComment && !(await saveTasksComment(document, tasks, language))) log.warn(`Could not write the tasks comment above ${name} in ${file}.`);
  } else {
    const problem = await language.problem(tasks);
    if (problem) return refuse(`Concurrency Lens: the tasks for ${name} are not one ${language.name} expression: ${problem}`);
  }
  await context.workspaceState.update(tasksKey(file, name), tasks);
  // The profiled interpreter imports the file from disk (with the comment, if one was just added).
  if (document.isDirty && !(await document.save())) return refuse(`Concurrency Lens: ${path.basename(document.uri.fsPath)} could not be saved; profiling runs the file on disk.`);

  const settings = readProfilerSettings(document.uri);
  const interpreter = node ? await resolveNodeInterpreter(settings.nodePath) : await resolvePythonInterpreter(document.uri, settings.pythonPath, log);
  if (!interpreter.ok) {
    void vscode.window.showErrorMessage(`Concurrency Lens: ${interpreter.message}`);
    return { status: 'failed', message: interpreter.message };
  }
  log.info(`Profiling ${file}:${name} with ${interpreter.interpreter.path} (${node ? 'Node.js' : 'Python'} ${interpreter.interpreter.version}, from ${interpreter.source}); tasks = ${tasks}`);
  const common = {
    root: folder.uri.fsPath,
    file,
    function: name,
    tasks,
    // Shared by both runtimes: a kind the runtime has not (dask for Node) is left out with a note.
    kinds: settings.kinds,
    workers: settings.workers.length > 0 ? settings.workers : undefined,
    repeat: settings.repeat,
    timeoutSec: settings.timeoutSeconds,
    memoryLimitBytes: settings.memoryLimitMb > 0 ? settings.memoryLimitMb * 2 ** 20 : undefined,
    runId: args?.runId,
  };
  const runtime: Runtime = node ? 'node' : 'python';

  const outcome = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Concurrency Lens: profiling ${name}`, cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      const cancelled = token.onCancellationRequested(() => abort.abort());
      let reported = 0;
      const control = {
        signal: abort.signal,
        onProgress: (p: ProfileProgress) => {
          const share = p.total ? (100 * p.done) / p.total : 0;
          progress.report({ message: progressText(p, runtime), increment: share - reported });
          reported = share;
        },
      };
      try {
        return node
          ? await runNodeProfile({ ...common, node: interpreter.interpreter.path, nodeVersion: interpreter.interpreter.version }, control)
          : await runProfile({ ...common, python: interpreter.interpreter.path, daskScheduler: settings.daskScheduler || undefined }, control);
      } finally {
        cancelled.dispose();
      }
    },
  ).then(
    (value) => value,
    (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
  );
  if (outcome instanceof Error) {
    log.error(`Profiling ${file}:${name} failed: ${outcome.message}`);
    void vscode.window.showErrorMessage(`Concurrency Lens: profiling failed: ${outcome.message}`);
    return { status: 'failed', message: outcome.message };
  }
  if (outcome.trace.faults.some((f) => f.fault === 'cancelled')) {
    log.info(`Profiling ${file}:${name} was cancelled; every profiled process was stopped.`);
    return { status: 'cancelled' };
  }

  const table = formatProfileTable(outcome.trace);
  log.info(`Profile of ${file}:${name}\n${table}`);
  const show = (choice: string | undefined) => {
    if (choice) log.show(true);
  };
  if (outcome.trace.runs.length === 0) {
    // Nothing ran (the tasks or the module failed): a panel would only say "no runs".
    const message = `${name} was not profiled: ${outcome.message}`;
    void vscode.window.showErrorMessage(`Concurrency Lens: ${message}`, 'Show Details').then(show);
    return { status: 'failed', message };
  }
  try {
    checkTrace(outcome.trace, 'the profile trace');
  } catch (error) {
    const message = `the profiler wrote a trace the timeline cannot read (${(error as Error).message})`;
    log.error(message);
    void vscode.window.showErrorMessage(`Concurrency Lens: ${message}`, 'Show Details').then(show);
    return { status: 'failed', message };
  }
  history.setLimit(settings.historySize);
  const traceId = await history.save(outcome.trace);
  const panelLoaded = panels.show(outcome.trace, { kind: 'stored', id: traceId });
  notify(name, outcome, show);
  return { status: 'done', traceId, outcome, panelLoaded };
}

/** "thread pool with 2 workers, repetition 2 of 3 (7 of 15 runs done)": the panel's words, not the harness's labels. */
function progressText(progress: ProfileProgress, runtime: Runtime): string {
  const done = progress.total ? ` (${progress.done} of ${progress.total} runs done)` : '';
  const running = progress.running;
  if (!running) return `${progress.message}${done}`;
  const repetition = running.repeat > 1 ? `, repetition ${running.repetition + 1} of ${running.repeat}` : '';
  return `${configurationName(running.kind, running.workers, runtime)}${repetition}${done}`;
}

/** The verdict in the panel's words, or what went wrong; the details are the table in the output channel. */
function notify(name: string, outcome: ProfileOutcome, show: (choice: string | undefined) => void): void {
  const { trace } = outcome;
  const errors = trace.runs.reduce((sum, run) => sum + run.totals.errors, 0);
  const faults = trace.faults.filter((f) => f.fault !== 'cancelled');
  const headline = trace.verdict ? verdictLine(trace.verdict, trace.target.runtime) : outcome.message;
  const problems = [errors > 0 ? `${errors} task exception${errors === 1 ? '' : 's'}` : '', faults.length > 0 ? faults[0].message : ''].filter(Boolean).join('; ');
  if (!outcome.completed || problems) {
    const text = `Concurrency Lens: ${name}: ${outcome.completed ? headline : outcome.message}${problems && outcome.completed ? ` (${problems})` : ''}`;
    void vscode.window.showWarningMessage(text, 'Show Details').then(show);
  } else {
    void vscode.window.showInformationMessage(`Concurrency Lens: ${name}: ${headline}`, 'Show Details').then(show);
  }
}
