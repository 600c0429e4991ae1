/**
 * Ledger reads the clerk page needs that src/ledger does not offer: one shipment with its events and
 * discs, one disc, a subscriber's history, builds with their report. Kysely only, every value bound.
 */
import type { Ledger } from '../ledger/open-ledger.ts';
import type { ShipmentStatus } from '../ledger/schema.ts';
import { BUILD_COLUMNS, toBuild, type Build } from '../ledger/builds.ts';

export interface ShipmentEvent {
  status: ShipmentStatus;
  at: string;
  actor: string;
  tracking: string | null;
  note: string | null;
}

export interface ShipmentDetail {
  id: number;
  week: string;
  subscriber: string;
  subscriberName: string;
  medium: string;
  copies: number;
  discCount: number;
  feeFen: number;
  postageFen: number;
  reshipOf: number | null;
  /** Oldest first; the last one is the current status. */
  events: ShipmentEvent[];
  discs: DiscSummary[];
}

export interface DiscSummary {
  id: number;
  number: number;
  of: number;
  volumeId: string;
  pipeline: string;
  sequence: number;
  bytes: number;
}

/** Shipment `id` with its events and discs, or undefined. */
export async function getShipmentDetail(ledger: Ledger, id: number): Promise<ShipmentDetail | undefined> {
  const s = await ledger.db
    .selectFrom('shipments as s')
    .innerJoin('subscribers as u', 'u.id', 's.subscriber_id')
    .select(['s.id', 's.week', 'u.code', 'u.name', 's.medium', 's.copies', 's.disc_count', 's.fee_fen', 's.postage_fen', 's.reship_of'])
    .where('s.id', '=', id)
    .executeTakeFirst();
  if (!s) return undefined;
  const events = await ledger.db
    .selectFrom('shipment_events')
    .select(['status', 'at', 'actor', 'tracking', 'note'])
    .where('shipment_id', '=', id)
    .orderBy('id')
    .execute();
  const discs = await ledger.db
    .selectFrom('shipment_discs as sd')
    .innerJoin('discs as d', 'd.id', 'sd.disc_id')
    .innerJoin('disc_sets as ds', 'ds.id', 'd.disc_set_id')
    .select(['d.id', 'd.number', 'd.of_count', 'd.volume_id', 'ds.pipeline', 'ds.sequence', 'd.bytes'])
    .where('sd.shipment_id', '=', id)
    .orderBy('ds.pipeline')
    .orderBy('d.number')
    .execute();
  return {
    id: s.id,
    week: s.week,
    subscriber: s.code,
    subscriberName: s.name,
    medium: s.medium,
    copies: s.copies,
    discCount: s.disc_count,
    feeFen: s.fee_fen,
    postageFen: s.postage_fen,
    reshipOf: s.reship_of,
    events,
    discs: discs.map((d) => ({ id: d.id, number: d.number, of: d.of_count, volumeId: d.volume_id, pipeline: d.pipeline, sequence: d.sequence, bytes: d.bytes })),
  };
}

export interface DiscRecord {
  id: number;
  number: number;
  of: number;
  volumeId: string;
  isoPath: string;
  bytes: number;
  sha256: string;
  subscriber: string;
  pipeline: string;
  week: string;
  sequence: number;
  manifestSha256: string;
  quiet: boolean;
  createdAt: string;
}

/** Disc `id` as the ledger recorded it, or undefined. */
export async function getDisc(ledger: Ledger, id: number): Promise<DiscRecord | undefined> {
  const r = await ledger.db
    .selectFrom('discs as d')
    .innerJoin('disc_sets as ds', 'ds.id', 'd.disc_set_id')
    .innerJoin('subscribers as u', 'u.id', 'ds.subscriber_id')
    .select(['d.id', 'd.number', 'd.of_count', 'd.volume_id', 'd.iso_path', 'd.bytes', 'd.sha256', 'u.code', 'ds.pipeline', 'ds.week', 'ds.sequence', 'ds.manifest_sha256', 'ds.quiet', 'ds.created_at'])
    .where('d.id', '=', id)
    .executeTakeFirst();
  return (
    r && {
      id: r.id,
      number: r.number,
      of: r.of_count,
      volumeId: r.volume_id,
      isoPath: r.iso_path,
      bytes: r.bytes,
      sha256: r.sha256,
      subscriber: r.code,
      pipeline: r.pipeline,
      week: r.week,
      sequence: r.sequence,
      manifestSha256: r.manifest_sha256,
      quiet: r.quiet === 1,
      createdAt: r.created_at,
    }
  );
}

export interface SubscriberEvent {
  at: string;
  actor: string;
  action: string;
  detail: string;
}

/** What was done to subscriber `subscriberId`, newest first. */
export async function subscriberHistory(ledger: Ledger, subscriberId: number, limit = 200): Promise<SubscriberEvent[]> {
  return ledger.db
    .selectFrom('subscriber_events')
    .select(['at', 'actor', 'action', 'detail'])
    .where('subscriber_id', '=', subscriberId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

/** A build as the ledger describes it (ledger/builds.ts), with its report read in the same query. */
export interface BuildWithReport extends Pick<Build, 'id' | 'pipeline' | 'week' | 'status' | 'startedAt' | 'finishedAt'> {
  /** The report stage's output (PipelineReport JSON), null when that stage is not done. */
  reportJson: string | null;
}

/** The newest `limit` builds (by week) with their report stage output. */
export async function buildsWithReports(ledger: Ledger, limit = 104): Promise<BuildWithReport[]> {
  const rows = await ledger.db
    .selectFrom('builds as b')
    .leftJoin('build_stages as s', (j) => j.onRef('s.build_id', '=', 'b.id').on('s.stage', '=', 'report').on('s.status', '=', 'done'))
    .select([...BUILD_COLUMNS.map((c) => `b.${c}` as const), 's.output_json'])
    .orderBy('b.week', 'desc')
    .orderBy('b.pipeline')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ ...toBuild(r), reportJson: r.output_json }));
}
