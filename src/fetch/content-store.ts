import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { normalizeSha1 } from './normalize-digest.ts';
import { StoreRecords } from './store-records.ts';
import { SyncBatch } from './sync-batch.ts';

/** What the store knows about one good file (a line of `records.jsonl`, see StoreRecords). */
export interface StoredFileInfo {
  sha1: string;
  sha256: string;
  size: number;
  /** Where it was fetched from; '' when the record was rebuilt from the stored bytes. */
  url: string;
  /** ISO 8601 UTC time the file was stored (its modification time when the record was rebuilt). */
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

/** The record log, beside `sha1/`. */
const RECORDS_FILE = 'records.jsonl';
/** The JSON file older versions kept beside each stored file; still read, and removed with it. */
const LEGACY_RECORD_SUFFIX = '.json';

/**
 * Content-addressed store of downloaded files: `<storeDir>/sha1/<2 hex>/<40 hex>`, with each file's
 * SHA-256, size and source in `records.jsonl` so re-verification and manifests need not rehash. A
 * file only ever appears under `sha1/` by an atomic rename after its digests were checked and its
 * bytes fsynced; it is durable (its directory fsynced) before `commit` returns. Downloads in progress
 * live in `partial/`, files that failed a check in `quarantine/`.
 */
export class ContentStore {
  readonly storeDir: string;
  readonly partialDir: string;
  readonly quarantineDir: string;
  readonly #goodDir: string;
  readonly #options: ContentStoreOptions;
  readonly #records: StoreRecords;
  readonly #durable = new SyncBatch();
  #dirsMade: Promise<void> | undefined;

