/**
 * The record stage of the weekly build: disc sets, the week's mailing batch, one shipment per
 * subscriber and its fee, all in one transaction. A rerun records nothing twice.
 */
import type { Kysely } from 'kysely';
import type { Medium } from '../config/pipeline-schema.ts';
import { PatchdiscError } from '../errors.ts';
import type { Ledger } from './open-ledger.ts';
import { listPrices, pickPrice, type Price } from './prices.ts';
import type { Database, ShipmentStatus } from './schema.ts';
import { weekMonday } from './week-date.ts';
import { writeTransaction } from './write-transaction.ts';

export interface RecordedDisc {
  number: number;
  of: number;
  volumeId: string;
  isoPath: string;
  bytes: number;
  sha256: string;
}

export interface RecordedSet {
  subscriberId: number;
  pipeline: string;
  sequence: number;
  contentKey: string;
  manifestSha256: string;
  quiet: boolean;
  items: { revisionId: number; kb?: string; sha1: string }[];
  discs: RecordedDisc[];
}

export interface RecordWeekResult {
  batchId: number;
  shipments: { id: number; subscriberCode: string; status: ShipmentStatus }[];
}

/** Rows per multi-row INSERT/IN list, well under SQLite's bound-variable limit. */
const CHUNK = 400;

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Records `sets` for `week`. Each subscriber gets one shipment covering all its disc sets of the week
 * (also sets recorded by an earlier call for another pipeline, while that shipment is still
 * prepared): disc_count = discs × copies, fee = disc price of the medium × disc_count + postage,
 * prices in force on the week's Monday; a new shipment gets a 'prepared' event by actor 'build'.
 * Throws LEDGER_ERROR when a price is missing, a set conflicts with one already recorded (other
 * manifest or sequence), or a shipment to extend has already left 'prepared'.
 */
export async function recordWeek(
  ledger: Ledger,
  input: { week: string; buildId: number | null; now: Date; sets: RecordedSet[] },
): Promise<RecordWeekResult> {
  const { week, now } = input;
  const date = weekMonday(week);
  const at = now.toISOString();
  return writeTransaction(ledger, async (trx) => {
    // The first statement writes, so the transaction holds the write lock from the start.
    await trx.insertInto('batches').values({ week, created_at: at }).onConflict((oc) => oc.column('week').doNothing()).execute();
    const batch = await trx.selectFrom('batches').select('id').where('week', '=', week).executeTakeFirstOrThrow();

    const subscriberIds = [...new Set(input.sets.map((s) => s.subscriberId))];
    const subscribers = await loadSubscribers(trx, subscriberIds, week);
    const setIds = await insertSets(trx, input, at);
    await insertItemsAndDiscs(trx, input.sets, setIds);

    // All of each subscriber's sets this week (any pipeline) and their discs: one query over the week.
    const discsBySubscriber = new Map<number, number[]>();
    const weekDiscs = await trx
      .selectFrom('discs as d')
      .innerJoin('disc_sets as s', 's.id', 'd.disc_set_id')
      .select(['s.subscriber_id', 'd.id'])
      .where('s.week', '=', week)
      .orderBy('d.id')
      .execute();
    for (const r of weekDiscs) {
      if (!subscribers.has(r.subscriber_id)) continue;
      const list = discsBySubscriber.get(r.subscriber_id) ?? [];
      list.push(r.id);
      discsBySubscriber.set(r.subscriber_id, list);
    }

    const prices = await listPrices(trx);
    const shipments = await upsertShipments(trx, {
      batchId: batch.id,
      week,
      date,
      at,
      prices,
      subscribers,
      discsBySubscriber,
    });
    return { batchId: batch.id, shipments };
  });
}

interface SubscriberFacts {
  code: string;
  medium: Medium;
  copies: number;
}

async function loadSubscribers(trx: Kysely<Database>, ids: number[], week: string): Promise<Map<number, SubscriberFacts>> {
  const found = new Map<number, SubscriberFacts>();
  for (const part of chunks(ids)) {
    const rows = await trx.selectFrom('subscribers').select(['id', 'code', 'medium', 'copies']).where('id', 'in', part).execute();
    for (const r of rows) found.set(r.id, { code: r.code, medium: r.medium as Medium, copies: r.copies });
  }
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length > 0) {
    throw new PatchdiscError('NOT_FOUND', `Cannot record week ${week}: subscriber id ${missing.slice(0, 5).join(', ')} is not in the ledger`, {
      details: { week, missing },
    });
  }
  return found;
}

