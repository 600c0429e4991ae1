/**
 * Writes a further subscriber's image as a thin image (thin-image.ts): a reference to the master
 * and the subscriber's own tail, a few hundred KB however large the disc. Used where the filesystem
 * cannot clone the master's blocks, so that a group of N subscribers costs one master on disk and
 * in time, not N (ext4 has no reflink: a clone there copies every byte).
 */
import { open, rename, rm } from 'node:fs/promises';
import { dirname, relative, sep } from 'node:path';
import { PatchdiscError, isPatchdiscError } from '../errors.ts';
import type { IsoLayout } from './layout.ts';
import { encodeThinImage, THIN_SUFFIX } from './thin-image.ts';
import { SECTOR_SIZE } from './volume-descriptor.ts';
import { ioError, type IsoHashCheckpoint, type WriteIsoOptions } from './write-iso.ts';

export interface ThinInput {
  /** The master image on disk, its SHA-256, its layout's tail bytes (encodeRegions). */
  masterPath: string;
  masterSha256: string;
  masterTail: Uint8Array;
  /** The patch prepared from it (write-iso-patch.ts). */
  layout: IsoLayout;
  tailStart: number;
  tail: Uint8Array;
  checkpoint: IsoHashCheckpoint;
}

/**
 * Writes `<outPath>.thin` for the image `layout` plans and returns its path and the SHA-256 of the
 * image it stands for. Written to a partial name, flushed (unless `durable: false`: flushThinImages
 * then) and renamed.
 */
export async function writeThinImage(input: ThinInput, outPath: string, options: WriteIsoOptions = {}): Promise<{ path: string; sha256: string }> {
  const { layout, tailStart, tail, checkpoint } = input;
  const thinPath = `${outPath}${THIN_SUFFIX}`;
  // The bytes after the tail are the zero padding, the same in every image of this layout.
  const sha256 = await checkpoint.digestWith([tail, Buffer.alloc(layout.totalBytes - tailStart - tail.length)]);
  const segments = differingSectors(input.masterTail, tail, tailStart);
  const bytes = encodeThinImage(
    {
      master: relative(dirname(thinPath), input.masterPath).split(sep).join('/'),
      masterBytes: layout.totalBytes,
      masterSha256: input.masterSha256,
      bytes: layout.totalBytes,
      sha256,
      segments: segments.map((s) => [s.offset, s.data.length]),
    },
    segments.map((s) => s.data),
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
  return { path: thinPath, sha256 };
}

/** Runs of whole sectors where `tail` differs from `masterTail` (same size), at image offsets. */
function differingSectors(masterTail: Uint8Array, tail: Uint8Array, tailStart: number): { offset: number; data: Uint8Array }[] {
  if (masterTail.length !== tail.length) {
    throw new PatchdiscError('INTERNAL', `Cannot write a thin image: its tail has ${tail.length} bytes, the master's ${masterTail.length}`);
  }
  const a = Buffer.from(masterTail.buffer, masterTail.byteOffset, masterTail.length);
  const b = Buffer.from(tail.buffer, tail.byteOffset, tail.length);
  const out: { offset: number; data: Uint8Array }[] = [];
  let runStart = -1;
  for (let at = 0; at <= b.length; at += SECTOR_SIZE) {
    const differs = at < b.length && a.compare(b, at, at + SECTOR_SIZE, at, at + SECTOR_SIZE) !== 0;
    if (differs && runStart < 0) runStart = at;
    if (!differs && runStart >= 0) {
      out.push({ offset: tailStart + runStart, data: b.subarray(runStart, at) });
      runStart = -1;
    }
  }
  return out;
}

/** Files flushed at once: enough for one journal commit to carry many, few enough for the fd limit. */
const FLUSH_CONCURRENCY = 32;

/**
 * Makes thin images written with `durable: false` durable: each file and then each folder holding
 * them, flushed concurrently, so a group's further subscribers share journal commits instead of
 * paying one each. Call before anything records them as done.
 */
export async function flushThinImages(paths: readonly string[]): Promise<void> {
  const sync = async (path: string, flags: string): Promise<void> => {
    const fh = await open(path, flags);
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  };
  const inBatches = async (items: readonly string[], flags: string): Promise<void> => {
    for (let i = 0; i < items.length; i += FLUSH_CONCURRENCY) {
      await Promise.all(items.slice(i, i + FLUSH_CONCURRENCY).map((p) => sync(p, flags)));
    }
  };
  try {
    await inBatches(paths, 'r');
    await inBatches([...new Set(paths.map((p) => dirname(p)))], 'r');
  } catch (err) {
    throw ioError(err, `Cannot flush ${paths.length} thin images to disk`);
  }
}
