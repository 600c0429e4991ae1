/**
 * The shipment log the clerk reads: filtered by week, month, subscriber or status, paged, with the
 * count and fee total of everything the filter matches.
 *
 * A shipment's status is its latest event's (shipment_events, highest id; index (shipment_id, id)).
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

/** shipments s ⋈ subscribers u ⋈ latest event e, with the filter applied. */
function filtered(db: Kysely<Database>, f: ShipmentFilter) {
  let q = db
    .selectFrom('shipments as s')
    .innerJoin('subscribers as u', 'u.id', 's.subscriber_id')
    .innerJoin('shipment_events as e', (j) =>
      j.onRef('e.shipment_id', '=', 's.id').on('e.id', '=', (eb) =>
        eb.selectFrom('shipment_events as l').select((x) => x.fn.max('l.id').as('m')).whereRef('l.shipment_id', '=', 's.id'),
      ),
    );
  if (f.week !== undefined) q = q.where('s.week', '=', f.week);
  if (f.month !== undefined) q = q.where('s.week', 'in', weeksOfMonth(f.month));
  if (f.subscriber !== undefined) q = q.where('u.code', '=', f.subscriber);
  if (f.status !== undefined) q = q.where('e.status', '=', f.status);
  return q;
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
  const rows = await filtered(ledger.db, f)
    .select((eb) => [
      's.id',
      's.batch_id',
      's.week',
      'u.code',
      'u.name',
      'u.organisation',
      'e.status',
      'e.at',
      's.medium',
      's.copies',
      's.disc_count',
      's.fee_fen',
      's.postage_fen',
      's.reship_of',
      eb
        .selectFrom('shipment_events as t')
        .select('t.tracking')
        .whereRef('t.shipment_id', '=', 's.id')
        .where('t.tracking', 'is not', null)
        .orderBy('t.id', 'desc')
        .limit(1)
        .as('tracking'),
      eb
        .selectFrom('shipment_events as m')
        .select('m.at')
        .whereRef('m.shipment_id', '=', 's.id')
        .where('m.status', '=', 'mailed')
        .orderBy('m.id', 'desc')
        .limit(1)
        .as('mailed_at'),
    ])
    .orderBy('s.id', 'desc')
    .limit(f.limit ?? 100)
    .offset(f.offset ?? 0)
    .execute();
  const totals = await filtered(ledger.db, f)
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number | null>('s.fee_fen').as('fee')])
    .executeTakeFirstOrThrow();
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
      tracking: r.tracking ?? null,
      mailedAt: r.mailed_at ?? null,
      reshipOf: r.reship_of,
    })),
    total: Number(totals.n),
    totalFeeFen: Number(totals.fee ?? 0),
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
