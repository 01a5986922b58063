/** The `concurrencyLens.pythonPath`, `concurrencyLens.nodePath` and `concurrencyLens.profiler.*` settings (package.json mirrors them). */
import * as vscode from 'vscode';
import { POOL_KINDS, type PoolKind } from '../shared/trace';
import { SECTION } from './configuration';

export interface ProfilerSettings {
  pythonPath: string;
  /** Empty: node on PATH. */
  nodePath: string;
  codeLens: boolean;
  /** Empty: the harness's default (1, 2, 4, … up to the usable CPUs). */
  workers: number[];
  repeat: number;
  timeoutSeconds: number;
  /** Undefined: the harness's default (async joins for an `async def`). */
  kinds: PoolKind[] | undefined;
  /** Empty: a local Dask cluster for the dask kind. */
  daskScheduler: string;
  /** 0: no limit. */
  memoryLimitMb: number;
  historySize: number;
}

function positiveInteger(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : fallback;
}

export function readProfilerSettings(scope?: vscode.Uri): ProfilerSettings {
  const config = vscode.workspace.getConfiguration(SECTION, scope);
  const workers = config.get<unknown[]>('profiler.workers', []);
  const kinds = config.get<unknown[]>('profiler.kinds', []);
  const memory = config.get<number>('profiler.memoryLimitMb', 0);
  const validKinds = Array.isArray(kinds) ? kinds.filter((k): k is PoolKind => POOL_KINDS.includes(k as PoolKind)) : [];
  return {
    pythonPath: config.get<string>('pythonPath', '').trim(),
    nodePath: config.get<string>('nodePath', '').trim(),
    codeLens: config.get<boolean>('profiler.codeLens', true),
    workers: Array.isArray(workers) ? [...new Set(workers.filter((w): w is number => Number.isInteger(w) && (w as number) > 0))] : [],
    repeat: positiveInteger(config.get('profiler.repeat'), 3),
    timeoutSeconds: positiveInteger(config.get('profiler.timeoutSeconds'), 60),
    kinds: validKinds.length > 0 ? [...new Set(validKinds)] : undefined,
    daskScheduler: config.get<string>('profiler.daskScheduler', '').trim(),
    memoryLimitMb: typeof memory === 'number' && memory > 0 ? memory : 0,
    historySize: positiveInteger(config.get('profiler.historySize'), 20),
  };
}
