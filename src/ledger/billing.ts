/**
 * Monthly statements: per subscriber, the shipments of the month (by the Monday of their week), the
 * discs, disc fees and postage charged. Fees are those stored on each shipment when it was recorded,
 * i.e. the price list in force on its week's Monday. Reships are free and left out.
 */
import type { Ledger } from './open-ledger.ts';
import type { ShipmentStatus } from './schema.ts';
import { toCsv } from './csv.ts';
import { weekMonday, weeksOfMonth } from './week-date.ts';

export interface StatementLine {
  shipmentId: number;
  week: string;
  weekMonday: string;
  medium: string;
  copies: number;
  discs: number;
  discFeesFen: number;
  postageFen: number;
  totalFen: number;
  status: ShipmentStatus;
}

export interface SubscriberStatement {
  code: string;
  name: string;
  organisation: string;
  lines: StatementLine[];
  shipments: number;
  discs: number;
  discFeesFen: number;
  postageFen: number;
  totalFen: number;
}

export interface BillingStatement {
  month: string;
  weeks: string[];
  subscribers: SubscriberStatement[];
  totals: { shipments: number; discs: number; discFeesFen: number; postageFen: number; totalFen: number };
}

/** The statement for `month` (`YYYY-MM`), of every subscriber or of one (by code), ordered by code. */
export async function billingStatement(ledger: Ledger, opts: { month: string; subscriber?: string }): Promise<BillingStatement> {
  const weeks = weeksOfMonth(opts.month);
  let q = ledger.db
    .selectFrom('shipments as s')
    .innerJoin('subscribers as u', 'u.id', 's.subscriber_id')
    .select((eb) => [
      's.id',
      's.week',
      's.medium',
      's.copies',
      's.disc_count',
      's.fee_fen',
      's.postage_fen',
      'u.code',
      'u.name',
      'u.organisation',
      eb
        .selectFrom('shipment_events as e')
        .select('e.status')
        .whereRef('e.shipment_id', '=', 's.id')
        .orderBy('e.id', 'desc')
        .limit(1)
        .$asScalar()
        .as('status'),
    ])
    .where('s.week', 'in', weeks)
    .where('s.reship_of', 'is', null)
    .orderBy('u.code')
    .orderBy('s.week')
    .orderBy('s.id');
  if (opts.subscriber !== undefined) q = q.where('u.code', '=', opts.subscriber);
  const rows = await q.execute();

  const bySubscriber = new Map<string, SubscriberStatement>();
  const totals = { shipments: 0, discs: 0, discFeesFen: 0, postageFen: 0, totalFen: 0 };
  for (const r of rows) {
    let st = bySubscriber.get(r.code);
    if (!st) {
      st = { code: r.code, name: r.name, organisation: r.organisation, lines: [], shipments: 0, discs: 0, discFeesFen: 0, postageFen: 0, totalFen: 0 };
      bySubscriber.set(r.code, st);
    }
    const line: StatementLine = {
      shipmentId: r.id,
      week: r.week,
      weekMonday: weekMonday(r.week),
      medium: r.medium,
      copies: r.copies,
      discs: r.disc_count,
      discFeesFen: r.fee_fen - r.postage_fen,
      postageFen: r.postage_fen,
      totalFen: r.fee_fen,
      status: (r.status ?? 'prepared') as ShipmentStatus,
    };
    st.lines.push(line);
    for (const acc of [st, totals]) {
      acc.shipments += 1;
      acc.discs += line.discs;
      acc.discFeesFen += line.discFeesFen;
      acc.postageFen += line.postageFen;
      acc.totalFen += line.totalFen;
    }
  }
  return { month: opts.month, weeks, subscribers: [...bySubscriber.values()], totals };
}

/** Fen as yuan with two decimals ("12.50"), exact for integers. */
export function formatYuan(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** The statement as spreadsheet CSV: one row per shipment, then a total row per subscriber. */
export function billingStatementCsv(st: BillingStatement): string {
  const rows: string[][] = [['subscriber', 'organisation', 'week', 'shipment', 'medium', 'copies', 'discs', 'disc fees (CNY)', 'postage (CNY)', 'total (CNY)', 'status']];
  for (const s of st.subscribers) {
    for (const l of s.lines) {
      rows.push([s.code, s.organisation, l.week, String(l.shipmentId), l.medium, String(l.copies), String(l.discs), formatYuan(l.discFeesFen), formatYuan(l.postageFen), formatYuan(l.totalFen), l.status]);
    }
    rows.push([s.code, s.organisation, 'total', String(s.shipments), '', '', String(s.discs), formatYuan(s.discFeesFen), formatYuan(s.postageFen), formatYuan(s.totalFen), '']);
  }
  return toCsv(rows);
}
