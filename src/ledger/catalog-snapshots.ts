/**
 * Catalog snapshots: each read of Microsoft's catalog, kept with the HTTP validators that let the
 * next sync ask "has it changed?" (conditional GET) and the cabinet's SHA-256.
 */
import type { CatalogSnapshot } from '../catalog/snapshot.ts';
import type { Ledger } from './open-ledger.ts';

export interface StoredSnapshot {
  id: number;
  source: string;
  fetchedAt: string;
  etag: string | null;
  lastModified: string | null;
  cabSha256: string | null;
  snapshot: CatalogSnapshot;
}

/** Stores a snapshot and returns its id. */
export async function saveSnapshot(
  ledger: Ledger,
  s: {
    source: string;
    packageId: string;
    creationDate: string;
    etag: string | null;
    lastModified: string | null;
    cabSha256: string | null;
    snapshot: CatalogSnapshot;
    now: Date;
  },
): Promise<number> {
  const row = await ledger.db
    .insertInto('catalog_snapshots')
    .values({
      source: s.source,
      package_id: s.packageId,
      creation_date: s.creationDate,
      etag: s.etag,
      last_modified: s.lastModified,
      cab_sha256: s.cabSha256,
      fetched_at: s.now.toISOString(),
      bundle_count: s.snapshot.bundles.length,
      data_json: JSON.stringify(s.snapshot),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

const COLUMNS = ['id', 'source', 'fetched_at', 'etag', 'last_modified', 'cab_sha256', 'data_json'] as const;

function toStored(r: {
  id: number;
  source: string;
  fetched_at: string;
  etag: string | null;
  last_modified: string | null;
  cab_sha256: string | null;
  data_json: string;
}): StoredSnapshot {
  return {
    id: r.id,
    source: r.source,
    fetchedAt: r.fetched_at,
    etag: r.etag,
    lastModified: r.last_modified,
    cabSha256: r.cab_sha256,
    snapshot: JSON.parse(r.data_json) as CatalogSnapshot,
  };
}

/** The most recently stored snapshot (optionally of one source), or undefined when there is none. */
export async function latestSnapshot(ledger: Ledger, source?: string): Promise<StoredSnapshot | undefined> {
  let q = ledger.db.selectFrom('catalog_snapshots').select(COLUMNS).orderBy('id', 'desc').limit(1);
  if (source !== undefined) q = q.where('source', '=', source);
  const row = await q.executeTakeFirst();
  return row && toStored(row);
}

/** Snapshot `id`, or undefined when absent. */
export async function getSnapshot(ledger: Ledger, id: number): Promise<StoredSnapshot | undefined> {
  const row = await ledger.db.selectFrom('catalog_snapshots').select(COLUMNS).where('id', '=', id).executeTakeFirst();
  return row && toStored(row);
}
