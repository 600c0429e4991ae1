/**
 * An image to read by position, whatever stores it: an .iso file (or block device), or a thin image
 * (thin-image.ts) read through its master. The ISO reader and checker read only through this.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { PatchdiscError } from '../errors.ts';
import { decodeThinHeader, isThinImage, THIN_HEADER_MAX, THIN_MAGIC, type ThinHeader } from './thin-image.ts';

/** Positioned reads, as FileHandle.read: fewer bytes than asked only at the end of the image. */
export interface ImageReader {
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
}

export interface ImageFile extends ImageReader {
  path: string;
  /** Size of the image in bytes (for a thin image: of the image it stands for). */
  bytes: number;
  /** Present for a thin image: its header and the master's resolved path. */
  thin?: ThinHeader & { masterPath: string };
  close(): Promise<void>;
}

/**
 * Opens `path` for positioned reads. A thin image opens its master too and checks the master's size;
 * a missing or resized master is NOT_FOUND / ISO_CORRUPT with what to do.
 */
export async function openImageFile(path: string): Promise<ImageFile> {
  const fh = await open(path, 'r').catch((err: unknown) => {
    throw new PatchdiscError('NOT_FOUND', `Cannot open ${path}: ${(err as Error).message}`, { cause: err });
  });
  try {
    const st = await fh.stat();
    // A block device reports size 0: it is never a thin image, and its reads end where it ends.
    const head = Buffer.alloc(Math.min(THIN_HEADER_MAX, st.isFile() ? st.size : THIN_MAGIC.length));
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    if (!isThinImage(head.subarray(0, bytesRead))) {
      return { path, bytes: st.size, read: (b, o, l, p) => fh.read(b, o, l, p), close: () => fh.close() };
    }
    return await openThin(path, fh, head.subarray(0, bytesRead), st.size);
  } catch (err) {
    await fh.close().catch(() => undefined);
    throw err;
  }
}

async function openThin(path: string, fh: FileHandle, head: Buffer, fileSize: number): Promise<ImageFile> {
  const { header, dataAt } = decodeThinHeader(head, fileSize, path);
  const masterPath = resolve(dirname(path), header.master);
  const again = "restore the master, or write the week's discs again with patchdisc build --week WEEK --remaster";
  const master = await open(masterPath, 'r').catch((err: unknown) => {
    throw new PatchdiscError('NOT_FOUND', `Cannot read thin image ${path}: its master ${masterPath} cannot be opened (${(err as NodeJS.ErrnoException).code ?? String(err)}); ${again}`, {
      cause: err,
      details: { path, master: masterPath },
    });
  });
  try {
    const size = (await master.stat()).size;
    if (size !== header.bytes) {
      throw new PatchdiscError('ISO_CORRUPT', `Cannot read thin image ${path}: its master ${masterPath} has ${size} bytes, ${header.bytes} expected; ${again}`, {
        details: { path, master: masterPath, expected: header.bytes, actual: size },
      });
    }
  } catch (err) {
    await master.close().catch(() => undefined);
    throw err;
  }
  // Where each segment's bytes start in the thin file.
  const stored: number[] = [];
  let at = dataAt;
  for (const [, length] of header.segments) {
    stored.push(at);
    at += length;
  }
  return {
    path,
    bytes: header.bytes,
    thin: { ...header, masterPath },
    read: async (buffer, offset, length, position) => {
      let done = 0;
      // The first segment ending after `position` (segments are few: a binary search is not worth it).
      let k = header.segments.findIndex(([start, len]) => start + len > position);
      if (k < 0) k = header.segments.length;
      while (done < length && position + done < header.bytes) {
        const pos = position + done;
        const into = offset + done;
        const seg = header.segments[k];
        let n: number;
        if (seg !== undefined && pos >= seg[0]) {
          const want = Math.min(length - done, seg[0] + seg[1] - pos);
          n = (await fh.read(buffer, into, want, (stored[k] as number) + (pos - seg[0]))).bytesRead;
          if (n === 0) throw new PatchdiscError('ISO_CORRUPT', `Cannot read thin image ${path}: it ends inside its data; ${again}`);
          if (pos + n === seg[0] + seg[1]) k++;
        } else {
          const want = Math.min(length - done, (seg === undefined ? header.bytes : seg[0]) - pos);
          n = (await master.read(buffer, into, want, pos)).bytesRead;
          if (n === 0) throw new PatchdiscError('ISO_CORRUPT', `Cannot read thin image ${path}: its master ${masterPath} ends at byte ${pos}; ${again}`);
        }
        done += n;
      }
      return { bytesRead: done };
    },
    close: async () => {
      await Promise.allSettled([fh.close(), master.close()]);
    },
  };
}
