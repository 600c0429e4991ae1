/**
 * Files the content store holds, keyed by the SHA-1 the catalog gives, with the SHA-256 computed
 * while downloading.
 */
import type { Ledger } from './open-ledger.ts';

export interface FileRecord {
  sha1: string;
  sha256: string;
  size: number;
  url: string;
  fetchedAt: string;
}

/** Records (or refreshes) a stored file. */
export async function recordFile(ledger: Ledger, f: { sha1: string; sha256: string; size: number; url: string; fetchedAt: Date | string }): Promise<void> {
  const fetchedAt = typeof f.fetchedAt === 'string' ? f.fetchedAt : f.fetchedAt.toISOString();
  const values = { sha1: f.sha1, sha256: f.sha256, size: f.size, url: f.url, fetched_at: fetchedAt };
  await ledger.db
    .insertInto('files')
    .values(values)
    .onConflict((oc) => oc.column('sha1').doUpdateSet({ sha256: f.sha256, size: f.size, url: f.url, fetched_at: fetchedAt }))
    .execute();
}

/** The record of file `sha1`, or undefined. */
export async function getFile(ledger: Ledger, sha1: string): Promise<FileRecord | undefined> {
  const r = await ledger.db.selectFrom('files').selectAll().where('sha1', '=', sha1).executeTakeFirst();
  return r && { sha1: r.sha1, sha256: r.sha256, size: r.size, url: r.url, fetchedAt: r.fetched_at };
}
