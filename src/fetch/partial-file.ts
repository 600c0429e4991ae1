import { constants as fsConstants } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { PatchdiscError } from '../errors.ts';
import type { ContentStore } from './content-store.ts';
import { HASH_BLOCK_SIZE, sharedHashPool } from './hash-pool.ts';
import type { Digests, HashPool, HashSession } from './hash-pool.ts';
import { readPartialMeta, writePartialMeta } from './partial-meta.ts';
import type { PartialMeta } from './partial-meta.ts';

/** Bytes handed to the hash worker and not yet hashed before the download waits for it. */
const MAX_HASH_BACKLOG = 16 * HASH_BLOCK_SIZE;
/**
 * Bytes held before the resume record is written beside them. Smaller downloads (most catalog files)
 * never write one unless an attempt fails: each file created costs an inode allocation, which is
 * slow on a file system with many recently deleted inodes, and a crash loses less than this to a
 * refetch.
 */
export const META_AFTER_BYTES = 4 * HASH_BLOCK_SIZE;
/** Block writes queued before `append` asks its caller to wait. */
const MAX_BLOCKS_IN_FLIGHT = 2;
// EFBIG: the file system (or a ulimit -f) caps the file size — no retry can help, like a full disk.
const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

function isDiskFull(err: unknown): boolean {
  return DISK_FULL_CODES.has((err as NodeJS.ErrnoException).code ?? '');
}

/** Opens a file in `partial/`, making the store's directories again when they went missing. */
async function openMaking(store: ContentStore, path: string, flags: string | number): Promise<FileHandle> {
  try {
    return await open(path, flags);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await store.ensureDirs(true);
    return open(path, flags);
  }
}

/**
 * One download in `partial/`: the open file, the bytes it holds, and SHA-1/SHA-256 state covering
 * exactly those bytes. Appended bytes are gathered into blocks of HASH_BLOCK_SIZE; a full block goes
 * to a hash worker, which writes it and then hashes it (so the hash never covers unwritten bytes). Hash state
 * cannot be serialised, so resuming after a restart re-reads the partial bytes through a fresh one.
 */
export class PartialFile {
  readonly dataPath: string;
  readonly metaPath: string;
  readonly #url: string;
  readonly #pool: HashPool;
  #fh: FileHandle | undefined;
  #hash: HashSession;
  /** Bytes written to the file and given to the hash. */
  #written = 0;
  /** Bytes written or queued for writing; the current block goes at this offset. */
  #queued = 0;
  /** The block being filled and how much of it is used (not yet queued). */
  #block: Buffer | undefined;
  #blockUsed = 0;
  /** The chain of queued block writes, and how many of them are not done. */
  #writes: Promise<void> = Promise.resolve();
  #inFlight = 0;
  #writeFailed = false;
  #meta: PartialMeta;
  /** Whether `metaPath` may exist, and whether it holds `#meta`. */
  #metaOnDisk = false;
  #metaCurrent = false;

  private constructor(paths: { data: string; meta: string }, url: string, pool: HashPool) {
    this.dataPath = paths.data;
    this.metaPath = paths.meta;
    this.#url = url;
    this.#meta = { url };
    this.#pool = pool;
    this.#hash = pool.open();
  }

  /**
   * Opens the partial for `sha1`, keeping earlier bytes only when they came from the same URL and a
   * validator exists to resume them safely; otherwise starts empty.
   */
  static async open(store: ContentStore, sha1: string, url: string, pool: HashPool = sharedHashPool()): Promise<PartialFile> {
    await store.ensureDirs();
    const partial = new PartialFile(store.partialPathFor(sha1), url, pool);
    const meta = await readPartialMeta(partial.metaPath);
    const resumable = meta !== undefined && meta !== 'none' && meta.url === url && (meta.etag !== undefined || meta.lastModified !== undefined);
    if (resumable) {
      partial.#meta = meta;
      partial.#metaOnDisk = true;
      partial.#metaCurrent = true;
      // Read-write without truncation, created when the data file went missing.
      partial.#fh = await openMaking(store, partial.dataPath, fsConstants.O_RDWR | fsConstants.O_CREAT);
      await partial.#rehash();
    } else {
      if (meta !== 'none') await rm(partial.metaPath, { force: true });
      partial.#fh = await openMaking(store, partial.dataPath, 'w');
    }
    return partial;
  }

