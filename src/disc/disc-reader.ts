import type { Readable } from 'node:stream';

/** One regular file on a disc: its `/`-separated path from the disc root and its size in bytes. */
export interface DiscEntry {
  path: string;
  size: number;
}

/**
 * What verifyDisc() needs from a disc, whatever holds it (a folder, an .iso file, a device).
 * `read` is for small files only (the signed metadata); `stream` for everything else.
 */
export interface DiscReader {
  /** Every regular file on the disc (directories are implied by paths) */
  list(): Promise<DiscEntry[]>;
  read(path: string): Promise<Buffer>;
  stream(path: string): Readable;
}
