import { createHash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import type { Hash } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { PatchdiscError } from '../errors.ts';
import type { ContentStore } from './content-store.ts';

/** What is kept beside a partial download so a later run may resume it (Range + If-Range). */
export interface PartialMeta {
  url: string;
  etag?: string;
  lastModified?: string;
}

/** Bytes read per step when rebuilding the hash state of a partial file. */
const REHASH_CHUNK = 1 << 20;
const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT']);

function isDiskFull(err: unknown): boolean {
  return DISK_FULL_CODES.has((err as NodeJS.ErrnoException).code ?? '');
}

/**
 * One download in `partial/`: the open file, the bytes it holds, and SHA-1/SHA-256 state covering
 * exactly those bytes. Node hash objects cannot be serialised, so resuming after a restart re-reads
 * the partial bytes through fresh hashes.
 */
export class PartialFile {
  readonly dataPath: string;
  readonly metaPath: string;
  readonly #url: string;
  #fh: FileHandle | undefined;
  #sha1: Hash = createHash('sha1');
  #sha256: Hash = createHash('sha256');
  #received = 0;
  #meta: PartialMeta;

  private constructor(paths: { data: string; meta: string }, url: string) {
    this.dataPath = paths.data;
    this.metaPath = paths.meta;
    this.#url = url;
    this.#meta = { url };
  }

  /**
   * Opens the partial for `sha1`, keeping earlier bytes only when they came from the same URL and a
   * validator exists to resume them safely; otherwise starts empty.
   */
  static async open(store: ContentStore, sha1: string, url: string): Promise<PartialFile> {
    await store.ensureDirs();
    const partial = new PartialFile(store.partialPathFor(sha1), url);
    const meta = await partial.#readMeta();
    const resumable = meta !== undefined && meta.url === url && (meta.etag !== undefined || meta.lastModified !== undefined);
    if (resumable) {
      partial.#meta = meta;
      // Read-write without truncation, created when the data file went missing.
      partial.#fh = await open(partial.dataPath, fsConstants.O_RDWR | fsConstants.O_CREAT);
      await partial.#rehash();
    } else {
      await rm(partial.metaPath, { force: true });
      partial.#fh = await open(partial.dataPath, 'w');
    }
    return partial;
  }

  /** Bytes held (and hashed). */
  get received(): number {
    return this.#received;
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

  async #readMeta(): Promise<PartialMeta | undefined> {
    try {
      const parsed = JSON.parse(await readFile(this.metaPath, 'utf8')) as Partial<PartialMeta>;
      if (typeof parsed.url !== 'string') return undefined;
      const meta: PartialMeta = { url: parsed.url };
      if (typeof parsed.etag === 'string') meta.etag = parsed.etag;
      if (typeof parsed.lastModified === 'string') meta.lastModified = parsed.lastModified;
      return meta;
    } catch {
      return undefined;
    }
  }

  /** Streams the bytes already on disk through fresh hashes (the resume path). */
  async #rehash(): Promise<void> {
    const fh = this.#handle();
    const size = (await fh.stat()).size;
    const buffer = Buffer.allocUnsafe(REHASH_CHUNK);
    let position = 0;
    while (position < size) {
      const { bytesRead } = await fh.read(buffer, 0, Math.min(REHASH_CHUNK, size - position), position);
      if (bytesRead === 0) break;
      const view = buffer.subarray(0, bytesRead);
      this.#sha1.update(view);
      this.#sha256.update(view);
      position += bytesRead;
    }
    this.#received = position;
  }

  #handle(): FileHandle {
    if (this.#fh === undefined) throw new PatchdiscError('INTERNAL', `Cannot use partial file ${this.dataPath}: it is closed`);
    return this.#fh;
  }

  /** Records the validator of the response the bytes now come from. */
  async setValidator(etag: string | undefined, lastModified: string | undefined): Promise<void> {
    const meta: PartialMeta = { url: this.#url };
    if (etag !== undefined) meta.etag = etag;
    if (lastModified !== undefined) meta.lastModified = lastModified;
    this.#meta = meta;
    const tmp = `${this.metaPath}.tmp`;
    await this.#guardDiskFull(async () => {
      await rm(tmp, { force: true });
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(`${JSON.stringify(meta)}\n`);
      } finally {
        await fh.close();
      }
      await rename(tmp, this.metaPath);
    });
  }

  /** Drops every byte and the hash state (a 200 answered a range request, or the content changed). */
  async restart(): Promise<void> {
    await this.#handle().truncate(0);
    this.#sha1 = createHash('sha1');
    this.#sha256 = createHash('sha256');
    this.#received = 0;
  }

  /** Appends one chunk: written first, hashed after, so hash state never covers unwritten bytes. */
  async append(chunk: Uint8Array): Promise<void> {
    const fh = this.#handle();
    let written = 0;
    await this.#guardDiskFull(async () => {
      while (written < chunk.length) {
        const { bytesWritten } = await fh.write(chunk, written, chunk.length - written, this.#received + written);
        written += bytesWritten;
      }
    });
    this.#sha1.update(chunk);
    this.#sha256.update(chunk);
    this.#received += chunk.length;
  }

  /** Cuts the file back to the hashed length after a failed write or read (best effort). */
  async rollback(): Promise<void> {
    await this.#fh?.truncate(this.#received).catch(() => undefined);
  }

  /** Final digests; the hash state is consumed. */
  digests(): { sha1: string; sha256: string } {
    return { sha1: this.#sha1.digest('hex'), sha256: this.#sha256.digest('hex') };
  }

  /** fsync and close, before the rename into the store. */
  async syncAndClose(): Promise<void> {
    const fh = this.#handle();
    await this.#guardDiskFull(() => fh.sync());
    await this.close();
  }

  async close(): Promise<void> {
    const fh = this.#fh;
    this.#fh = undefined;
    await fh?.close();
  }

  /** Removes the resume record once the data has been stored or quarantined. */
  async forget(): Promise<void> {
    await rm(this.metaPath, { force: true });
  }

  async #guardDiskFull<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (err) {
      if (!isDiskFull(err)) throw err;
      throw new PatchdiscError(
        'DISK_FULL',
        `Cannot write ${this.dataPath}: the disk is full after ${this.#received} bytes; free space and rerun (the partial download is kept and resumes)`,
        { cause: err, details: { path: this.dataPath, url: this.#url, received: this.#received } },
      );
    }
  }
}
