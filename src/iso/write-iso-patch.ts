/**
 * A further subscriber's image from a mastered one: the master with only the sectors of its reserved
 * tail that differ (the folders listing the per-subscriber files, and those files) replaced — in a
 * clone of the master (a reflink where the filesystem offers one, else a copy), or, where no reflink
 * is possible and the share mode allows, in a thin image that names the master and holds just those
 * sectors (write-iso-thin.ts). The update files' extents are never touched.
 *
 * Why the tail holds the folders, and how the SHA-256 stays exact and cheap: the root folder lists
 * MANIFEST.json & co. with their sizes, which differ per subscriber, so the root cannot sit in the
 * shared part; libarchive reads folders only in ascending order from the root, so all folders follow
 * it into the tail (planIsoLayout with tailSectors). Everything before the tail — system area,
 * volume descriptors, path tables, every update file — is then byte-identical for every subscriber
 * of the same content, and SHA-256 being sequential, the hash state after that prefix (kept with
 * an IsoHashCheckpoint while the master is written) finishes any subscriber's hash from the tail
 * alone (from the master's tail and the patches, on the master's hash worker). When
 * that state is not at hand (the master came from an earlier run), it is rebuilt by reading the
 * master's prefix once; the returned checkpoint then serves the group's further subscribers.
 */
import { createHash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { copyFile, open, rename, rm, stat } from 'node:fs/promises';
import { PatchdiscError, isPatchdiscError } from '../errors.ts';
import { encodeRegions, tailPatchesFrom } from './encode-metadata.ts';
import { diffPatches, type TailPatch } from './tail-patch.ts';
import { rebasedBase, sameIsoSource } from './rebase-layout.ts';
import type { IsoLayout, PlannedFile } from './layout.ts';
import { SECTOR_SIZE } from './volume-descriptor.ts';
import { writeThinImage } from './write-iso-thin.ts';
import { checkAborted, hashCheckpoint, ioError, READ_CHUNK_SIZE, type IsoHashCheckpoint, type WriteIsoOptions, type WriteIsoResult } from './write-iso.ts';

/** An image already written with `layout` (by writeIso or writeIsoPatch). */
export interface IsoBase {
  path: string;
  layout: IsoLayout;
  /** writeIso's / writeIsoPatch's checkpoint for this image; rebuilt by reading `path` when absent. */
  checkpoint?: IsoHashCheckpoint;
  /** The image's SHA-256, recorded in thin images; worked out from the checkpoint when absent. */
  sha256?: string;
}

/**
 * How a further image gets the master's bytes: 'copy' a reflink clone where the filesystem offers
 * one, else a byte copy (always a full .iso); 'auto' a reflink clone, else a thin image; 'thin'
 * always a thin image (`<out>.thin`, see thin-image.ts).
 */
export type ShareMode = 'auto' | 'copy' | 'thin';

export interface WriteIsoPatchOptions extends WriteIsoOptions {
  /** Default 'copy'. */
  share?: ShareMode;
}

export interface WriteIsoPatchResult extends WriteIsoResult {
  checkpoint: IsoHashCheckpoint;
  /**
   * 'reflink': the clone shares the master's blocks; 'copy': bytes were copied; 'thin': `path` is a
   * thin image (`<out>.thin`) standing for the image.
   */
  clone: 'reflink' | 'copy' | 'thin';
  /** Bytes read to rebuild the checkpoint (0 when it was given). */
  prefixBytesRead: number;
}

/**
 * Why `layout` cannot be made by patching an image of `base`, or undefined when it can: both need a
 * tail at the same place of the same size, the same image size, byte-identical sectors before the
 * tail, and every update file at the same place from the same source.
 */
export function patchIncompatibility(base: IsoLayout, layout: IsoLayout): string | undefined {
  // Rebased from this very layout: the same head and update files by construction.
  if (rebasedBase(layout) === base && layout.tail !== undefined) return undefined;
  if (base.tail === undefined || layout.tail === undefined) return 'both layouts need a reserved tail (tailSectors)';
  if (base.tail.lba !== layout.tail.lba || base.tail.sectors !== layout.tail.sectors) {
    return `the tails differ (sector ${base.tail.lba}+${base.tail.sectors} vs ${layout.tail.lba}+${layout.tail.sectors})`;
  }
  if (base.totalSectors !== layout.totalSectors) return `the image sizes differ (${base.totalSectors} vs ${layout.totalSectors} sectors)`;
  const shared = (l: IsoLayout): PlannedFile[] => l.files.filter((f) => !f.inTail);
  const a = shared(base);
  const b = shared(layout);
  if (a.length !== b.length) return `the update files differ (${a.length} vs ${b.length})`;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as PlannedFile;
    const y = b[i] as PlannedFile;
    if (x.path !== y.path || x.lba !== y.lba || x.size !== y.size || !sameIsoSource(x.source, y.source)) {
      return `update file ${JSON.stringify(y.path)} differs in place, size or source`;
    }
  }
  const headA = encodeRegions(base).head;
  const headB = encodeRegions(layout).head;
  if (headA.length !== headB.length || !Buffer.from(headA.buffer, headA.byteOffset, headA.length).equals(headB)) {
    return 'the volume descriptors or path tables differ (volume id, date, folder names?)';
  }
  return undefined;
}


