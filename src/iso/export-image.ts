/**
 * Writes out the whole image a file stands for — a thin image's master prefix, tail and padding, or
 * a plain .iso as it is — to a file or a stream (a burner reading stdin), hashing it on the way. A
 * thin image's bytes must hash to the SHA-256 its header records, else HASH_MISMATCH and no file.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { open, rename, rm } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { PatchdiscError, isPatchdiscError } from '../errors.ts';
import { openImageFile, type ImageFile } from './image-file.ts';
import { checkAborted, ioError } from './write-iso.ts';

/** Bytes per read and write. */
const EXPORT_CHUNK = 4 * 1024 * 1024;

export interface ExportImageOptions {
  signal?: AbortSignal;
  onProgress?: (written: number, total: number) => void;
  /** File output only; default true: fsync before the rename into place. */
  durable?: boolean;
}

export interface ExportImageResult {
  bytes: number;
  sha256: string;
  /** True when the source was a thin image (its SHA-256 was checked against its header). */
  thin: boolean;
}

/** Exports `from` to the file `to` (via `<to>.partial`) or into the stream `to`. */
export async function exportImage(from: string, to: string | Writable, options: ExportImageOptions = {}): Promise<ExportImageResult> {
  const image = await openImageFile(from);
  const partial = typeof to === 'string' ? `${to}.partial` : undefined;
  const out = partial === undefined ? undefined : await open(partial, 'w').catch(async (err: unknown) => {
    await image.close();
    throw ioError(err, `Cannot create ${partial}`);
  });
  try {
    const sha256 = await eachChunk(image, from, options.signal, async (buf, position) => {
      if (out !== undefined) await writeFully(out, buf, position);
      else await writeToStream(to as Writable, buf);
      options.onProgress?.(position + buf.length, image.bytes);
    });
    if (image.thin !== undefined && sha256 !== image.thin.sha256) {
      throw new PatchdiscError(
        'HASH_MISMATCH',
        `Cannot export ${from}: the image hashes to ${sha256}, its record says ${image.thin.sha256}; its master ${image.thin.masterPath} has changed; write the week's discs again with patchdisc build --week WEEK --remaster`,
        { details: { path: from, expected: image.thin.sha256, actual: sha256 } },
      );
    }
    if (out !== undefined && partial !== undefined) {
      if (options.durable !== false) await out.sync();
      await out.close();
      await rename(partial, to as string);
    }
    return { bytes: image.bytes, sha256, thin: image.thin !== undefined };
  } catch (err) {
    if (out !== undefined) await out.close().catch(() => undefined);
    if (partial !== undefined) await rm(partial, { force: true });
    if (isPatchdiscError(err)) throw err;
    throw ioError(err, `Cannot export ${from}`);
  } finally {
    await image.close();
  }
}

async function writeFully(out: Awaited<ReturnType<typeof open>>, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await out.write(buf, done, buf.length - done, position + done);
    if (bytesWritten === 0) throw new Error(`short write at byte ${position + done}`);
    done += bytesWritten;
  }
}

/** Writes `buf` (which the stream keeps until written) to `stream`, waiting for it to drain. */
async function writeToStream(stream: Writable, buf: Buffer): Promise<void> {
  if (stream.destroyed || stream.writableEnded) throw new PatchdiscError('ABORTED', 'Cannot export: the output stream is closed (the reader stopped)');
  // `once` rejects when the stream fails (a reader that closed the pipe) instead of draining.
  if (!stream.write(buf)) await once(stream, 'drain');
}

/**
 * Reads the whole image `image` stands for in order, in fresh chunks handed to `each`, and returns
 * its SHA-256. A short image is ISO_CORRUPT.
 */
async function eachChunk(image: ImageFile, path: string, signal: AbortSignal | undefined, each?: (chunk: Buffer, position: number) => Promise<void>): Promise<string> {
  const hash = createHash('sha256');
  for (let position = 0; position < image.bytes; ) {
    checkAborted(signal, path);
    const buf = Buffer.allocUnsafe(Math.min(EXPORT_CHUNK, image.bytes - position));
    const { bytesRead } = await image.read(buf, 0, buf.length, position);
    if (bytesRead !== buf.length) {
      throw new PatchdiscError('ISO_CORRUPT', `Cannot read ${path}: it ends at byte ${position + bytesRead} of ${image.bytes}`);
    }
    hash.update(buf);
    await each?.(buf, position);
    position += buf.length;
  }
  return hash.digest('hex');
}

/** Size and SHA-256 of the image `path` stands for (an .iso, or a thin image read through its master). */
export async function hashImage(path: string, signal?: AbortSignal): Promise<{ bytes: number; sha256: string }> {
  const image = await openImageFile(path);
  try {
    return { bytes: image.bytes, sha256: await eachChunk(image, path, signal) };
  } finally {
    await image.close();
  }
}