  /** Bytes held: written, or gathered in the block that `flush` writes. */
  get received(): number {
    return this.#queued + this.#blockUsed;
  }

  /** The value for If-Range: a strong ETag, else Last-Modified, else undefined (cannot resume). */
  get ifRange(): string | undefined {
    const etag = this.#meta.etag;
    if (etag !== undefined && !etag.startsWith('W/')) return etag;
    return this.#meta.lastModified;
  }

  get etag(): string | undefined {
    return this.#meta.etag;
  }

  /** Streams the bytes already on disk through the fresh hash (the resume path). */
  async #rehash(): Promise<void> {
    const fh = this.#handle();
    const size = (await fh.stat()).size;
    let position = 0;
    while (position < size) {
      const block = this.#pool.takeBlock();
      const { bytesRead } = await fh.read(block, 0, Math.min(HASH_BLOCK_SIZE, size - position), position);
      if (bytesRead === 0) break;
      this.#hash.update(block, bytesRead);
      position += bytesRead;
      await this.#hash.waitBelow(MAX_HASH_BACKLOG);
    }
    this.#written = position;
    this.#queued = position;
  }

  #handle(): FileHandle {
    if (this.#fh === undefined) throw new PatchdiscError('INTERNAL', `Cannot use partial file ${this.dataPath}: it is closed`);
    return this.#fh;
  }

  /**
   * Records the validator of the response the bytes now come from. It reaches the disk at once only
   * when an older record is there (which no longer describes the bytes); otherwise once META_AFTER_BYTES
   * are held or an attempt fails (`rollback`).
   */
  async setValidator(etag: string | undefined, lastModified: string | undefined): Promise<void> {
    const meta: PartialMeta = { url: this.#url };
    if (etag !== undefined) meta.etag = etag;
    if (lastModified !== undefined) meta.lastModified = lastModified;
    this.#meta = meta;
    this.#metaCurrent = false;
    if (this.#metaOnDisk) await this.#saveMeta();
  }

  /** Writes the resume record (see writePartialMeta) unless the one on disk is current. */
  async #saveMeta(): Promise<void> {
    if (this.#metaCurrent) return;
    const meta = this.#meta;
    this.#metaOnDisk = true;
    await this.#guardDiskFull(() => writePartialMeta(this.metaPath, meta));
    // Only when no newer validator arrived meanwhile.
    if (meta === this.#meta) this.#metaCurrent = true;
  }

  /** Drops every byte and the hash state (a 200 answered a range request, or the content changed). */
  async restart(): Promise<void> {
    await this.#settle();
    await this.#handle().truncate(0);
    this.#hash.drop();
    this.#hash = this.#pool.open();
    this.#written = 0;
    this.#queued = 0;
  }

  /**
   * Takes one chunk, copied into the current block; a full block is written and then hashed on a
   * worker in the background, one block after another. Returns a promise only when two blocks are already on
   * their way: wait for it before giving more, so memory stays bounded.
   */
  append(chunk: Uint8Array): Promise<void> | undefined {
    let from = 0;
    while (from < chunk.length) {
      const block = (this.#block ??= this.#pool.takeBlock());
      const n = Math.min(chunk.length - from, HASH_BLOCK_SIZE - this.#blockUsed);
      block.set(from === 0 && n === chunk.length ? chunk : chunk.subarray(from, from + n), this.#blockUsed);
      this.#blockUsed += n;
      from += n;
      if (this.#blockUsed === HASH_BLOCK_SIZE) this.#enqueue().catch(() => undefined);
    }
    return this.#writeFailed || this.#inFlight > MAX_BLOCKS_IN_FLIGHT ? this.#writes : undefined;
  }

  /** Writes every gathered byte and hands it to the hash; a failed write fails this (and drops the bytes after it). */
  async flush(): Promise<void> {
    await this.#enqueue();
  }

  /** Queues the current block for writing; the returned promise settles when every queued write has. */
  #enqueue(): Promise<void> {
    const block = this.#block;
    const length = this.#blockUsed;
    if (block !== undefined && length > 0) {
      this.#block = undefined;
      this.#blockUsed = 0;
      const position = this.#queued;
      this.#queued += length;
      this.#inFlight += 1;
      // Chained: a write starts only after the one before it succeeded, so the file never has a gap.
      const write = this.#writes.then(() => this.#writeAt(block, length, position));
      this.#writes = write;
      write.then(
        () => {
          this.#inFlight -= 1;
        },
        () => {
          this.#inFlight -= 1;
          this.#writeFailed = true;
        },
      );
    }
    return this.#writes;
  }

  async #writeAt(block: Buffer, length: number, position: number): Promise<void> {
    const fh = this.#handle();
    // The hash worker writes the block, then hashes it: the hash never covers bytes that are not in
    // the file, and the writes take neither the main thread nor the libuv pool.
    await this.#guardDiskFull(() => this.#hash.write(block, length, fh.fd, position));
    this.#written = position + length;
    if (this.#written >= META_AFTER_BYTES && !this.#metaCurrent) await this.#saveMeta();
  }

  /** Waits for queued writes, forgetting a failure, and drops what was queued past the written bytes. */
  async #settle(): Promise<void> {
    await this.#writes.catch(() => undefined);
    this.#writes = Promise.resolve();
    this.#writeFailed = false;
    this.#block = undefined;
    this.#blockUsed = 0;
    this.#queued = this.#written;
  }

  /**
   * After a failed attempt: writes what was gathered when it can, then cuts the file back to the
   * hashed length (a failed write may have left some bytes past it). Best effort.
   */
  async rollback(): Promise<void> {
    if (this.#fh === undefined) return;
    await this.flush().catch(() => undefined);
    await this.#settle();
    await this.#fh?.truncate(this.#written).catch(() => undefined);
    // The partial is kept for a later run (the caller removes it when nothing is worth resuming).
    await this.#saveMeta().catch(() => undefined);
  }

  /** Final digests, after writing what was gathered; the hash state is consumed. */
  async digests(): Promise<Digests> {
    await this.flush();
    return this.#hash.digest();
  }

  /** fsync and close, before the rename into the store. */
  async syncAndClose(): Promise<void> {
    await this.flush();
    const fh = this.#handle();
    await this.#guardDiskFull(() => fh.sync());
    await this.close();
  }

  /** Closes the file; bytes gathered but not flushed are dropped, and so is the hash state. */
  async close(): Promise<void> {
    const fh = this.#fh;
    try {
      // Queued writes finish (or fail) before the handle goes away under them.
      await this.#settle();
    } finally {
      // Even when a queued write failed (ENOSPC, EFBIG): a hash session left open keeps its worker
      // thread referenced and the process from exiting.
      this.#fh = undefined;
      this.#hash.drop();
      await fh?.close();
    }
  }

  /** Removes the resume record once the data has been stored or quarantined. */
  async forget(): Promise<void> {
    if (!this.#metaOnDisk) return;
    await rm(this.metaPath, { force: true });
    this.#metaOnDisk = false;
    this.#metaCurrent = false;
  }

  async #guardDiskFull<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (err) {
      if (!isDiskFull(err)) throw err;
      throw new PatchdiscError(
        'DISK_FULL',
        `Cannot write ${this.dataPath}: the disk is full after ${this.#written} bytes; free space and rerun (the partial download is kept and resumes)`,
        { cause: err, details: { path: this.dataPath, url: this.#url, received: this.#written } },
      );
    }
  }
}
