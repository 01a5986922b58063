/** The profiler's public API for the editor host and the CLI (no `vscode` here). */
export { toChromeTrace, type ChromeTrace } from './chrome-trace';
export { formatProfileTable } from './format-table';
export { findPythonInterpreter, MINIMUM_PYTHON, type InterpreterLookup, type PythonInterpreter } from './interpreter';
export { defaultHarnessPath, defaultWorkerCounts, runProfile, type ProfileOptions, type ProfileOutcome, type ProfileProgress } from './runner';
export { readTasksComment } from './tasks-comment';
export { TraceStore, type StoredTraceInfo } from './trace-store';
