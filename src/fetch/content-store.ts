import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PatchdiscError } from '../errors.ts';
import { normalizeSha1 } from './normalize-digest.ts';

/** What the store knows about one good file (kept in `<40hex>.json` beside it). */
export interface StoredFileInfo {
  sha1: string;
  sha256: string;
  size: number;
  url: string;
  /** ISO 8601 UTC time the file was stored. */
  fetchedAt: string;
}

export interface ContentStoreOptions {
  /** Called after a file is stored as good (the ledger records sha1/sha256/size/url from it). */
  onStored?: (info: StoredFileInfo) => void | Promise<void>;
  /** Clock for `fetchedAt`; defaults to the system clock. */
  now?: () => Date;
}

export interface VerifyProgress {
  sha1: string;
  checked: number;
  ok: boolean;
}

const SHA1_HEX = /^[0-9a-f]{40}$/;
const FANOUT_HEX = /^[0-9a-f]{2}$/;

/** Streams a file once through SHA-1 and SHA-256. */
export async function hashFile(path: string): Promise<{ sha1: string; sha256: string; size: number }> {
  const sha1 = createHash('sha1');
  const sha256 = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    sha1.update(chunk);
    sha256.update(chunk);
    size += chunk.length;
  }
  return { sha1: sha1.digest('hex'), sha256: sha256.digest('hex'), size };
}

/** Writes and fsyncs `path` (a temp file, renamed by the caller so readers never see half of it). */
async function writeFileSynced(path: string, text: string): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fsync a directory so a rename inside it survives a power cut. */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Content-addressed store of downloaded files: `<storeDir>/sha1/<2 hex>/<40 hex>` with a JSON sidecar
 * holding the SHA-256, so re-verification and manifests need not rehash. A file only ever appears
 * under `sha1/` by an atomic rename after its digests were checked; downloads in progress live in
 * `partial/`, files that failed a check in `quarantine/`.
 */
export class ContentStore {
  readonly storeDir: string;
  readonly partialDir: string;
  readonly quarantineDir: string;
  readonly #goodDir: string;
  readonly #options: ContentStoreOptions;

  constructor(storeDir: string, options: ContentStoreOptions = {}) {
    this.storeDir = storeDir;
    this.partialDir = join(storeDir, 'partial');
    this.quarantineDir = join(storeDir, 'quarantine');
    this.#goodDir = join(storeDir, 'sha1');
    this.#options = options;
  }

