/**
 * What the weekly build asks the ledger about each subscriber: who is served this week, what they
 * already received, and their last disc set (for the sequence number and the manifest chain).
 */
import type { Ledger } from './open-ledger.ts';
import { withPipelines, type Subscriber } from './subscriber-row.ts';

/**
 * Subscribers of `pipeline` served on `date` (`YYYY-MM-DD`): within their service period (both ends
 * inclusive) and not suspended. Ordered by code.
 */
export async function activeSubscribers(ledger: Ledger, opts: { pipeline: string; date: string }): Promise<Subscriber[]> {
  const rows = await ledger.db
    .selectFrom('subscribers as s')
    .innerJoin('subscriptions as p', 'p.subscriber_id', 's.id')
    .selectAll('s')
    .where('p.pipeline', '=', opts.pipeline)
    .where('s.suspended', '=', 0)
    .where('s.service_start', '<=', opts.date)
    .where('s.service_end', '>=', opts.date)
    .orderBy('s.code')
    .execute();
  return withPipelines(ledger.db, rows);
}

export interface ReceivedItem {
  revisionId: number;
  sha1s: string[];
  /** The week the revision was first recorded for this subscriber. */
  week: string;
}

/**
 * Every update revision recorded on a disc set of `subscriberId` for `pipeline`, with its files and
 * the first week it went out. Recorded means put in a shipment; a shipment later marked lost still
 * counts (it is reshipped, not re-selected).
 */
export async function receivedItems(ledger: Ledger, subscriberId: number, pipeline: string): Promise<ReceivedItem[]> {
  const rows = await ledger.db
    .selectFrom('disc_set_items as i')
    .innerJoin('disc_sets as d', 'd.id', 'i.disc_set_id')
    .select(['i.revision_id', 'i.sha1', 'd.week'])
    .where('d.subscriber_id', '=', subscriberId)
    .where('d.pipeline', '=', pipeline)
    .orderBy('i.revision_id')
    .orderBy('d.week')
    .orderBy('i.sha1')
    .execute();
  const byRevision = new Map<number, ReceivedItem>();
  for (const r of rows) {
    let item = byRevision.get(r.revision_id);
    if (!item) {
      item = { revisionId: r.revision_id, sha1s: [], week: r.week };
      byRevision.set(r.revision_id, item);
    }
    if (!item.sha1s.includes(r.sha1)) item.sha1s.push(r.sha1);
  }
  return [...byRevision.values()];
}

/** The subscriber's disc set with the highest sequence number, or undefined for a new subscriber. */
export async function lastDiscSet(
  ledger: Ledger,
  subscriberId: number,
): Promise<{ sequence: number; manifestSha256: string; week: string; pipeline: string } | undefined> {
  const r = await ledger.db
    .selectFrom('disc_sets')
    .select(['sequence', 'manifest_sha256', 'week', 'pipeline'])
    .where('subscriber_id', '=', subscriberId)
    .orderBy('sequence', 'desc')
    .limit(1)
    .executeTakeFirst();
  return r && { sequence: r.sequence, manifestSha256: r.manifest_sha256, week: r.week, pipeline: r.pipeline };
}
