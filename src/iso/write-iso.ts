/**
 * Streams a planned image to disk once: metadata, then every file's bytes in sector order, hashing
 * the image (SHA-256) while writing (ImageSink). Writes `<out>.partial` and renames it only when
 * complete and durable (fsync), unless the caller opts out with `durable: false`.
 */
import type { Hash } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { PatchdiscError, isPatchdiscError } from '../errors.ts';
import { encodeRegions } from './encode-metadata.ts';
import { ImageSink } from './image-sink.ts';
import { forEachPatchedPiece, type TailPatch } from './tail-patch.ts';
import type { IsoLayout, PlannedFile } from './layout.ts';
import { SECTOR_SIZE } from './volume-descriptor.ts';

/** Bytes per read when a whole image is read back (write-iso-patch's hashPrefix). */
export const READ_CHUNK_SIZE = 1024 * 1024;

export interface WriteIsoOptions {
  signal?: AbortSignal;
  onProgress?: (written: number, total: number) => void;
  /**
   * Default true: fsync before the rename, so a power cut never leaves a damaged image under the
   * final name. False leaves the bytes in the page cache, as genisoimage and cp do (faster when the
   * image is burned or copied right away; a kill -9 is still safe, a power cut is not).
   */
  durable?: boolean;
}

export interface WriteIsoResult {
  path: string;
  bytes: number;
  sha256: string;
  /** For a layout with a reserved tail: the SHA-256 state after every byte before the tail. */
  checkpoint?: IsoHashCheckpoint;
}

/**
 * SHA-256 of an image's first `offset` bytes, kept open, so the hash of an image sharing those bytes
 * costs only what follows them. Finishing never consumes the state: it serves any number of images.
 */
export interface IsoHashCheckpoint {
  offset: number;
  /** The SHA-256 (hex) of the first `offset` bytes followed by `rest`. */
  digestWith(rest: readonly Uint8Array[]): Promise<string>;
  /**
   * The SHA-256 (hex) of the first `offset` bytes followed by `base` with `patches` laid over it
   * (tail-patch.ts), then `zeros` zero bytes. Pass the same `base` array for every image that shares
   * it: a checkpoint on a worker is sent it once, not once per image.
   */
  digestPatched(base: Uint8Array, patches: readonly TailPatch[], zeros: number): Promise<string>;
}

/** A checkpoint over an in-process hash state (node:crypto `Hash.copy()`); `hash` is never updated. */
export function hashCheckpoint(offset: number, hash: Hash): IsoHashCheckpoint {
  return {
    offset,
    digestWith: async (rest) => {
      const h = hash.copy();
      for (const part of rest) h.update(part);
      return h.digest('hex');
    },
    digestPatched: async (base, patches, zeros) => {
      const h = hash.copy();
      forEachPatchedPiece(base, patches, zeros, (piece) => h.update(piece));
      return h.digest('hex');
    },
  };
}

/** Source files kept open at once; each is closed once its last read has landed. */
const MAX_OPEN_SOURCES = 64;
/**
 * Source files opened (and sized) ahead of the one being copied, so that the next file's reads are
 * issued at once instead of after an open and a stat waiting in the threadpool's queue.
 */
const OPEN_AHEAD = 8;