  /** Where the good file with this SHA-1 (hex or base64) lives or would live. */
  pathFor(sha1: string): string {
    const hex = normalizeSha1(sha1);
    return join(this.#goodDir, hex.slice(0, 2), hex);
  }

  /** The partial download of this SHA-1 and its sidecar (validator, url). */
  partialPathFor(sha1: string): { data: string; meta: string } {
    const hex = normalizeSha1(sha1);
    return { data: join(this.partialDir, `${hex}.part`), meta: join(this.partialDir, `${hex}.part.json`) };
  }

  /** True when a good file with this SHA-1 is stored. */
  async has(sha1: string): Promise<boolean> {
    try {
      return (await stat(this.pathFor(sha1))).isFile();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  /** The sidecar of a stored file, or undefined when the file is not stored. */
  async info(sha1: string): Promise<StoredFileInfo | undefined> {
    if (!(await this.has(sha1))) return undefined;
    const path = `${this.pathFor(sha1)}.json`;
    try {
      return JSON.parse(await readFile(path, 'utf8')) as StoredFileInfo;
    } catch (err) {
      throw new PatchdiscError('INTERNAL', `Cannot read store record ${path}: ${(err as Error).message}; run verify to quarantine the file so it is downloaded again`, {
        cause: err,
        details: { sha1 },
      });
    }
  }

  /** SHA-1 names of every file under `sha1/`, in directory order. */
  async *#names(): AsyncIterable<string> {
    let fanouts: string[];
    try {
      fanouts = (await readdir(this.#goodDir)).filter((n) => FANOUT_HEX.test(n)).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const fanout of fanouts) {
      yield* (await readdir(join(this.#goodDir, fanout))).filter((n) => SHA1_HEX.test(n)).sort();
    }
  }

  /** Every stored file's record, in directory order. */
  async *list(): AsyncIterable<StoredFileInfo> {
    for await (const name of this.#names()) {
      const info = await this.info(name);
      if (info !== undefined) yield info;
    }
  }

  /** Make the store's directories (idempotent). */
  async ensureDirs(): Promise<void> {
    await mkdir(this.partialDir, { recursive: true });
    await mkdir(this.quarantineDir, { recursive: true });
    await mkdir(this.#goodDir, { recursive: true });
  }

  /**
   * Move a checked file into place: the sidecar is written and fsynced first, then the data renamed,
   * so a good file never lacks its record. The data must be durable before the rename: either the
   * caller fsynced it, or `syncData` does, while the sidecar is being written.
   */
  async commit(tmpPath: string, meta: Omit<StoredFileInfo, 'fetchedAt'>, syncData?: () => Promise<void>): Promise<StoredFileInfo> {
    const info: StoredFileInfo = { ...meta, sha1: normalizeSha1(meta.sha1), fetchedAt: (this.#options.now ?? (() => new Date()))().toISOString() };
    const target = this.pathFor(info.sha1);
    const dir = join(this.#goodDir, info.sha1.slice(0, 2));
    await mkdir(dir, { recursive: true });
    const record = `${target}.json`;
    const recordTmp = `${record}.tmp-${process.pid}`;
    // Both fsyncs at once: ext4 folds them into one journal commit instead of two in a row.
    const synced = await Promise.allSettled([writeFileSynced(recordTmp, `${JSON.stringify(info, null, 2)}\n`), syncData?.()]);
    const failed = synced.find((r) => r.status === 'rejected');
    if (failed !== undefined) {
      await rm(recordTmp, { force: true });
      throw failed.reason;
    }
    await rename(recordTmp, record);
    await rename(tmpPath, target);
    await syncDir(dir);
    await this.#options.onStored?.(info);
    return info;
  }

  /** Move a file that failed a check to `quarantine/` under a unique name; returns the new path. */
  async quarantine(path: string, sha1: string): Promise<string> {
    await mkdir(this.quarantineDir, { recursive: true });
    const target = join(this.quarantineDir, `${normalizeSha1(sha1)}-${Date.now()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
    await rename(path, target);
    return target;
  }

  /**
   * Re-hash every stored file against its name (SHA-1) and its record (SHA-256, size); corrupt files
   * and files without a readable record are moved to `quarantine/` and their records removed.
   */
  async verify(options: { onProgress?: (p: VerifyProgress) => void } = {}): Promise<{ checked: number; corrupt: { sha1: string; actual: string }[] }> {
    const corrupt: { sha1: string; actual: string }[] = [];
    let checked = 0;
    for await (const sha1 of this.#names()) {
      const path = this.pathFor(sha1);
      // A file without a readable record cannot be trusted for manifests: quarantined like a corrupt one.
      const info = await this.info(sha1).catch(() => undefined);
      const actual = await hashFile(path);
      checked += 1;
      const ok = info !== undefined && actual.sha1 === sha1 && actual.sha256 === info.sha256 && actual.size === info.size;
      if (!ok) {
        await this.quarantine(path, sha1);
        await rm(`${path}.json`, { force: true });
        corrupt.push({ sha1, actual: actual.sha1 });
      }
      options.onProgress?.({ sha1, checked, ok });
    }
    return { checked, corrupt };
  }

  /** Delete a stored file and its record (no error when absent). */
  async remove(sha1: string): Promise<void> {
    const path = this.pathFor(sha1);
    await rm(path, { force: true });
    await rm(`${path}.json`, { force: true });
  }
}
