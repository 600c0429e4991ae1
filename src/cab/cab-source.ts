/**
 * Random access to a cabinet's bytes: a file read with positioned reads (never whole) or a Buffer.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

export interface CabSource {
  readonly size: number;
  /** Up to `length` bytes at `offset`; fewer only where the source ends. */
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** A Buffer as a source; reads are views, not copies. */
export function bufferSource(buf: Uint8Array): CabSource {
  return {
    size: buf.length,
    read: async (offset, length) => buf.subarray(Math.min(offset, buf.length), Math.min(offset + length, buf.length)),
    close: async () => {},
  };
}

/**
 * Bytes read ahead at once. Folders are read front to back in blocks of at most 32 KiB (each with an
 * 8-byte header): one positioned read per header and per block would wait on the thread pool
 * thousands of times for a large catalog; a 1 MiB window serves most of them from memory.
 */
export const READ_AHEAD_BYTES = 1 << 20;

/** A file as a source, read through one FileHandle with positioned reads and a read-ahead window. */
export async function fileSource(path: string): Promise<CabSource> {
  const handle: FileHandle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    let closed = false;
    const readAt = async (offset: number, want: number): Promise<Buffer> => {
      const buf = Buffer.allocUnsafe(want);
      let got = 0;
      // A positioned read may return fewer bytes than asked; loop until done or end of file.
      while (got < want) {
        const { bytesRead } = await handle.read(buf, got, want - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got === want ? buf : buf.subarray(0, got);
    };
    // Each refill allocates a new window, so views handed out earlier stay valid.
    let windowStart = 0;
    let window: Buffer = Buffer.alloc(0);
    return {
      size,
      async read(offset, length) {
        const want = Math.max(0, Math.min(length, size - offset));
        if (want === 0) return Buffer.alloc(0);
        if (offset >= windowStart && offset + want <= windowStart + window.length) {
          return window.subarray(offset - windowStart, offset - windowStart + want);
        }
        if (want >= READ_AHEAD_BYTES) return readAt(offset, want);
        window = await readAt(offset, Math.min(READ_AHEAD_BYTES, size - offset));
        windowStart = offset;
        return window.subarray(0, Math.min(want, window.length));
      },
      async close() {
        if (closed) return;
        closed = true;
        await handle.close();
      },
    };
  } catch (err) {
    await handle.close();
    throw err;
  }
}
