// CPU-bound, in TypeScript: an FNV-1a checksum over a block generated in place. Nothing is
// awaited, so the event loop cannot overlap two calls; worker threads or child processes
// run them on separate cores, and the small arguments cost nothing to copy.

export interface BlockSpec {
  bytes: number;
  seed: number;
}

function byteAt(seed: number, index: number): number {
  return (seed * 31 + index * 17) & 0xff;
}

// conclens: tasks=Array.from({ length: 8 }, (_, i) => ({ bytes: 30_000_000, seed: i }))
export function fnv1a(block: BlockSpec): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < block.bytes; i++) {
    hash ^= byteAt(block.seed, i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
