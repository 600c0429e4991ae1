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

/** A file as a source, read through one FileHandle with positioned reads. */
export async function fileSource(path: string): Promise<CabSource> {
  const handle: FileHandle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    let closed = false;
    return {
      size,
      async read(offset, length) {
        const want = Math.max(0, Math.min(length, size - offset));
        const buf = Buffer.allocUnsafe(want);
        let got = 0;
        // A positioned read may return fewer bytes than asked; loop until done or end of file.
        while (got < want) {
          const { bytesRead } = await handle.read(buf, got, want - got, offset + got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
        return got === want ? buf : buf.subarray(0, got);
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
