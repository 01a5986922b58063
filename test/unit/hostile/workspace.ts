import { rmSync } from 'node:fs';
import { after } from 'node:test';
import { tempWorkspace } from '../engine/helpers';

/** A temporary workspace removed when the test file ends: the suite leaves nothing behind either. */
export function hostileWorkspace(files: Record<string, string | Uint8Array> = {}): string {
  const root = tempWorkspace(files);
  after(() => rmSync(root, { recursive: true, force: true }));
  return root;
}
