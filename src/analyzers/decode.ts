import { open } from 'node:fs/promises';

export const DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024;

export type DecodedFile = { ok: true; text: string } | { ok: false; message: string };

const utf8 = new TextDecoder('utf-8', { fatal: false });

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${bytes} bytes`;
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

/** Reads and decodes one file, refusing files over `maxBytes` before reading them. */
export async function readSource(filePath: string, maxBytes: number): Promise<DecodedFile> {
  let handle;
  try {
    handle = await open(filePath, 'r');
  } catch (error) {
    return { ok: false, message: `skipped: cannot read file (${(error as NodeJS.ErrnoException).code ?? String(error)})` };
  }
  try {
    const { size } = await handle.stat();
    if (size > maxBytes) {
      return { ok: false, message: `skipped: ${formatBytes(size)} is over the ${formatBytes(maxBytes)} size limit (maxFileBytes)` };
    }
    return decodeSource(await handle.readFile());
  } catch (error) {
    return { ok: false, message: `skipped: cannot read file (${(error as NodeJS.ErrnoException).code ?? String(error)})` };
  } finally {
    await handle.close();
  }
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
