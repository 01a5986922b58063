import { constants, type Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';

export const DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024;

export type DecodedFile = { ok: true; text: string } | { ok: false; message: string };
/** `reason` completes "skipped: …" or "cannot use …": `a FIFO (named pipe), not a regular file`. */
export type ReadFile = { ok: true; bytes: Buffer } | { ok: false; reason: string };

const utf8 = new TextDecoder('utf-8', { fatal: false });

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${bytes} bytes`;
}

/** What a path is when it is not a regular file, for a notice; undefined for a regular file. */
export function nonRegularKind(info: Stats): string | undefined {
  if (info.isFile()) return undefined;
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  return 'not a regular file';
}

export function notRegular(kind: string): string {
  return `${kind}, not a regular file`;
}

function cannotRead(error: unknown): string {
  return `cannot read file (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
}

function overLimit(size: number | undefined, maxBytes: number, limitName: string): string {
  const what = size === undefined ? `more than ${formatBytes(maxBytes)}` : formatBytes(size);
  return `${what} is over the ${formatBytes(maxBytes)} size limit (${limitName})`;
}

/** Chunks after the first: files whose size the kernel does not report (procfs) are read in these. */
const READ_CHUNK = 64 * 1024;

/** Reads at most `limit` bytes; undefined when there are more (the file grew, or reported no size). */
async function readAtMost(handle: FileHandle, limit: number, sizeHint: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const want = Math.min(Math.max(sizeHint - total + 1, READ_CHUNK), limit + 1 - total);
    const chunk = Buffer.allocUnsafe(want);
    const { bytesRead } = await handle.read(chunk, 0, want, null);
    if (bytesRead === 0) break;
    chunks.push(chunk.subarray(0, bytesRead));
    total += bytesRead;
    if (total > limit) return undefined;
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
}

/**
 * Reads a regular file of at most `maxBytes`. Anything else (a FIFO, a device, a socket, also
 * behind a symbolic link) is refused from its metadata, never opened for reading; the size limit
 * is checked before reading and enforced while reading. The open is non-blocking, so a path
 * swapped for a FIFO after the first check cannot hang the run; the open handle is checked again.
 */
export async function readRegularFile(filePath: string, maxBytes: number, limitName = 'maxFileBytes'): Promise<ReadFile> {
  try {
    const kind = nonRegularKind(await stat(filePath));
    if (kind) return { ok: false, reason: notRegular(kind) };
  } catch (error) {
    return { ok: false, reason: cannotRead(error) };
  }
  let handle;
  try {
    handle = await open(filePath, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    return { ok: false, reason: cannotRead(error) };
  }
  try {
    const info = await handle.stat();
    const kind = nonRegularKind(info);
    if (kind) return { ok: false, reason: notRegular(kind) };
    if (info.size > maxBytes) return { ok: false, reason: overLimit(info.size, maxBytes, limitName) };
    const bytes = await readAtMost(handle, maxBytes, info.size);
    return bytes ? { ok: true, bytes } : { ok: false, reason: overLimit(undefined, maxBytes, limitName) };
  } catch (error) {
    return { ok: false, reason: cannotRead(error) };
  } finally {
    await handle.close();
  }
}

/**
 * Turns file bytes into text the analyzers can read. Invalid UTF-8 is decoded with U+FFFD
 * and still analyzed (one bad byte should not hide a race); UTF-16 with a byte-order mark is
 * honoured; anything else containing NUL bytes is not source code.
 */
export function decodeSource(bytes: Uint8Array): DecodedFile {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { ok: true, text: new TextDecoder('utf-16le').decode(bytes) };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { ok: true, text: new TextDecoder('utf-16be').decode(bytes) };
  if (bytes.includes(0)) return { ok: false, message: 'skipped: binary content (NUL bytes), not a source file' };
  return { ok: true, text: utf8.decode(bytes) };
}

/** Reads and decodes one file, refusing anything but a regular file of at most `maxBytes`. */
export async function readSource(filePath: string, maxBytes: number): Promise<DecodedFile> {
  const read = await readRegularFile(filePath, maxBytes);
  return read.ok ? decodeSource(read.bytes) : { ok: false, message: `skipped: ${read.reason}` };
}

/** Line count as an editor shows it: a final line break does not start another line. */
export function countLines(text: string): number {
  if (text.length === 0) return 0;
  let lines = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) lines++;
  }
  const last = text.charCodeAt(text.length - 1);
  return last === 10 || last === 13 ? lines - 1 : lines;
}