/** Inserts the disc sets (a rerun inserts nothing) and returns their ids, checking each matches what it asked for. */
async function insertSets(
  trx: Kysely<Database>,
  input: { week: string; buildId: number | null; sets: RecordedSet[] },
  at: string,
): Promise<number[]> {
  const { week } = input;
  for (const part of chunks(input.sets)) {
    await trx
      .insertInto('disc_sets')
      .values(
        part.map((s) => ({
          subscriber_id: s.subscriberId,
          pipeline: s.pipeline,
          week,
          sequence: s.sequence,
          build_id: input.buildId,
          content_key: s.contentKey,
          manifest_sha256: s.manifestSha256,
          quiet: s.quiet ? 1 : 0,
          created_at: at,
        })),
      )
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
  const stored = new Map<string, { id: number; sequence: number; manifest_sha256: string }>();
  const rows = await trx
    .selectFrom('disc_sets')
    .select(['id', 'subscriber_id', 'pipeline', 'sequence', 'manifest_sha256'])
    .where('week', '=', week)
    .execute();
  for (const r of rows) stored.set(`${r.subscriber_id}\u0000${r.pipeline}`, r);
  return input.sets.map((s) => {
    const row = stored.get(`${s.subscriberId}\u0000${s.pipeline}`);
    if (!row || row.sequence !== s.sequence || row.manifest_sha256 !== s.manifestSha256) {
      const why = row
        ? `it was recorded before with sequence ${row.sequence} and manifest ${row.manifest_sha256.slice(0, 12)}`
        : `sequence ${s.sequence} is already used by another week`;
      throw new PatchdiscError(
        'LEDGER_ERROR',
        `Cannot record disc set of subscriber ${s.subscriberId} for ${s.pipeline} ${week}: ${why}; rebuild from the recorded state instead of re-planning`,
        { details: { subscriberId: s.subscriberId, pipeline: s.pipeline, week, sequence: s.sequence } },
      );
    }
    return row.id;
  });
}

async function insertItemsAndDiscs(trx: Kysely<Database>, sets: RecordedSet[], setIds: number[]): Promise<void> {
  const items = sets.flatMap((s, i) =>
    s.items.map((it) => ({ disc_set_id: setIds[i] as number, revision_id: it.revisionId, kb: it.kb ?? null, sha1: it.sha1 })),
  );
  for (const part of chunks(items)) {
    await trx.insertInto('disc_set_items').values(part).onConflict((oc) => oc.doNothing()).execute();
  }
  const discs = sets.flatMap((s, i) =>
    s.discs.map((d) => ({
      disc_set_id: setIds[i] as number,
      number: d.number,
      of_count: d.of,
      volume_id: d.volumeId,
      iso_path: d.isoPath,
      bytes: d.bytes,
      sha256: d.sha256,
    })),
  );
  for (const part of chunks(discs)) {
    await trx.insertInto('discs').values(part).onConflict((oc) => oc.doNothing()).execute();
  }
}

function charge(prices: readonly Price[], medium: Medium, discCount: number, date: string, week: string): { fee: number; postage: number } {
  const perDisc = pickPrice(prices, 'disc', medium, date);
  const postage = pickPrice(prices, 'postage', null, date);
  if (perDisc === undefined || postage === undefined) {
    const what = perDisc === undefined ? `a disc price for ${medium}` : 'a postage price';
    throw new PatchdiscError('LEDGER_ERROR', `Cannot record week ${week}: no ${what} in force on ${date}; set one with setPrice and rerun`, {
      details: { week, date, medium },
    });
  }
  return { fee: perDisc * discCount + postage, postage };
}

async function upsertShipments(
  trx: Kysely<Database>,
  o: {
    batchId: number;
    week: string;
    date: string;
    at: string;
    prices: readonly Price[];
    subscribers: Map<number, SubscriberFacts>;
    discsBySubscriber: Map<number, number[]>;
  },
): Promise<RecordWeekResult['shipments']> {
  const existing = new Map<number, { id: number; medium: string; copies: number; status: ShipmentStatus }>();
  for (const ids of chunks([...o.subscribers.keys()])) {
    const rows = await trx
      .selectFrom('shipments as s')
      .innerJoin('shipment_events as e', (j) =>
        j.onRef('e.shipment_id', '=', 's.id').on('e.id', '=', (eb) =>
          eb.selectFrom('shipment_events as l').select((f) => f.fn.max('l.id').as('m')).whereRef('l.shipment_id', '=', 's.id'),
        ),
      )
      .select(['s.id', 's.subscriber_id', 's.medium', 's.copies', 'e.status'])
      .where('s.batch_id', '=', o.batchId)
      .where('s.reship_of', 'is', null)
      .where('s.subscriber_id', 'in', ids)
      .execute();
    for (const r of rows) existing.set(r.subscriber_id, r);
  }
  const linked = new Map<number, Set<number>>();
  for (const ids of chunks([...existing.values()].map((e) => e.id))) {
    const rows = await trx.selectFrom('shipment_discs').select(['shipment_id', 'disc_id']).where('shipment_id', 'in', ids).execute();
    for (const r of rows) linked.set(r.shipment_id, (linked.get(r.shipment_id) ?? new Set()).add(r.disc_id));
  }

  const result: RecordWeekResult['shipments'] = [];
  const links: { shipment_id: number; disc_id: number }[] = [];
  const fresh: { subscriberId: number; discIds: number[]; values: Omit<Database['shipments'], 'id'> }[] = [];
  for (const [subscriberId, sub] of o.subscribers) {
    const discIds = o.discsBySubscriber.get(subscriberId) ?? [];
    if (discIds.length === 0) continue; // nothing to mail
    const old = existing.get(subscriberId);
    if (old) {
      const have = linked.get(old.id) ?? new Set<number>();
      const added = discIds.filter((d) => !have.has(d));
      result.push({ id: old.id, subscriberCode: sub.code, status: old.status });
      if (added.length === 0) continue;
      if (old.status !== 'prepared') {
        throw new PatchdiscError(
          'LEDGER_ERROR',
          `Cannot add discs to shipment ${old.id} of ${sub.code} for ${o.week}: it is already ${old.status}; mail the new discs with the next week`,
          { details: { shipmentId: old.id, status: old.status } },
        );
      }
      const discCount = discIds.length * old.copies;
      const { fee, postage } = charge(o.prices, old.medium as Medium, discCount, o.date, o.week);
      await trx.updateTable('shipments').set({ disc_count: discCount, fee_fen: fee, postage_fen: postage }).where('id', '=', old.id).execute();
      for (const d of added) links.push({ shipment_id: old.id, disc_id: d });
      continue;
    }
    const discCount = discIds.length * sub.copies;
    const { fee, postage } = charge(o.prices, sub.medium, discCount, o.date, o.week);
    fresh.push({
      subscriberId,
      discIds,
      values: {
        batch_id: o.batchId,
        subscriber_id: subscriberId,
        week: o.week,
        medium: sub.medium,
        copies: sub.copies,
        disc_count: discCount,
        fee_fen: fee,
        postage_fen: postage,
        reship_of: null,
        created_at: o.at,
      },
    });
  }

  for (const part of chunks(fresh)) {
    const rows = await trx.insertInto('shipments').values(part.map((f) => f.values)).returning(['id', 'subscriber_id']).execute();
    const idBySubscriber = new Map(rows.map((r) => [r.subscriber_id, r.id]));
    const events = part.map((f) => {
      const id = idBySubscriber.get(f.subscriberId) as number;
      for (const d of f.discIds) links.push({ shipment_id: id, disc_id: d });
      result.push({ id, subscriberCode: o.subscribers.get(f.subscriberId)?.code ?? '', status: 'prepared' });
      return { shipment_id: id, status: 'prepared' as const, at: o.at, actor: 'build', tracking: null, note: null };
    });
    await trx.insertInto('shipment_events').values(events).execute();
  }
  for (const part of chunks(links)) {
    await trx.insertInto('shipment_discs').values(part).onConflict((oc) => oc.doNothing()).execute();
  }
  return result.sort((a, b) => a.id - b.id);
}