  constructor(storeDir: string, options: ContentStoreOptions = {}) {
    this.storeDir = storeDir;
    this.partialDir = join(storeDir, 'partial');
    this.quarantineDir = join(storeDir, 'quarantine');
    this.#goodDir = join(storeDir, 'sha1');
    this.#options = options;
    this.#records = new StoreRecords(join(storeDir, RECORDS_FILE));
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

  async #statGood(hex: string): Promise<Stats | undefined> {
    try {
      const st = await stat(this.pathFor(hex));
      return st.isFile() ? st : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** True when a good file with this SHA-1 is stored. */
  async has(sha1: string): Promise<boolean> {
    return (await this.#statGood(normalizeSha1(sha1))) !== undefined;
  }

  /**
   * The record of a stored file, or undefined when the file is not stored. A stored file whose record
   * is missing (lost in a crash) or disagrees with its size is hashed again: a record is rebuilt when
   * its bytes still match its name; otherwise it is quarantined and undefined returned, so it is
   * downloaded again.
   */
  async info(sha1: string): Promise<StoredFileInfo | undefined> {
    const hex = normalizeSha1(sha1);
    const st = await this.#statGood(hex);
    if (st === undefined) return undefined;
    const known = await this.#recordOf(hex);
    if (known !== undefined && known.size === st.size) return known;
    const actual = await hashFile(this.pathFor(hex));
    if (actual.sha1 !== hex) {
      await this.#discard(hex);
      return undefined;
    }
    return this.#rebuild(hex, actual, st);
  }

  /** The record from the log, else from the JSON file an older version wrote beside the file. */
  async #recordOf(hex: string): Promise<StoredFileInfo | undefined> {
    const logged = await this.#records.get(hex);
    if (logged !== undefined) return logged;
    try {
      const legacy = JSON.parse(await readFile(`${this.pathFor(hex)}${LEGACY_RECORD_SUFFIX}`, 'utf8')) as StoredFileInfo;
      return legacy.sha1 === hex && typeof legacy.sha256 === 'string' && Number.isSafeInteger(legacy.size) ? legacy : undefined;
    } catch {
      return undefined;
    }
  }

  /** A record for bytes just hashed and found to match their name. */
  async #rebuild(hex: string, actual: { sha256: string; size: number }, st: Stats): Promise<StoredFileInfo> {
    const info: StoredFileInfo = { sha1: hex, sha256: actual.sha256, size: actual.size, url: '', fetchedAt: st.mtime.toISOString() };
    await this.#records.append(info);
    return info;
  }

  /** Moves a stored file that failed a check to quarantine and forgets its record. */
  async #discard(hex: string): Promise<void> {
    const path = this.pathFor(hex);
    await this.quarantine(path, hex);
    await this.#records.remove(hex);
    await rm(`${path}${LEGACY_RECORD_SUFFIX}`, { force: true });
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

  /**
   * Make the store's directories (idempotent). Done once per instance; `again` makes them anew after
   * an operation found one missing (removed behind the store's back).
   */
  ensureDirs(again = false): Promise<void> {
    if (again || this.#dirsMade === undefined) {
      const made = (async () => {
        await mkdir(this.partialDir, { recursive: true });
        await mkdir(this.quarantineDir, { recursive: true });
        await mkdir(this.#goodDir, { recursive: true });
      })();
      this.#dirsMade = made;
      made.catch(() => {
        if (this.#dirsMade === made) this.#dirsMade = undefined;
      });
    }
    return this.#dirsMade;
  }

  /**
   * Move a checked file into place. Its record is appended first (while `syncData` fsyncs the data,
   * when the caller has not), so the file never shows up without one; a record of a file that is not
   * there describes nothing. After the rename, the directory and the record log are fsynced together
   * with those of other commits in flight (SyncBatch) before `onStored` and the return.
   */
  async commit(tmpPath: string, meta: Omit<StoredFileInfo, 'fetchedAt'>, syncData?: () => Promise<void>): Promise<StoredFileInfo> {
    const info: StoredFileInfo = { ...meta, sha1: normalizeSha1(meta.sha1), fetchedAt: (this.#options.now ?? (() => new Date()))().toISOString() };
    const target = this.pathFor(info.sha1);
    const synced = await Promise.allSettled([this.#records.append(info), syncData?.()]);
    const failed = synced.find((r) => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const dirs = await this.#renameInto(tmpPath, target);
    await this.#durable.sync(dirs);
    await this.#options.onStored?.(info);
    return info;
  }

  /**
   * rename() into the fan-out directory, making it on the first ENOENT. Returns the directories
   * whose entries changed: the fan-out, and the parents of any directory made.
   */
  async #renameInto(tmpPath: string, target: string): Promise<string[]> {
    const dir = dirname(target);
    try {
      await rename(tmpPath, target);
      return [dir];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const first = await mkdir(dir, { recursive: true });
    await rename(tmpPath, target);
    const dirs = [dir];
    if (first !== undefined) {
      for (let d = dir; d !== dirname(d); d = dirname(d)) {
        dirs.push(dirname(d));
        if (d === first) break;
      }
    }
    return dirs;
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
   * are moved to `quarantine/` and their records forgotten. A good file without a record (lost in a
   * crash) gets one rebuilt from the bytes just hashed.
   */
  async verify(options: { onProgress?: (p: VerifyProgress) => void } = {}): Promise<{ checked: number; corrupt: { sha1: string; actual: string }[] }> {
    const corrupt: { sha1: string; actual: string }[] = [];
    let checked = 0;
    for await (const sha1 of this.#names()) {
      const path = this.pathFor(sha1);
      const record = await this.#recordOf(sha1);
      const st = await stat(path);
      const actual = await hashFile(path);
      checked += 1;
      const ok = actual.sha1 === sha1 && (record === undefined || (actual.sha256 === record.sha256 && actual.size === record.size));
      if (!ok) {
        await this.#discard(sha1);
        corrupt.push({ sha1, actual: actual.sha1 });
      } else if (record === undefined) {
        await this.#rebuild(sha1, actual, st);
      }
      options.onProgress?.({ sha1, checked, ok });
    }
    return { checked, corrupt };
  }

  /** Delete a stored file and its record (no error when absent). */
  async remove(sha1: string): Promise<void> {
    const hex = normalizeSha1(sha1);
    const path = this.pathFor(hex);
    await rm(path, { force: true });
    await rm(`${path}${LEGACY_RECORD_SUFFIX}`, { force: true });
    await this.#records.remove(hex);
  }
}
