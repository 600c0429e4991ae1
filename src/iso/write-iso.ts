/**
 * Streams a planned image to disk once: metadata, then every file's bytes in sector order, hashing
 * the image (SHA-256) while writing. Writes `<out>.partial` and renames it only when complete.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { PatchdiscError, isPatchdiscError } from '../errors.ts';
import { encodeMetadata, encodeTail } from './encode-metadata.ts';
import type { IsoLayout, PlannedFile } from './layout.ts';
import { SECTOR_SIZE } from './volume-descriptor.ts';

/** Bytes per write(2); large writes keep the disk and the hash busy (see reference throughput). */
export const WRITE_BUFFER_SIZE = 4 * 1024 * 1024;
/** Bytes per read from a source file. */
export const READ_CHUNK_SIZE = 1024 * 1024;

export interface WriteIsoOptions {
  signal?: AbortSignal;
  onProgress?: (written: number, total: number) => void;
}

export interface WriteIsoResult {
  path: string;
  bytes: number;
  sha256: string;
  /** For a layout with a reserved tail: the SHA-256 state after every byte before the tail. */
  checkpoint?: IsoHashCheckpoint;
}

/**
 * SHA-256 of an image's first `offset` bytes, kept open (node:crypto `Hash.copy()`), so the hash of
 * an image sharing those bytes costs only what follows them. Never update `hash` itself: copy it.
 */
export interface IsoHashCheckpoint {
  offset: number;
  hash: Hash;
}

/** Double-buffered sink: fills one buffer while the other is being written. */
class ImageSink {
  private buffers = [Buffer.alloc(WRITE_BUFFER_SIZE), Buffer.alloc(WRITE_BUFFER_SIZE)];
  private current = 0;
  private fill = 0;
  private inflight: Promise<unknown> = Promise.resolve();
  private readonly hash: Hash = createHash('sha256');
  position = 0;
  checkpoint: IsoHashCheckpoint | undefined;

  constructor(
    private readonly fh: FileHandle,
    private readonly total: number,
    private readonly onProgress: ((written: number, total: number) => void) | undefined,
    /** Byte offset at which to keep a copy of the hash state, if any. */
    private readonly checkpointAt?: number,
  ) {}

  async write(bytes: Uint8Array): Promise<void> {
    let at = 0;
    while (at < bytes.length) {
      const buf = this.buffers[this.current] as Buffer;
      const n = Math.min(bytes.length - at, buf.length - this.fill);
      buf.set(bytes.subarray(at, at + n), this.fill);
      this.fill += n;
      at += n;
      if (this.fill === buf.length) await this.flush();
    }
  }

  async zeros(count: number): Promise<void> {
    let left = count;
    while (left > 0) {
      const buf = this.buffers[this.current] as Buffer;
      const n = Math.min(left, buf.length - this.fill);
      buf.fill(0, this.fill, this.fill + n);
      this.fill += n;
      left -= n;
      if (this.fill === buf.length) await this.flush();
    }
  }

  async flush(): Promise<void> {
    if (this.fill === 0) return;
    const buf = (this.buffers[this.current] as Buffer).subarray(0, this.fill);
    const cut = this.checkpointAt === undefined ? -1 : this.checkpointAt - this.position;
    if (cut >= 0 && cut < buf.length) {
      this.hash.update(buf.subarray(0, cut));
      this.checkpoint = { offset: this.position + cut, hash: this.hash.copy() };
      this.hash.update(buf.subarray(cut));
    } else {
      this.hash.update(buf);
    }
    await this.inflight;
    const length = this.fill;
    this.inflight = this.fh.write(buf, 0, length, this.position).then(({ bytesWritten }) => {
      if (bytesWritten !== length) throw new Error(`short write: ${bytesWritten} of ${length} bytes`);
    });
    // Marked handled now; the next flush or finish() awaits it and sees the failure (e.g. ENOSPC).
    this.inflight.catch(() => undefined);
    this.position += length;
    this.onProgress?.(this.position, this.total);
    this.current = 1 - this.current;
    this.fill = 0;
  }

  async finish(): Promise<string> {
    await this.flush();
    await this.inflight;
    return this.hash.digest('hex');
  }

