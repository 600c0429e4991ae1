/**
 * The write side of writeIso: a ring of large buffers filled in image order (by copying, zeroing, or
 * by reads issued straight into them), each hashed in order and written at its offset once every
 * read into it has landed.
 *
 * Why this shape (measured on the reference machine, see bench `master`): the image's time is
 * disk-bound, so the disk must never wait. Several buffers let reads, the hash and writes overlap;
 * reading sources straight into the write buffers saves a copy; and a datasync every SYNC_EVERY
 * bytes starts writeback while later bytes are still being produced, so the final fsync (the image
 * is renamed into place only once durable) finds little left to do instead of the whole image.
 * SHA-256 is sequential, so buffers are hashed strictly in image order, on this thread, which keeps
 * the `Hash.copy()` checkpoint of the reserved-tail mode in-process.
 */
import { createHash, type Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { hashCheckpoint, type IsoHashCheckpoint } from './write-iso.ts';

/** Bytes per write(2); large writes keep the disk busy. */
export const WRITE_BUFFER_SIZE = 4 * 1024 * 1024;
/** Buffers in the ring: one being filled while the others are read into, hashed or written. */
export const SINK_BUFFERS = 4;
/** Written bytes between two background datasyncs (only one is ever in flight). */
export const SYNC_EVERY = 32 * 1024 * 1024;

export interface ImageSinkOptions {
  onProgress?: ((written: number, total: number) => void) | undefined;
  /** Byte offset at which to keep a copy of the hash state, if any. */
  checkpointAt?: number | undefined;
  /** False: no background datasyncs (the caller does not make the image durable). Default true. */
  durable?: boolean | undefined;
}

interface Slot {
  buf: Buffer;
  /** Reads into this buffer not yet landed. */
  fills: Promise<unknown>[];
  /** Settles when the buffer is hashed and written, so it may be filled again. */
  done: Promise<void>;
}

export class ImageSink {
  private readonly slots: Slot[] = [];
  private current = 0;
  private fill = 0;
  /** Bytes sealed into the pipeline (hashed and written or on their way). */
  private sealed = 0;
  /** Settles when every sealed buffer is hashed; hashing is chained to keep image order. */
  private hashed: Promise<void> = Promise.resolve();
  /** Settles when every sealed buffer is hashed and written; progress is reported along it. */
  private committed: Promise<void> = Promise.resolve();
  private syncing: Promise<void> | undefined;
  private syncedUpTo = 0;
  private failure: unknown;
  private readonly hash: Hash = createHash('sha256');
  checkpoint: IsoHashCheckpoint | undefined;

  constructor(
    private readonly fh: FileHandle,
    private readonly total: number,
    private readonly options: ImageSinkOptions = {},
  ) {
    for (let i = 0; i < SINK_BUFFERS; i++) this.slots.push({ buf: Buffer.alloc(WRITE_BUFFER_SIZE), fills: [], done: Promise.resolve() });
  }

  /** Bytes handed to the sink so far (sealed or in the buffer being filled). */
  get offset(): number {
    return this.sealed + this.fill;
  }

  /** Appends a copy of `bytes`. */
  async write(bytes: Uint8Array): Promise<void> {
    let at = 0;
    while (at < bytes.length) {
      const from = at;
      at += await this.reserve(bytes.length - from, (view) => view.set(bytes.subarray(from, from + view.length)));
    }
  }

  /** Appends `count` zero bytes. */
  async zeros(count: number): Promise<void> {
    let left = count;
    while (left > 0) left -= await this.reserve(left, (view) => view.fill(0));
  }

  /**
   * Reserves the next 1..`max` bytes of the image as a view that `read` fills, and returns how many
   * it reserved. The buffer is hashed and written only after the promise `read` returns has settled;
   * a rejection fails the image. Waits while every buffer is busy.
   */
  async reserveRead(max: number, read: (view: Buffer) => Promise<unknown>): Promise<number> {
    return this.reserve(max, read);
  }

  private async reserve(max: number, fill: (view: Buffer) => unknown): Promise<number> {
    this.throwIfFailed();
    const slot = this.slots[this.current] as Slot;
    if (this.fill === 0) {
      await slot.done;
      this.throwIfFailed();
    }
    const n = Math.min(max, slot.buf.length - this.fill);
    const filled = fill(slot.buf.subarray(this.fill, this.fill + n));
    if (filled instanceof Promise) {
      filled.catch((err: unknown) => this.fail(err));
      slot.fills.push(filled);
    }
    this.fill += n;
    if (this.fill === slot.buf.length) this.seal();
    return n;
  }

  /** Hashes and writes what is buffered, waits for every write, and returns the image's SHA-256. */
  async finish(): Promise<string> {
    if (this.fill > 0) this.seal();
    await this.committed.catch(() => undefined);
    await this.syncing;
    this.throwIfFailed();
    return this.hash.digest('hex');
  }

  /** Waits until no read, write or sync is in flight (after a failure, before closing the file). */
  async settle(): Promise<void> {
    await Promise.allSettled(this.slots.flatMap((s) => [...s.fills, s.done]));
    await Promise.allSettled([this.committed, this.syncing]);
  }

  /** Hands the current buffer to the pipeline: hash (in order) and write once its reads landed. */
  private seal(): void {
    const slot = this.slots[this.current] as Slot;
    const length = this.fill;
    const position = this.sealed;
    // allSettled: even after one read failed, the buffer is busy until every read into it landed.
    const ready = Promise.allSettled(slot.fills).then((results) => {
      for (const r of results) if (r.status === 'rejected') throw r.reason;
    });
    slot.fills = [];
    const data = slot.buf.subarray(0, length);
    const written = ready.then(() => this.writeAt(data, position));
    const hashed = Promise.all([this.hashed, ready]).then(() => {
      if (this.failure === undefined) this.update(data, position);
    });
    this.hashed = hashed;
    const both = Promise.all([written, hashed]);
    this.committed = Promise.all([this.committed, both]).then(() => this.progress(position + length));
    slot.done = both.then(() => undefined, (err: unknown) => this.fail(err));
    this.committed.catch((err: unknown) => this.fail(err));
    this.sealed += length;
    this.current = (this.current + 1) % this.slots.length;
    this.fill = 0;
  }

  private update(data: Buffer, position: number): void {
    const at = this.options.checkpointAt;
    const cut = at === undefined ? -1 : at - position;
    if (cut >= 0 && cut < data.length) {
      this.hash.update(data.subarray(0, cut));
      this.checkpoint = hashCheckpoint(position + cut, this.hash.copy());
      this.hash.update(data.subarray(cut));
    } else {
      this.hash.update(data);
    }
  }

  private async writeAt(data: Buffer, position: number): Promise<void> {
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.fh.write(data, done, data.length - done, position + done);
      if (bytesWritten === 0) throw new Error(`short write: ${done} of ${data.length} bytes at byte ${position}`);
      done += bytesWritten;
    }
  }

  private progress(committed: number): void {
    if (this.failure !== undefined) return;
    this.options.onProgress?.(committed, this.total);
    if (this.options.durable !== false && this.syncing === undefined && committed - this.syncedUpTo >= SYNC_EVERY) {
      // Not awaited here: writeback of what is written overlaps producing what follows.
      this.syncing = this.fh.datasync().then(
        () => {
          this.syncedUpTo = committed;
          this.syncing = undefined;
        },
        (err: unknown) => this.fail(err),
      );
    }
  }

  private fail(err: unknown): void {
    this.failure ??= err;
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