/**
 * Writes the image planned by `layout` to `outPath` by cloning `base.path` and rewriting its tail;
 * the result is byte-identical to `writeIso(layout, outPath)`. Writes `<out>.partial` and renames it
 * when complete. With `share` 'auto' where no reflink is possible, or 'thin', writes the thin image
 * `<out>.thin` instead (result `clone: 'thin'`, `path` its path). Throws VALIDATION (with the
 * reason) when the layouts are not patch-compatible.
 */
export async function writeIsoPatch(base: IsoBase, layout: IsoLayout, outPath: string, options: WriteIsoPatchOptions = {}): Promise<WriteIsoPatchResult> {
  const { signal, onProgress } = options;
  const share = options.share ?? 'copy';
  const prepared = await preparePatch(base, layout, outPath, signal);
  const { tailStart, masterTail, patches, zeros, checkpoint, prefixBytesRead } = prepared;
  const partial = `${outPath}.partial`;
  try {
    const clone = share === 'thin' ? 'none' : await cloneFile(base.path, partial, share === 'copy');
    // The bytes after the tail are the zero padding, the same in every image of this layout.
    const sha256 = await checkpoint.digestPatched(masterTail, patches, zeros);
    if (clone === 'none') {
      // The master's own SHA-256 is its prefix state finished with its own (encoded) tail.
      const masterSha256 = base.sha256 ?? (await checkpoint.digestPatched(masterTail, [], zeros));
      const thin = await writeThinImage({ masterPath: base.path, masterSha256, layout, tailStart, patches, sha256 }, outPath, options);
      return { path: thin.path, bytes: layout.totalBytes, sha256, checkpoint, clone: 'thin', prefixBytesRead };
    }
    const fh = await open(partial, 'r+');
    try {
      // The clone holds the master's tail: only the sectors that differ are written.
      for (const p of patches) {
        const { bytesWritten } = await fh.write(p.data, 0, p.data.length, tailStart + p.at);
        if (bytesWritten !== p.data.length) throw new Error(`short write: ${bytesWritten} of ${p.data.length} bytes`);
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(partial, outPath);
    onProgress?.(layout.totalBytes, layout.totalBytes);
    return { path: outPath, bytes: layout.totalBytes, sha256, checkpoint, clone, prefixBytesRead };
  } catch (err) {
    await rm(partial, { force: true });
    if (isPatchdiscError(err)) throw err;
    throw ioError(err, `Cannot write ${outPath}`);
  }
}

/**
 * What patching `base` into `layout` needs: where the tail starts, the master's tail and the
 * sectors of it that differ (tail-patch.ts), the zero bytes after the tail, the hash state before it.
 */
export interface PreparedPatch {
  tailStart: number;
  masterTail: Uint8Array;
  patches: TailPatch[];
  zeros: number;
  checkpoint: IsoHashCheckpoint;
  /** Bytes read to rebuild the checkpoint (0 when `base` had it). */
  prefixBytesRead: number;
}

/**
 * Checks that `layout` can be made from `base` (VALIDATION with the reason if not; SIZE_MISMATCH when
 * the master on disk is not its layout's size), encodes the tail, and gets the hash checkpoint:
 * base's own, or rebuilt by reading the master's prefix once.
 */
export async function preparePatch(base: IsoBase, layout: IsoLayout, outPath: string, signal?: AbortSignal): Promise<PreparedPatch> {
  const reason = patchIncompatibility(base.layout, layout);
  if (reason !== undefined || layout.tail === undefined) {
    throw new PatchdiscError('VALIDATION', `Cannot patch ${base.path} into ${outPath}: ${reason ?? 'no tail'}; master the disc in full`);
  }
  const tailStart = layout.tail.lba * SECTOR_SIZE;
  const size = await stat(base.path).then((s) => s.size, (err: unknown) => {
    throw ioError(err, `Cannot patch from ${base.path}`);
  });
  if (size !== base.layout.totalBytes) {
    throw new PatchdiscError('SIZE_MISMATCH', `Cannot patch from ${base.path}: it has ${size} bytes, its layout ${base.layout.totalBytes}; master it again`, {
      details: { path: base.path, expected: base.layout.totalBytes, actual: size },
    });
  }
  let prefixBytesRead = 0;
  let checkpoint = base.checkpoint;
  if (checkpoint !== undefined && checkpoint.offset !== tailStart) {
    throw new PatchdiscError('INTERNAL', `Cannot patch from ${base.path}: its checkpoint is at byte ${checkpoint.offset}, the tail starts at byte ${tailStart}`);
  }
  if (checkpoint === undefined) {
    checkpoint = await hashPrefix(base.path, tailStart, signal);
    prefixBytesRead = tailStart;
  }
  const masterTail = encodeRegions(base.layout).tail;
  if (masterTail === undefined) throw new PatchdiscError('INTERNAL', `Cannot patch ${outPath}: the master's layout encodes no tail`);
  // A layout rebased from the master's encodes only what differs; another compatible one is diffed.
  const patches = rebasedBase(layout) === base.layout ? tailPatchesFrom(base.layout, layout) : diffPatches(masterTail, encodeRegions(layout).tail as Uint8Array);
  checkAborted(signal, outPath);
  return { tailStart, masterTail, patches, zeros: layout.totalBytes - tailStart - masterTail.length, checkpoint, prefixBytesRead };
}

/**
 * Copies `from` to `to` sharing its blocks (FICLONE) where the filesystem can, else byte by byte
 * when `allowCopy`, else makes nothing and returns 'none'.
 */
async function cloneFile(from: string, to: string, allowCopy: boolean): Promise<'reflink' | 'copy' | 'none'> {
  try {
    await copyFile(from, to, constants.COPYFILE_FICLONE_FORCE);
    return 'reflink';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    // ENOTSUP/EOPNOTSUPP: no reflinks here (ext4, tmpfs); EXDEV: other filesystem; EINVAL/ENOSYS: old kernel.
    if (!['ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EINVAL', 'ENOSYS', 'ENOTTY'].includes(code ?? '')) throw err;
  }
  if (!allowCopy) return 'none';
  await copyFile(from, to);
  return 'copy';
}

/** Reads the first `bytes` of `path` into a SHA-256 checkpoint. */
export async function hashPrefix(path: string, bytes: number, signal?: AbortSignal): Promise<IsoHashCheckpoint> {
  const hash = createHash('sha256');
  let count = 0;
  if (bytes > 0) {
    const stream = createReadStream(path, { start: 0, end: bytes - 1, highWaterMark: 4 * READ_CHUNK_SIZE });
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        checkAborted(signal, path);
        hash.update(chunk);
        count += chunk.length;
      }
    } catch (err) {
      stream.destroy();
      if (isPatchdiscError(err)) throw err;
      throw ioError(err, `Cannot read ${path}`);
    }
  }
  if (count !== bytes) {
    throw new PatchdiscError('SIZE_MISMATCH', `Cannot hash the first ${bytes} bytes of ${path}: it ends at byte ${count}; master it again`, {
      details: { path, expected: bytes, actual: count },
    });
  }
  return hashCheckpoint(bytes, hash);
}
