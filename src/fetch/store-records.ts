import { appendFile, open, rename, rm, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { StoredFileInfo } from './content-store.ts';

/** Lines a log may hold before a load considers rewriting it without dead lines. */
export const COMPACT_MIN_LINES = 4096;
/** A log is rewritten when fewer than one line in this many describes a file still listed. */
const COMPACT_DEAD_FACTOR = 2;

const SHA1_HEX = /^[0-9a-f]{40}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const NEWLINE = 0x0a;

/** A parsed line: a record, a removal, or undefined for a line that is torn or foreign. */
function parseLine(line: string): StoredFileInfo | { sha1: string; removed: true } | undefined {
  let v: Partial<StoredFileInfo> & { removed?: unknown };
  try {
    v = JSON.parse(line) as typeof v;
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || typeof v.sha1 !== 'string' || !SHA1_HEX.test(v.sha1)) return undefined;
  if (v.removed === true) return { sha1: v.sha1, removed: true };
  if (typeof v.sha256 !== 'string' || !SHA256_HEX.test(v.sha256) || !Number.isSafeInteger(v.size) || (v.size as number) < 0) return undefined;
  return { sha1: v.sha1, sha256: v.sha256, size: v.size as number, url: typeof v.url === 'string' ? v.url : '', fetchedAt: typeof v.fetchedAt === 'string' ? v.fetchedAt : '' };
}

/**
 * Every line starts with a newline too, so a record never joins a line torn by a power cut (the
 * torn one fails to parse and is skipped; empty lines are skipped).
 */
function lineOf(value: StoredFileInfo | { sha1: string; removed: true }): string {
  return `\n${JSON.stringify(value)}\n`;
}

/**
 * The store's records as one append-only log (`records.jsonl`), instead of a JSON file beside each
 * stored file: appending a line costs no inode, which creating a file per download did. Several
 * processes may append at once (O_APPEND writes of one line are atomic on a local file system); the
 * last line for a SHA-1 wins and a removal line forgets it. A record only describes a file that is
 * present, so a stale one is harmless, and one lost in a crash is rebuilt from the stored bytes by
 * the content store: the log is an index of facts the bytes prove, never the proof itself.
 */
export class StoreRecords {
  readonly path: string;
  readonly #records = new Map<string, StoredFileInfo>();
  /** Bytes of the log already read, the inode they were read from, and the lines in them. */
  #offset = 0;
  #ino: number | undefined;
  #lines = 0;
  #reading: Promise<void> = Promise.resolve();

  constructor(path: string) {
    this.path = path;
  }

  /** The newest record for `sha1` (hex), reading what other processes appended since the last look. */
  async get(sha1: string): Promise<StoredFileInfo | undefined> {
    const known = this.#records.get(sha1);
    if (known !== undefined) return known;
    await this.#refresh();
    return this.#records.get(sha1);
  }

  /** Appends a record (not fsynced: the caller syncs the log with the directory it renames into). */
  async append(info: StoredFileInfo): Promise<void> {
    await appendFile(this.path, lineOf(info));
    this.#records.set(info.sha1, info);
  }

  /** Appends a removal line: the file is gone, its record is dead. */
  async remove(sha1: string): Promise<void> {
    if (!(await this.#exists())) return;
    await appendFile(this.path, lineOf({ sha1, removed: true }));
    this.#records.delete(sha1);
  }

  async #exists(): Promise<boolean> {
    return stat(this.path).then(() => true, () => false);
  }

  /** Reads lines appended since the last read, one read at a time. */
  #refresh(): Promise<void> {
    const next = this.#reading.then(() => this.#readNew());
    this.#reading = next.catch(() => undefined);
    return next;
  }

  async #readNew(): Promise<void> {
    let fh: FileHandle;
    try {
      fh = await open(this.path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    try {
      const st = await fh.stat();
      // Rewritten by a compaction (a new inode) or cut short: read it all again.
      if (st.ino !== this.#ino || st.size < this.#offset) {
        this.#records.clear();
        this.#offset = 0;
        this.#lines = 0;
        this.#ino = st.ino;
      }
      if (st.size === this.#offset) return;
      const buf = Buffer.allocUnsafe(st.size - this.#offset);
      let got = 0;
      while (got < buf.length) {
        const { bytesRead } = await fh.read(buf, got, buf.length - got, this.#offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      // Only whole lines: a line still being appended is read next time.
      const end = buf.subarray(0, got).lastIndexOf(NEWLINE) + 1;
      for (const line of buf.subarray(0, end).toString('utf8').split('\n')) {
        if (line === '') continue;
        this.#lines += 1;
        const parsed = parseLine(line);
        if (parsed === undefined) continue;
        if ('removed' in parsed) this.#records.delete(parsed.sha1);
        else this.#records.set(parsed.sha1, parsed);
      }
      const fullRead = this.#offset === 0;
      this.#offset += end;
      if (fullRead && this.#lines >= COMPACT_MIN_LINES && this.#lines > COMPACT_DEAD_FACTOR * this.#records.size) await this.#compact(st.size);
    } finally {
      await fh.close();
    }
  }

  /**
   * Rewrites the log with its live records only. Skipped when another process appended meanwhile; a
   * line appended in the instant between that check and the rename is lost, which only costs a
   * rehash of that file when its record is next wanted.
   */
  async #compact(readSize: number): Promise<void> {
    const tmp = `${this.path}.tmp-${process.pid}`;
    try {
      const out = await open(tmp, 'w');
      try {
        await out.writeFile([...this.#records.values()].map(lineOf).join(''));
        await out.sync();
      } finally {
        await out.close();
      }
      if ((await stat(this.path)).size !== readSize) return;
      await rename(tmp, this.path);
      const st = await stat(this.path);
      this.#ino = st.ino;
      this.#offset = st.size;
      this.#lines = this.#records.size;
      const dir = await open(dirname(this.path), 'r');
      await dir.sync().finally(() => dir.close());
    } catch {
      // Compaction only saves space: the log as it is stays valid.
    } finally {
      await rm(tmp, { force: true }).catch(() => undefined);
    }
  }
}
