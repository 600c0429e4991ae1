/**
 * The Kysely view of the ledger: one interface per table, column names as stored. Everything the
 * ledger reads or writes goes through these types, so that a PostgreSQL dialect can follow.
 *
 * Conventions: ids are INTEGER PRIMARY KEY (generated); timestamps are ISO 8601 UTC strings; dates are
 * `YYYY-MM-DD`; weeks are ISO weeks `YYYY-Www`; booleans are 0/1; money is integer fen (CNY).
 */
import type { Generated } from 'kysely';

export type BuildStatus = 'running' | 'done' | 'failed';
export type ShipmentStatus = 'prepared' | 'burned' | 'mailed' | 'delivered' | 'returned' | 'lost';
export type PriceKind = 'disc' | 'postage';

export interface SchemaMigrationsTable {
  id: number;
  name: string;
  applied_at: string;
}

export interface CatalogSnapshotsTable {
  id: Generated<number>;
  source: string;
  package_id: string;
  creation_date: string;
  etag: string | null;
  last_modified: string | null;
  cab_sha256: string | null;
  fetched_at: string;
  bundle_count: number;
  /** The CatalogSnapshot (src/catalog/snapshot.ts) as JSON. */
  data_json: string;
}

export interface FilesTable {
  sha1: string;
  sha256: string;
  size: number;
  url: string;
  fetched_at: string;
}

export interface BuildsTable {
  id: Generated<number>;
  pipeline: string;
  week: string;
  status: BuildStatus;
  started_at: string;
  finished_at: string | null;
  snapshot_id: number | null;
  error: string | null;
}

export interface BuildStagesTable {
  build_id: number;
  stage: string;
  status: BuildStatus;
  started_at: string;
  finished_at: string | null;
  output_json: string | null;
}

export interface SubscribersTable {
  id: Generated<number>;
  code: string;
  name: string;
  organisation: string;
  contact: string;
  phone: string;
  email: string;
  province: string;
  city: string;
  district: string;
  street: string;
  postcode: string;
  medium: string;
  copies: number;
  service_start: string;
  service_end: string;
  price_plan: string;
  notes: string;
  suspended: number;
  created_at: string;
}

export interface SubscriptionsTable {
  subscriber_id: number;
  pipeline: string;
}

/** Append-only history of clerk actions on a subscriber (suspend, resume, edit, import). */
export interface SubscriberEventsTable {
  id: Generated<number>;
  subscriber_id: number;
  at: string;
  actor: string;
  action: string;
  detail: string;
}

export interface PricesTable {
  id: Generated<number>;
  kind: PriceKind;
  /** Medium for a disc price; NULL for postage. */
  medium: string | null;
  fen: number;
  effective_from: string;
}

export interface DiscSetsTable {
  id: Generated<number>;
  subscriber_id: number;
  pipeline: string;
  week: string;
  sequence: number;
  build_id: number | null;
  content_key: string;
  manifest_sha256: string;
  quiet: number;
  created_at: string;
}

export interface DiscSetItemsTable {
  disc_set_id: number;
  revision_id: number;
  kb: string | null;
  sha1: string;
}

export interface DiscsTable {
  id: Generated<number>;
  disc_set_id: number;
  number: number;
  of_count: number;
  volume_id: string;
  iso_path: string;
  bytes: number;
  sha256: string;
}

export interface BatchesTable {
  id: Generated<number>;
  week: string;
  created_at: string;
}

export interface ShipmentsTable {
  id: Generated<number>;
  batch_id: number;
  subscriber_id: number;
  week: string;
  medium: string;
  copies: number;
  disc_count: number;
  /** Everything charged for this shipment: disc fees plus postage. */
  fee_fen: number;
  /** The postage part of fee_fen. */
  postage_fen: number;
  reship_of: number | null;
  created_at: string;
}

export interface ShipmentDiscsTable {
  shipment_id: number;
  disc_id: number;
}

export interface ShipmentEventsTable {
  id: Generated<number>;
  shipment_id: number;
  status: ShipmentStatus;
  at: string;
  actor: string;
  tracking: string | null;
  note: string | null;
}

/**
 * Derived from shipment_events by trigger (migration 002), never written by application code: each
 * shipment's latest event (highest id), latest non-null tracking and latest 'mailed' time.
 */
export interface ShipmentStateTable {
  shipment_id: number;
  event_id: number;
  status: ShipmentStatus;
  at: string;
  tracking: string | null;
  mailed_at: string | null;
}

/** Derived by trigger (migration 002): count and fee total of the shipments per week and status. */
export interface ShipmentTotalsTable {
  week: string;
  status: ShipmentStatus;
  shipments: number;
  fee_fen: number;
}

export interface KeysTable {
  id: Generated<number>;
  key_id: string;
  name: string;
  cert_path: string;
  key_path: string;
  created_at: string;
  not_after: string;
  active: number;
}

export interface Database {
  schema_migrations: SchemaMigrationsTable;
  catalog_snapshots: CatalogSnapshotsTable;
  files: FilesTable;
  builds: BuildsTable;
  build_stages: BuildStagesTable;
  subscribers: SubscribersTable;
  subscriptions: SubscriptionsTable;
  subscriber_events: SubscriberEventsTable;
  prices: PricesTable;
  disc_sets: DiscSetsTable;
  disc_set_items: DiscSetItemsTable;
  discs: DiscsTable;
  batches: BatchesTable;
  shipments: ShipmentsTable;
  shipment_discs: ShipmentDiscsTable;
  shipment_events: ShipmentEventsTable;
  shipment_state: ShipmentStateTable;
  shipment_totals: ShipmentTotalsTable;
  keys: KeysTable;
}
