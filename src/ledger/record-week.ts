/**
 * The record stage of the weekly build: disc sets, the week's mailing batch, one shipment per
 * subscriber and its fee, all in one transaction. A rerun records nothing twice.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { Medium } from '../config/pipeline-schema.ts';
import { PatchdiscError } from '../errors.ts';
import type { Ledger } from './open-ledger.ts';
import { listPrices, pickPrice, type Price } from './prices.ts';
import type { ShipmentStatus } from './schema.ts';
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

/**
 * Rows per multi-row INSERT: one statement per 50 rows took about half the time of one per row (fewer
 * native calls and statement resets) in a micro-benchmark; 200 rows were no faster. 50 × 10 columns
 * stays far under SQLite's bound-parameter limit (32766).
 */
const ROWS_PER_INSERT = 50;

/**
 * A multi-row `INSERT INTO <table> (<columns>) VALUES (?, …), … <tail>` run in slices of
 * ROWS_PER_INSERT rows; one statement is prepared per slice size (at most two per call) and every
 * value is bound as a parameter.
 */
function bulkInsert(sqlite: Ledger['sqlite'], table: string, columns: readonly string[], tail = '') {
  const cache = new Map<number, BetterSqlite3.Statement<unknown[]>>();
  const row = `(${columns.map(() => '?').join(', ')})`;
  const statement = (n: number) => {
    let st = cache.get(n);
    if (!st) {
      st = sqlite.prepare<unknown[]>(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${Array(n).fill(row).join(', ')} ${tail}`);
      cache.set(n, st);
    }
    return st;
  };
  const slices = function* (rows: readonly unknown[][]) {
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
      const part = rows.slice(i, i + ROWS_PER_INSERT);
      yield { st: statement(part.length), params: part.flat() };
    }
  };
  return {
    run(rows: readonly unknown[][]): void {
      for (const { st, params } of slices(rows)) st.run(params);
    },
    all<R>(rows: readonly unknown[][]): R[] {
      const out: R[] = [];
      for (const { st, params } of slices(rows)) out.push(...(st.all(params) as R[]));
      return out;
    },
  };
}

/**
 * The statements of one recordWeek call, prepared on the raw better-sqlite3 handle and run inside the
 * same BEGIN IMMEDIATE transaction: compiling a Kysely query per chunk cost more than SQLite's own
 * work. Parameters are always bound, never spliced into the SQL.
 */
function prepareStatements(sqlite: Ledger['sqlite']) {
  return {
    subscriber: sqlite.prepare<[number], { code: string; medium: string; copies: number }>('SELECT code, medium, copies FROM subscribers WHERE id = ?'),
    insertSets: bulkInsert(
      sqlite,
      'disc_sets',
      ['subscriber_id', 'pipeline', 'week', 'sequence', 'build_id', 'content_key', 'manifest_sha256', 'quiet', 'created_at'],
      'ON CONFLICT DO NOTHING',
    ),
    setsOfWeek: sqlite.prepare<[string], { id: number; subscriber_id: number; pipeline: string; sequence: number; manifest_sha256: string }>(
      'SELECT id, subscriber_id, pipeline, sequence, manifest_sha256 FROM disc_sets WHERE week = ?',
    ),
    insertItems: bulkInsert(sqlite, 'disc_set_items', ['disc_set_id', 'revision_id', 'kb', 'sha1'], 'ON CONFLICT DO NOTHING'),
    insertDiscs: bulkInsert(sqlite, 'discs', ['disc_set_id', 'number', 'of_count', 'volume_id', 'iso_path', 'bytes', 'sha256'], 'ON CONFLICT DO NOTHING'),
    discsOfWeek: sqlite.prepare<[string], { subscriber_id: number; id: number }>(
      'SELECT s.subscriber_id, d.id FROM discs d JOIN disc_sets s ON s.id = d.disc_set_id WHERE s.week = ? ORDER BY d.id',
    ),
    // A batch's shipments (reships aside) with the status of their latest event (highest id).
    shipmentsOfBatch: sqlite.prepare<[number], { id: number; subscriber_id: number; medium: string; copies: number; status: ShipmentStatus }>(
      `SELECT s.id, s.subscriber_id, s.medium, s.copies, e.status FROM shipments s
       JOIN shipment_events e ON e.shipment_id = s.id AND e.id = (SELECT max(l.id) FROM shipment_events l WHERE l.shipment_id = s.id)
       WHERE s.batch_id = ? AND s.reship_of IS NULL`,
    ),
    linksOfBatch: sqlite.prepare<[number], { shipment_id: number; disc_id: number }>(
      `SELECT sd.shipment_id, sd.disc_id FROM shipment_discs sd JOIN shipments s ON s.id = sd.shipment_id
       WHERE s.batch_id = ? AND s.reship_of IS NULL`,
    ),
    updateShipment: sqlite.prepare('UPDATE shipments SET disc_count = ?, fee_fen = ?, postage_fen = ? WHERE id = ?'),
    insertShipments: bulkInsert(
      sqlite,
      'shipments',
      ['batch_id', 'subscriber_id', 'week', 'medium', 'copies', 'disc_count', 'fee_fen', 'postage_fen', 'reship_of', 'created_at'],
      'RETURNING id, subscriber_id',
    ),
    insertEvents: bulkInsert(sqlite, 'shipment_events', ['shipment_id', 'status', 'at', 'actor', 'tracking', 'note']),
    insertLinks: bulkInsert(sqlite, 'shipment_discs', ['shipment_id', 'disc_id'], 'ON CONFLICT DO NOTHING'),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

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
    const prices = await listPrices(trx);

    // From here on the raw handle: the same connection, inside the same transaction.
    const st = prepareStatements(ledger.sqlite);
    const subscriberIds = [...new Set(input.sets.map((s) => s.subscriberId))];
    const subscribers = loadSubscribers(st, subscriberIds, week);
    const setIds = insertSets(st, input, at);
    insertItemsAndDiscs(st, input.sets, setIds);

    // All of each subscriber's sets this week (any pipeline) and their discs: one query over the week.
    const discsBySubscriber = new Map<number, number[]>();
    for (const r of st.discsOfWeek.all(week)) {
      if (!subscribers.has(r.subscriber_id)) continue;
      const list = discsBySubscriber.get(r.subscriber_id) ?? [];
      list.push(r.id);
      discsBySubscriber.set(r.subscriber_id, list);
    }

    const shipments = upsertShipments(st, { batchId: batch.id, week, date, at, prices, subscribers, discsBySubscriber });
    return { batchId: batch.id, shipments };
  });
}

interface SubscriberFacts {
  code: string;
  medium: Medium;
  copies: number;
}

function loadSubscribers(st: Statements, ids: number[], week: string): Map<number, SubscriberFacts> {
  const found = new Map<number, SubscriberFacts>();
  const missing: number[] = [];
  for (const id of ids) {
    const r = st.subscriber.get(id);
    if (r) found.set(id, { code: r.code, medium: r.medium as Medium, copies: r.copies });
    else missing.push(id);
  }
  if (missing.length > 0) {
    throw new PatchdiscError('NOT_FOUND', `Cannot record week ${week}: subscriber id ${missing.slice(0, 5).join(', ')} is not in the ledger`, {
      details: { week, missing },
    });
  }
  return found;
}

/** Inserts the disc sets (a rerun inserts nothing) and returns their ids, checking each matches what it asked for. */
function insertSets(st: Statements, input: { week: string; buildId: number | null; sets: RecordedSet[] }, at: string): number[] {
  const { week } = input;
  st.insertSets.run(
    input.sets.map((s) => [s.subscriberId, s.pipeline, week, s.sequence, input.buildId, s.contentKey, s.manifestSha256, s.quiet ? 1 : 0, at]),
  );
  const stored = new Map<string, { id: number; sequence: number; manifest_sha256: string }>();
  for (const r of st.setsOfWeek.all(week)) stored.set(`${r.subscriber_id}\u0000${r.pipeline}`, r);
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

function insertItemsAndDiscs(st: Statements, sets: RecordedSet[], setIds: number[]): void {
  st.insertItems.run(sets.flatMap((s, i) => s.items.map((it) => [setIds[i], it.revisionId, it.kb ?? null, it.sha1])));
  st.insertDiscs.run(sets.flatMap((s, i) => s.discs.map((d) => [setIds[i], d.number, d.of, d.volumeId, d.isoPath, d.bytes, d.sha256])));
}

function charge(prices: readonly Price[], medium: Medium, discCount: number, date: string, week: string): { fee: number; postage: number } {
  const perDisc = pickPrice(prices, 'disc', medium, date);
  const postage = pickPrice(prices, 'postage', null, date);
  if (perDisc === undefined || postage === undefined) {
    const what = perDisc === undefined ? `disc price for ${medium}` : 'postage price';
    throw new PatchdiscError('CONFIG_INVALID', `Cannot record week ${week}: the price list has no ${what} in force on ${date}; add it under prices in patchdisc.yaml and rerun`, {
      details: { week, date, medium },
    });
  }
  return { fee: perDisc * discCount + postage, postage };
}

function upsertShipments(
  st: Statements,
  o: {
    batchId: number;
    week: string;
    date: string;
    at: string;
    prices: readonly Price[];
    subscribers: Map<number, SubscriberFacts>;
    discsBySubscriber: Map<number, number[]>;
  },
): RecordWeekResult['shipments'] {
  const existing = new Map<number, { id: number; medium: string; copies: number; status: ShipmentStatus }>();
  for (const r of st.shipmentsOfBatch.all(o.batchId)) if (o.subscribers.has(r.subscriber_id)) existing.set(r.subscriber_id, r);
  const linked = new Map<number, Set<number>>();
  if (existing.size > 0) {
    for (const r of st.linksOfBatch.all(o.batchId)) linked.set(r.shipment_id, (linked.get(r.shipment_id) ?? new Set()).add(r.disc_id));
  }

  // Every fee is worked out (and a missing price reported) before the first shipment row is written.
  const result: RecordWeekResult['shipments'] = [];
  const updates: { id: number; discCount: number; fee: number; postage: number; added: number[] }[] = [];
  const fresh: { subscriberId: number; sub: SubscriberFacts; discIds: number[]; discCount: number; fee: number; postage: number }[] = [];
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
      updates.push({ id: old.id, discCount, ...charge(o.prices, old.medium as Medium, discCount, o.date, o.week), added });
      continue;
    }
    const discCount = discIds.length * sub.copies;
    fresh.push({ subscriberId, sub, discIds, discCount, ...charge(o.prices, sub.medium, discCount, o.date, o.week) });
  }

  const links: number[][] = [];
  for (const u of updates) {
    st.updateShipment.run(u.discCount, u.fee, u.postage, u.id);
    for (const d of u.added) links.push([u.id, d]);
  }
  const inserted = st.insertShipments.all<{ id: number; subscriber_id: number }>(
    fresh.map((f) => [o.batchId, f.subscriberId, o.week, f.sub.medium, f.sub.copies, f.discCount, f.fee, f.postage, null, o.at]),
  );
  // RETURNING order is unspecified in SQLite, so ids are matched by subscriber.
  const idBySubscriber = new Map(inserted.map((r) => [r.subscriber_id, r.id]));
  const events: unknown[][] = [];
  for (const f of fresh) {
    const id = idBySubscriber.get(f.subscriberId) as number;
    events.push([id, 'prepared', o.at, 'build', null, null]);
    for (const d of f.discIds) links.push([id, d]);
    result.push({ id, subscriberCode: f.sub.code, status: 'prepared' });
  }
  st.insertEvents.run(events);
  st.insertLinks.run(links);
  return result.sort((a, b) => a.id - b.id);
}
