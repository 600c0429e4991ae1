/**
 * Writes a further subscriber's image as a thin image (thin-image.ts): a reference to the master
 * and the subscriber's own tail, a few hundred KB however large the disc. Used where the filesystem
 * cannot clone the master's blocks, so that a group of N subscribers costs one master on disk and
 * in time, not N (ext4 has no reflink: a clone there copies every byte).
 */
import { open, rename, rm } from 'node:fs/promises';
import { dirname, relative, sep } from 'node:path';
import { isPatchdiscError } from '../errors.ts';
import type { IsoLayout } from './layout.ts';
import { encodeThinImage, THIN_SUFFIX } from './thin-image.ts';
import type { TailPatch } from './tail-patch.ts';
import { ioError, type WriteIsoOptions } from './write-iso.ts';

export interface ThinInput {
  /** The master image on disk and its SHA-256. */
  masterPath: string;
  masterSha256: string;
  layout: IsoLayout;
  /** Where the tail starts in the image, and the sectors of it that differ from the master's. */
  tailStart: number;
  patches: readonly TailPatch[];
  /** The SHA-256 of the image (write-iso-patch works it out from the master's checkpoint). */
  sha256: string;
}

/**
 * Writes `<outPath>.thin` for the image `layout` plans and returns its path. Written to a partial
 * name, flushed (unless `durable: false`: flushThinImages then) and renamed.
 */
export async function writeThinImage(input: ThinInput, outPath: string, options: WriteIsoOptions = {}): Promise<{ path: string }> {
  const { layout, tailStart, patches } = input;
  const thinPath = `${outPath}${THIN_SUFFIX}`;
  const bytes = encodeThinImage(
    {
      master: relative(dirname(thinPath), input.masterPath).split(sep).join('/'),
      masterSha256: input.masterSha256,
      bytes: layout.totalBytes,
      sha256: input.sha256,
      segments: patches.map((p) => [tailStart + p.at, p.data.length]),
    },
    patches.map((p) => p.data),
  );
  const partial = `${thinPath}.partial`;
  try {
    const fh = await open(partial, 'w');
    try {
      const { bytesWritten } = await fh.write(bytes, 0, bytes.length, 0);
      if (bytesWritten !== bytes.length) throw new Error(`short write: ${bytesWritten} of ${bytes.length} bytes`);
      if (options.durable !== false) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(partial, thinPath);
  } catch (err) {
    await rm(partial, { force: true });
    if (isPatchdiscError(err)) throw err;
    throw ioError(err, `Cannot write ${thinPath}`);
  }
  options.onProgress?.(layout.totalBytes, layout.totalBytes);
  return { path: thinPath };
}

/** Files flushed at once: enough for one journal commit to carry many, few enough for the fd limit. */
const FLUSH_CONCURRENCY = 32;

/**
 * Makes thin images written with `durable: false` durable: each file and then each folder holding
 * them, flushed concurrently, so a group's further subscribers share journal commits instead of
 * paying one each. Call before anything records them as done.
 */
export async function flushThinImages(paths: readonly string[]): Promise<void> {
  // Read-only opens: Linux allows fsync on them, folders included.
  const sync = async (path: string): Promise<void> => {
    const fh = await open(path, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  };
  const inBatches = async (items: readonly string[]): Promise<void> => {
    for (let i = 0; i < items.length; i += FLUSH_CONCURRENCY) {
      await Promise.all(items.slice(i, i + FLUSH_CONCURRENCY).map(sync));
    }
  };
  try {
    await inBatches(paths);
    await inBatches([...new Set(paths.map((p) => dirname(p)))]);
  } catch (err) {
    throw ioError(err, `Cannot flush ${paths.length} thin images to disk`);
  }
}
