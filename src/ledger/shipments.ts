/**
 * The shipment log the clerk reads: filtered by week, month, subscriber or status, paged, with the
 * count and fee total of everything the filter matches.
 *
 * A shipment's status is its latest event's (shipment_events, highest id). The log reads it from
 * shipment_state, which a trigger keeps equal to the events (migration 002), and its totals from
 * shipment_totals (per week and status) unless a subscriber is named: then the few matches are
 * totalled directly.
 */
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { PatchdiscError } from '../errors.ts';
import type { Ledger } from './open-ledger.ts';
import type { Database, ShipmentStatus } from './schema.ts';
import { toCsv } from './csv.ts';
import { weekMonday, weeksOfMonth } from './week-date.ts';

export const SHIPMENT_STATUSES = ['prepared', 'burned', 'mailed', 'delivered', 'returned', 'lost'] as const;

export interface ShipmentFilter {
  week?: string;
  /** `YYYY-MM`: shipments whose week's Monday is in that month. */
  month?: string;
  /** Subscriber code (exact). */
  subscriber?: string;
  status?: ShipmentStatus;
  limit?: number;
  offset?: number;
}

export interface ShipmentRow {
  id: number;
  batchId: number;
  week: string;
  subscriber: string;
  subscriberName: string;
  organisation: string;
  status: ShipmentStatus;
  statusAt: string;
  medium: string;
  copies: number;
  /** Discs in the parcel (discs × copies). */
  discs: number;
  feeFen: number;
  postageFen: number;
  tracking: string | null;
  mailedAt: string | null;
  reshipOf: number | null;
}

const filterSchema = z.strictObject({
  week: z.string().optional(),
  month: z.string().optional(),
  subscriber: z.string().max(64).optional(),
  status: z.enum(SHIPMENT_STATUSES).optional(),
  limit: z.number().int().min(1).max(1000).optional(),
  offset: z.number().int().min(0).optional(),
});

/**
 * The shipments the filter matches, as `shipments s` alone: the subscriber as a constant subquery and
 * the state as EXISTS, so that `ORDER BY s.id DESC LIMIT n` over the week index stops after n rows
 * per listed week (SQLite's IN early-out) instead of joining every match first.
 */
function matching(db: Kysely<Database>, f: ShipmentFilter) {
  let q = db.selectFrom('shipments as s');
  if (f.week !== undefined) q = q.where('s.week', '=', f.week);
  if (f.month !== undefined) q = q.where('s.week', 'in', weeksOfMonth(f.month));
  if (f.subscriber !== undefined) {
    const code = f.subscriber;
    q = q.where('s.subscriber_id', '=', (eb) => eb.selectFrom('subscribers as u').select('u.id').where('u.code', '=', code));
  }
  const status = f.status;
  return q.where(({ exists, selectFrom }) => {
    let st = selectFrom('shipment_state as st').select('st.shipment_id').whereRef('st.shipment_id', '=', 's.id');
    if (status !== undefined) st = st.where('st.status', '=', status);
    return exists(st);
  });
}

/** Ids of one page of matches, newest first. */
function pageIds(db: Kysely<Database>, f: ShipmentFilter) {
  const limit = f.limit ?? 100;
  const offset = f.offset ?? 0;
  if (f.status !== undefined && f.week === undefined && f.month === undefined && f.subscriber === undefined) {
    // Status alone: walk shipment_state_status (status, shipment_id) backwards.
    return db
      .selectFrom('shipment_state as st')
      .select('st.shipment_id as id')
      .where('st.status', '=', f.status)
      .orderBy('st.shipment_id', 'desc')
      .limit(limit)
      .offset(offset);
  }
  return matching(db, f).select('s.id').orderBy('s.id', 'desc').limit(limit).offset(offset);
}