/** Writes the image planned by `layout` to `outPath` and returns its size and SHA-256. */
export async function writeIso(layout: IsoLayout, outPath: string, options: WriteIsoOptions = {}): Promise<WriteIsoResult> {
  const { signal, onProgress } = options;
  const durable = options.durable !== false;
  const partial = `${outPath}.partial`;
  checkAborted(signal, outPath);
  const fh = await open(partial, 'w').catch((err: unknown) => {
    throw ioError(err, `Cannot create ${partial}`);
  });
  const tailStart = layout.tail === undefined ? undefined : layout.tail.lba * SECTOR_SIZE;
  const sink = new ImageSink(fh, layout.totalBytes, { onProgress, checkpointAt: tailStart, durable });
  const sources: Promise<unknown>[] = [];
  const data = layout.files.filter((f) => f.size > 0 && !f.inTail);
  const opener = new SourceOpener(data);
  try {
    const { head, tail } = encodeRegions(layout);
    await sink.write(head);
    for (const [i, file] of data.entries()) {
      if (sink.offset !== file.lba * SECTOR_SIZE) {
        throw new PatchdiscError('INTERNAL', `Cannot write ${JSON.stringify(file.path)}: image is at byte ${sink.offset}, layout puts it at sector ${file.lba}`);
      }
      if (sources.length >= MAX_OPEN_SOURCES) await sources.shift();
      checkAborted(signal, file.path);
      const { closed } = await copyFile(file, opener.take(i), sink, signal);
      // Settled (never rejects): a failed read fails the sink, which reports it.
      if (closed !== undefined) sources.push(closed.then(() => undefined, () => undefined));
      await sink.zeros((SECTOR_SIZE - (file.size % SECTOR_SIZE)) % SECTOR_SIZE);
    }
    if (tailStart !== undefined) {
      if (sink.offset !== tailStart || tail === undefined) {
        throw new PatchdiscError('INTERNAL', `Cannot write the tail of ${outPath}: image is at byte ${sink.offset}, layout puts the tail at byte ${tailStart}`);
      }
      await sink.write(tail);
    }
    await sink.zeros(layout.totalBytes - sink.offset);
    const sha256 = await sink.finish();
    // Reads run ahead of writes: a signal fired while the last buffers were written lands here.
    checkAborted(signal, outPath);
    if (durable) await fh.sync();
    await fh.close();
    await rename(partial, outPath);
    const result: WriteIsoResult = { path: outPath, bytes: layout.totalBytes, sha256 };
    if (sink.checkpoint !== undefined) result.checkpoint = sink.checkpoint;
    return result;
  } catch (err) {
    // No read or write may still be running on a file handle once it is closed.
    await sink.settle();
    await Promise.allSettled(sources);
    await opener.closeUntaken();
    await fh.close().catch(() => undefined);
    await rm(partial, { force: true });
    if (isPatchdiscError(err)) throw err;
    throw ioError(err, `Cannot write ${outPath}`);
  }
}

/** Opens the source files of `files` OPEN_AHEAD ahead of the one taken, each checked for its size. */
class SourceOpener {
  private readonly opening: (Promise<FileHandle> | undefined)[] = [];
  private started = 0;
  private taken = 0;

  constructor(private readonly files: readonly PlannedFile[]) {}

  /** Files[i]'s open source (undefined for a buffer source); files are taken in order. */
  take(i: number): Promise<FileHandle> | undefined {
    for (; this.started < this.files.length && this.started <= i + OPEN_AHEAD; this.started++) {
      const file = this.files[this.started] as PlannedFile;
      if (file.source.kind !== 'file') continue;
      const opened = openSource(file, file.source.path);
      // Its failure is reported when the file is taken (or ignored after an earlier failure).
      opened.catch(() => undefined);
      this.opening[this.started] = opened;
    }
    const opened = this.opening[i];
    this.opening[i] = undefined;
    this.taken = i + 1;
    return opened;
  }

  /** Closes every source opened ahead but never taken (after a failure). */
  async closeUntaken(): Promise<void> {
    const left = this.opening.slice(this.taken).filter((p) => p !== undefined);
    await Promise.allSettled(left.map(async (p) => (await p).close()));
  }
}

async function openSource(file: PlannedFile, path: string): Promise<FileHandle> {
  const src = await open(path, 'r').catch((err: unknown) => {
    throw ioError(err, readAction(file, path));
  });
  try {
    const { size } = await src.stat();
    if (size !== file.size) throw sizeMismatch(file, size);
    return src;
  } catch (err) {
    await src.close().catch(() => undefined);
    throw err;
  }
}

/**
 * Hands `file`'s bytes to the sink: buffers are copied; a source file (`opened`, from SourceOpener)
 * is read straight into the sink's buffers, several reads in flight. Returns as soon as every read is
 * issued, with, for a source file, `closed`: settles once its last read has landed and the file is
 * closed (its failure also fails the sink).
 */
