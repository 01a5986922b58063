import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The classic lost update: two threads run `global hits; hits += 1` without a lock. */
export const RACE_FIXTURE = path.resolve('test/fixtures/engine/race/counter.py');
export const CLEAN_FIXTURE = path.resolve('test/fixtures/engine/clean/counter.py');
export const RACE_LINE = 8; // zero-based line of `hits += 1`

export function tempWorkspace(files: Record<string, string | Uint8Array> = {}): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'conclens-engine-'));
  for (const [name, content] of Object.entries(files)) {
    const full = path.join(dir, name);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
  return dir;
}

export function copyFixture(fixture: string, dir: string, name: string): string {
  const target = path.join(dir, name);
  mkdirSync(path.dirname(target), { recursive: true });
  cpSync(fixture, target);
  return target;
}