/** Count and fee total of every match: from shipment_totals, or directly when a subscriber is named. */
async function totalsOf(db: Kysely<Database>, f: ShipmentFilter): Promise<{ total: number; totalFeeFen: number }> {
  if (f.subscriber !== undefined) {
    const r = await matching(db, f)
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number | null>('s.fee_fen').as('fee')])
      .executeTakeFirstOrThrow();
    return { total: Number(r.n), totalFeeFen: Number(r.fee ?? 0) };
  }
  let q = db
    .selectFrom('shipment_totals as t')
    .select((eb) => [eb.fn.sum<number | null>('t.shipments').as('n'), eb.fn.sum<number | null>('t.fee_fen').as('fee')]);
  if (f.week !== undefined) q = q.where('t.week', '=', f.week);
  if (f.month !== undefined) q = q.where('t.week', 'in', weeksOfMonth(f.month));
  if (f.status !== undefined) q = q.where('t.status', '=', f.status);
  const r = await q.executeTakeFirstOrThrow();
  return { total: Number(r.n ?? 0), totalFeeFen: Number(r.fee ?? 0) };
}

/**
 * The query of one page of the log for a checked filter: the page's ids (pageIds), then their rows.
 * Exported so that tests can read its query plan.
 */
export function shipmentPageQuery(db: Kysely<Database>, f: ShipmentFilter) {
  // CROSS JOIN makes SQLite keep this table order: the page (at most `limit` ids) drives, each row then
  // one primary-key seek per table, whatever the statistics say about the tables' sizes.
  return db
    .selectFrom(pageIds(db, f).as('p'))
    .crossJoin('shipments as s')
    .crossJoin('shipment_state as st')
    .crossJoin('subscribers as u')
    .whereRef('s.id', '=', 'p.id')
    .whereRef('st.shipment_id', '=', 'p.id')
    .whereRef('u.id', '=', 's.subscriber_id')
    .select([
      's.id',
      's.batch_id',
      's.week',
      'u.code',
      'u.name',
      'u.organisation',
      'st.status',
      'st.at',
      's.medium',
      's.copies',
      's.disc_count',
      's.fee_fen',
      's.postage_fen',
      's.reship_of',
      'st.tracking',
      'st.mailed_at',
    ])
    .orderBy('s.id', 'desc');
}

/** Validates a filter from the web page or CLI; throws VALIDATION naming the bad value. */
export function checkShipmentFilter(f: ShipmentFilter): ShipmentFilter {
  const parsed = filterSchema.safeParse(f);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new PatchdiscError('VALIDATION', `Cannot list shipments: ${issues.join('; ')}`, { details: { issues } });
  }
  if (f.week !== undefined) weekMonday(f.week);
  if (f.month !== undefined) weeksOfMonth(f.month);
  return f;
}

/** One page of the shipment log, newest first, with the total count and fee of all matches. */
export async function listShipments(
  ledger: Ledger,
  filter: ShipmentFilter = {},
): Promise<{ rows: ShipmentRow[]; total: number; totalFeeFen: number }> {
  const f = checkShipmentFilter(filter);
  const rows = await shipmentPageQuery(ledger.db, f).execute();
  const totals = await totalsOf(ledger.db, f);
  return {
    rows: rows.map((r) => ({
      id: r.id,
      batchId: r.batch_id,
      week: r.week,
      subscriber: r.code,
      subscriberName: r.name,
      organisation: r.organisation,
      status: r.status,
      statusAt: r.at,
      medium: r.medium,
      copies: r.copies,
      discs: r.disc_count,
      feeFen: r.fee_fen,
      postageFen: r.postage_fen,
      tracking: r.tracking,
      mailedAt: r.mailed_at,
      reshipOf: r.reship_of,
    })),
    ...totals,
  };
}

/** Shipment log rows as spreadsheet CSV (fees in yuan, two decimals). */
export function shipmentsCsv(rows: readonly ShipmentRow[]): string {
  const yuan = (fen: number) => `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
  return toCsv([
    ['id', 'week', 'subscriber', 'name', 'organisation', 'status', 'status at', 'medium', 'copies', 'discs', 'fee (CNY)', 'postage (CNY)', 'tracking', 'mailed at', 'reship of'],
    ...rows.map((r) => [
      String(r.id),
      r.week,
      r.subscriber,
      r.subscriberName,
      r.organisation,
      r.status,
      r.statusAt,
      r.medium,
      String(r.copies),
      String(r.discs),
      yuan(r.feeFen),
      yuan(r.postageFen),
      r.tracking ?? '',
      r.mailedAt ?? '',
      r.reshipOf === null ? '' : String(r.reshipOf),
    ]),
  ]);
}