async function copyFile(file: PlannedFile, opened: Promise<FileHandle> | undefined, sink: ImageSink, signal: AbortSignal | undefined): Promise<{ closed?: Promise<void> }> {
  if (file.source.kind === 'buffer') {
    if (file.source.data.length !== file.size) throw sizeMismatch(file, file.source.data.length);
    await sink.write(file.source.data);
    return {};
  }
  const path = file.source.path;
  if (opened === undefined) throw new PatchdiscError('INTERNAL', `Cannot write ${JSON.stringify(file.path)}: its source was not opened`);
  const src = await opened;
  const reads: Promise<void>[] = [];
  // Set inside the callback below (a plain `let` would be narrowed to undefined).
  const closing: { closed?: Promise<void> } = {};
  try {
    let position = 0;
    while (position < file.size) {
      checkAborted(signal, file.path);
      const at = position;
      position += await sink.reserveRead(file.size - at, (view) => {
        const read = readFully(src, view, at, file, path);
        if (at + view.length < file.size) {
          reads.push(read);
          return read;
        }
        closing.closed = finishSource(src, file, path, [...reads, read]);
        return closing.closed;
      });
    }
  } catch (err) {
    await Promise.allSettled(reads);
    await src.close().catch(() => undefined);
    throw err;
  }
  return closing;
}

/** Reads exactly `view.length` bytes of `path` from `position` into `view`. */
async function readFully(src: FileHandle, view: Buffer, position: number, file: PlannedFile, path: string): Promise<void> {
  let done = 0;
  while (done < view.length) {
    const { bytesRead } = await src.read(view, done, view.length - done, position + done).catch((err: unknown) => {
      throw ioError(err, readAction(file, path));
    });
    if (bytesRead === 0) throw sizeMismatch(file, position + done);
    done += bytesRead;
  }
}

/** After every read of a source: checks that it did not grow meanwhile, and closes it. */
async function finishSource(src: FileHandle, file: PlannedFile, path: string, reads: Promise<void>[]): Promise<void> {
  try {
    for (const r of await Promise.allSettled(reads)) if (r.status === 'rejected') throw r.reason;
    const { bytesRead } = await src.read(Buffer.alloc(1), 0, 1, file.size).catch((err: unknown) => {
      throw ioError(err, readAction(file, path));
    });
    if (bytesRead !== 0) {
      throw new PatchdiscError('SIZE_MISMATCH', `Cannot write ${JSON.stringify(file.path)}: source has more than the declared ${file.size} bytes; it changed after planning, plan again`, {
        details: { path: file.path, expected: file.size },
      });
    }
  } finally {
    await src.close();
  }
}

function readAction(file: PlannedFile, path: string): string {
  return `Cannot read ${path} for ${JSON.stringify(file.path)}`;
}

function sizeMismatch(file: PlannedFile, actual: number): PatchdiscError {
  const source = file.source.kind === 'file' ? file.source.path : 'its buffer';
  return new PatchdiscError('SIZE_MISMATCH', `Cannot write ${JSON.stringify(file.path)}: ${source} has ${actual} bytes, ${file.size} declared; it changed after planning, plan again`, {
    details: { path: file.path, expected: file.size, actual },
  });
}

export function checkAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) {
    throw new PatchdiscError('ABORTED', `Cannot finish the image: aborted while writing ${what}`, { cause: signal.reason });
  }
}

export function ioError(err: unknown, action: string): PatchdiscError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new PatchdiscError('DISK_FULL', `${action}: disk full; free space and retry`, { cause: err });
  // A file-size limit (ulimit -f, or a file system's own) stops the image as surely as a full disk.
  if (code === 'EFBIG') return new PatchdiscError('DISK_FULL', `${action}: the file is larger than this system allows (EFBIG: ulimit -f or the file system's limit); raise the limit or write elsewhere, and retry`, { cause: err });
  if (code === 'ENOENT') return new PatchdiscError('NOT_FOUND', `${action}: file not found`, { cause: err });
  return new PatchdiscError('INTERNAL', `${action}: ${(err as Error | undefined)?.message ?? String(err)}`, { cause: err });
}