  /** Bytes handed to the sink so far (written or buffered). */
  get offset(): number {
    return this.position + this.fill;
  }
}

/** Writes the image planned by `layout` to `outPath` and returns its size and SHA-256. */
export async function writeIso(layout: IsoLayout, outPath: string, options: WriteIsoOptions = {}): Promise<WriteIsoResult> {
  const { signal, onProgress } = options;
  const partial = `${outPath}.partial`;
  checkAborted(signal, outPath);
  const fh = await open(partial, 'w').catch((err: unknown) => {
    throw ioError(err, `Cannot create ${partial}`);
  });
  try {
    const tailStart = layout.tail === undefined ? undefined : layout.tail.lba * SECTOR_SIZE;
    const sink = new ImageSink(fh, layout.totalBytes, onProgress, tailStart);
    await sink.write(encodeMetadata(layout));
    for (const file of layout.files) {
      if (file.size === 0 || file.inTail) continue;
      if (sink.offset !== file.lba * SECTOR_SIZE) {
        throw new PatchdiscError('INTERNAL', `Cannot write ${JSON.stringify(file.path)}: image is at byte ${sink.offset}, layout puts it at sector ${file.lba}`);
      }
      await copyFile(file, sink, signal);
      await sink.zeros((SECTOR_SIZE - (file.size % SECTOR_SIZE)) % SECTOR_SIZE);
    }
    if (tailStart !== undefined) {
      if (sink.offset !== tailStart) {
        throw new PatchdiscError('INTERNAL', `Cannot write the tail of ${outPath}: image is at byte ${sink.offset}, layout puts the tail at byte ${tailStart}`);
      }
      await sink.write(encodeTail(layout));
    }
    await sink.zeros(layout.totalBytes - sink.offset);
    const sha256 = await sink.finish();
    await fh.sync();
    await fh.close();
    await rename(partial, outPath);
    const result: WriteIsoResult = { path: outPath, bytes: layout.totalBytes, sha256 };
    if (sink.checkpoint !== undefined) result.checkpoint = sink.checkpoint;
    return result;
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(partial, { force: true });
    if (isPatchdiscError(err)) throw err;
    throw ioError(err, `Cannot write ${outPath}`);
  }
}

async function copyFile(file: PlannedFile, sink: ImageSink, signal: AbortSignal | undefined): Promise<void> {
  let count = 0;
  const tooMany = (): PatchdiscError =>
    new PatchdiscError('SIZE_MISMATCH', `Cannot write ${JSON.stringify(file.path)}: source has more than the declared ${file.size} bytes; it changed after planning, plan again`, {
      details: { path: file.path, expected: file.size },
    });
  if (file.source.kind === 'buffer') {
    if (file.source.data.length !== file.size) throw tooMany();
    checkAborted(signal, file.path);
    await sink.write(file.source.data);
    return;
  }
  const stream = createReadStream(file.source.path, { highWaterMark: READ_CHUNK_SIZE });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      checkAborted(signal, file.path);
      count += chunk.length;
      if (count > file.size) throw tooMany();
      await sink.write(chunk);
    }
  } catch (err) {
    stream.destroy();
    if (isPatchdiscError(err)) throw err;
    throw ioError(err, `Cannot read ${file.source.path} for ${JSON.stringify(file.path)}`);
  }
  if (count !== file.size) {
    throw new PatchdiscError('SIZE_MISMATCH', `Cannot write ${JSON.stringify(file.path)}: ${file.source.path} has ${count} bytes, ${file.size} declared; it changed after planning, plan again`, {
      details: { path: file.path, expected: file.size, actual: count },
    });
  }
}

export function checkAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) {
    throw new PatchdiscError('ABORTED', `Cannot finish the image: aborted while writing ${what}`, { cause: signal.reason });
  }
}

export function ioError(err: unknown, action: string): PatchdiscError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC') return new PatchdiscError('DISK_FULL', `${action}: disk full; free space and retry`, { cause: err });
  if (code === 'ENOENT') return new PatchdiscError('NOT_FOUND', `${action}: file not found`, { cause: err });
  return new PatchdiscError('INTERNAL', `${action}: ${(err as Error | undefined)?.message ?? String(err)}`, { cause: err });
}
