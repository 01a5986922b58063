import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { scratchDir } from '../scratch';

/** The classic lost update: two threads run `global hits; hits += 1` without a lock. */
export const RACE_FIXTURE = path.resolve('test/fixtures/engine/race/counter.py');
export const CLEAN_FIXTURE = path.resolve('test/fixtures/engine/clean/counter.py');
export const RACE_LINE = 8; // zero-based line of `hits += 1`

export function tempWorkspace(files: Record<string, string | Uint8Array> = {}): string {
  const dir = scratchDir('conclens-engine-');
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

/** A type-only fact two modules away: the lock's type is an alias of async-mutex's MutexInterface. */
export const ALIASED_MUTEX_PROJECT: Record<string, string> = {
  'tsconfig.json': JSON.stringify({ compilerOptions: { target: 'ES2022', lib: ['ES2022'], types: [], strict: true, noEmit: true }, include: ['*.ts', 'types/*.d.ts'] }),
  'types/async-mutex.d.ts': readFileSync(path.resolve('test/fixtures/typescript/typed-project/types/async-mutex.d.ts'), 'utf8'),
  'guard.ts': "import type { MutexInterface } from 'async-mutex';\nexport type Guard = MutexInterface;\n",
  'store.ts': [
    "import type { Guard } from './guard';",
    'export class Store {',
    '  constructor(private readonly lock: Guard) {}',
    '  async update(apply: () => void): Promise<void> {',
    '    const release = await this.lock.acquire();',
    '    apply();',
    '    release();',
    '  }',
    '}',
    '',
  ].join('\n'),
};
/** `guard.ts` once the alias no longer names an async-mutex type. */
export const PLAIN_GUARD = 'export type Guard = { acquire(): Promise<() => void> };\n';
