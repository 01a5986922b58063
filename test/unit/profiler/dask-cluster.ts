// An existing Dask cluster for the tests, as a user runs one: `dask scheduler` and
// `dask worker` processes on 127.0.0.1, each in its own process group, stopped by pid.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ExternalCluster {
  address: string;
  /** The worker processes (not the nannies that started them). */
  workerPids: number[];
  groups: ChildProcess[];
  dir: string;
}

async function until<T>(what: string, limitMs: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function startExternalCluster(python: string, workers: number): Promise<ExternalCluster> {
  const dask = path.join(path.dirname(python), 'dask');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'conclens-dask-test-'));
  const schedulerFile = path.join(dir, 'scheduler.json');
  const options = { detached: true, stdio: 'ignore' as const, cwd: dir };
  const groups: ChildProcess[] = [];
  const cluster: ExternalCluster = { address: '', workerPids: [], groups, dir };
  try {
    groups.push(spawn(dask, ['scheduler', '--host', '127.0.0.1', '--port', '0', '--no-dashboard', '--scheduler-file', schedulerFile], options));
    cluster.address = await until('the scheduler file', 30_000, () =>
      existsSync(schedulerFile) ? (JSON.parse(readFileSync(schedulerFile, 'utf8')) as { address: string }).address : undefined,
    );
    groups.push(spawn(dask, ['worker', cluster.address, '--nworkers', String(workers), '--nthreads', '1', '--host', '127.0.0.1', '--no-dashboard', '--local-directory', dir], options));
    const ready = spawnSync(python, ['-c', `from distributed import Client
c = Client(${JSON.stringify(cluster.address)}, timeout=30)
c.wait_for_workers(${workers}, timeout=60)
import os
print(" ".join(str(pid) for pid in c.run(os.getpid).values()))
c.close()`], { encoding: 'utf8', timeout: 90_000 });
    if (ready.status !== 0) throw new Error(`the test cluster did not come up: ${ready.stderr}`);
    cluster.workerPids = ready.stdout.trim().split(' ').map(Number);
    return cluster;
  } catch (error) {
    await stopExternalCluster(cluster);
    throw error;
  }
}

/**
 * What the profile may have left on the cluster's workers, per worker: plugins it registered
 * and threading factories it replaced (the proxies that time user locks).
 */
export function workerLeftovers(python: string, cluster: ExternalCluster): string[] {
  const result = spawnSync(python, ['-c', `import json
from distributed import Client
def leftovers(dask_worker=None):
    import threading, _thread
    found = [name for name in dask_worker.plugins if "conclens" in name]
    if threading.Lock is not _thread.allocate_lock:
        found.append("threading.Lock replaced")
    return found
c = Client(${JSON.stringify(cluster.address)}, timeout=30)
print(json.dumps(sorted(set(sum(c.run(leftovers).values(), [])))))
c.close()`], { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`could not inspect the test cluster: ${result.stderr}`);
  return JSON.parse(result.stdout) as string[];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function clusterAlive(cluster: ExternalCluster): boolean {
  return groups(cluster).every((pid) => alive(pid)) && cluster.workerPids.every(alive);
}

function groups(cluster: ExternalCluster): number[] {
  return cluster.groups.flatMap((child) => (child.pid === undefined ? [] : [child.pid]));
}

export async function stopExternalCluster(cluster: ExternalCluster): Promise<void> {
  for (const pid of groups(cluster)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  await until('the test cluster to stop', 10_000, () => (groups(cluster).some(alive) || cluster.workerPids.some(alive) ? undefined : true));
  rmSync(cluster.dir, { recursive: true, force: true });
}
