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
 * SHA-256 is sequential, so buffers are hashed strictly in image order, on a worker thread
 * (ImageHasher) reading the same shared memory; a buffer is filled again only once both its write
 * and its hash are done.
 */
import type { FileHandle } from 'node:fs/promises';
import { ImageHasher } from './image-hasher.ts';
import { ImageWriter } from './image-writer.ts';
import type { IsoHashCheckpoint } from './write-iso.ts';

/** Bytes per buffer of the ring: read into, hashed and written as one. */
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
  /** A view of the whole shared buffer the hash worker reads as `slot` number `index`. */
  buf: Buffer;
  index: number;
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
  /** Settles when every sealed buffer is handed to the hasher; chained to keep image order. */
  private posted: Promise<void> = Promise.resolve();
  /** Settles when every sealed buffer is hashed and written; progress is reported along it. */
  private committed: Promise<void> = Promise.resolve();
  /** Settles when every sealed buffer is handed to the writer; chained to keep image order. */
  private writePosted: Promise<void> = Promise.resolve();
  private syncing: Promise<void> | undefined;
  private syncedUpTo = 0;
  private failure: unknown;
  private readonly hasher: ImageHasher;
  private readonly writer: ImageWriter;
  checkpoint: IsoHashCheckpoint | undefined;

  constructor(
    private readonly fh: FileHandle,
    private readonly total: number,
    private readonly options: ImageSinkOptions = {},
  ) {
    const shared: SharedArrayBuffer[] = [];
    for (let index = 0; index < SINK_BUFFERS; index++) {
      const memory = new SharedArrayBuffer(WRITE_BUFFER_SIZE);
      shared.push(memory);
      this.slots.push({ buf: Buffer.from(memory), index, fills: [], done: Promise.resolve() });
    }
    this.hasher = new ImageHasher(shared);
    this.writer = new ImageWriter(fh.fd, shared);
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
    await this.writer.terminate();
    try {
      this.throwIfFailed();
      const sha256 = await this.hasher.digest();
      this.checkpoint = this.hasher.checkpoint();
      return sha256;
    } catch (err) {
      await this.hasher.terminate();
      throw err;
    }
  }

  /**
   * Waits until no read, write or sync is in flight and stops the hash worker (after a failure,
   * before closing the file).
   */
  async settle(): Promise<void> {
    await Promise.allSettled(this.slots.flatMap((s) => [...s.fills, s.done]));
    await Promise.allSettled([this.committed, this.syncing]);
    await Promise.all([this.hasher.terminate(), this.writer.terminate()]);
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
    // Handed over in image order as soon as the reads landed: the file grows sequentially.
    let writeReply: Promise<void> = Promise.resolve();
    const writePosted = Promise.all([this.writePosted, ready]).then(() => {
      if (this.failure === undefined) writeReply = this.writer.write(slot.index, length, position);
    });
    this.writePosted = writePosted;
    const written = writePosted.then(() => writeReply);
    // Posted in image order as soon as the reads landed; the reply comes once the worker hashed it.
    let hashReply: Promise<void> = Promise.resolve();
    const posted = Promise.all([this.posted, ready]).then(() => {
      if (this.failure === undefined) hashReply = this.hasher.update(slot.index, length, this.checkpointIn(position, length));
    });
    this.posted = posted;
    const hashed = posted.then(() => hashReply);
    const both = Promise.all([written, hashed]);
    this.committed = Promise.all([this.committed, both]).then(() => this.progress(position + length));
    slot.done = both.then(() => undefined, (err: unknown) => this.fail(err));
    this.committed.catch((err: unknown) => this.fail(err));
    this.sealed += length;
    this.current = (this.current + 1) % this.slots.length;
    this.fill = 0;
  }

  /** Where in the buffer at `position` (of `length` bytes) the checkpoint falls, if it does. */
  private checkpointIn(position: number, length: number): { cut: number; offset: number } | undefined {
    const at = this.options.checkpointAt;
    if (at === undefined || at < position || at >= position + length) return undefined;
    return { cut: at - position, offset: at };
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
