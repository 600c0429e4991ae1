/**
 * Migration 001: every table of the first ledger.
 *
 * Shipment status is never stored on the shipment: it is the status of the shipment's latest event
 * (highest id in shipment_events). The index shipment_events(shipment_id, id) makes "latest event of
 * shipment S" one index seek, so the shipment log over 1,000,000 shipments filters by week, subscriber
 * or batch through their own indexes and looks up the status per row; a status-only filter walks the
 * shipments (newest first) with that same seek per row. The view shipment_latest_events exposes the
 * same rule for ad-hoc SQL.
 */
import { sql, type Kysely } from 'kysely';

const MEDIA_CHECK = sql`medium in ('cd', 'dvd', 'dvd-dl', 'bd25', 'bd50')`;
const STATUS_CHECK = sql`status in ('prepared', 'burned', 'mailed', 'delivered', 'returned', 'lost')`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- written against the schema of its time, not today's Database type
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('catalog_snapshots')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('package_id', 'text', (c) => c.notNull())
    .addColumn('creation_date', 'text', (c) => c.notNull())
    .addColumn('etag', 'text')
    .addColumn('last_modified', 'text')
    .addColumn('cab_sha256', 'text')
    .addColumn('fetched_at', 'text', (c) => c.notNull())
    .addColumn('bundle_count', 'integer', (c) => c.notNull())
    .addColumn('data_json', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('files')
    .addColumn('sha1', 'text', (c) => c.primaryKey())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull().check(sql`size >= 0`))
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('fetched_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('builds')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('pipeline', 'text', (c) => c.notNull())
    .addColumn('week', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('running', 'done', 'failed')`))
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .addColumn('snapshot_id', 'integer', (c) => c.references('catalog_snapshots.id'))
    .addColumn('error', 'text')
    .addUniqueConstraint('builds_pipeline_week', ['pipeline', 'week'])
    .execute();

  await db.schema
    .createTable('build_stages')
    .addColumn('build_id', 'integer', (c) => c.notNull().references('builds.id'))
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('running', 'done', 'failed')`))
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .addColumn('output_json', 'text')
    .addPrimaryKeyConstraint('build_stages_pk', ['build_id', 'stage'])
    .execute();

  await db.schema
    .createTable('subscribers')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('code', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('organisation', 'text', (c) => c.notNull())
    .addColumn('contact', 'text', (c) => c.notNull())
    .addColumn('phone', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('province', 'text', (c) => c.notNull())
    .addColumn('city', 'text', (c) => c.notNull())
    .addColumn('district', 'text', (c) => c.notNull())
    .addColumn('street', 'text', (c) => c.notNull())
    .addColumn('postcode', 'text', (c) => c.notNull())
    .addColumn('medium', 'text', (c) => c.notNull().check(MEDIA_CHECK))
    .addColumn('copies', 'integer', (c) => c.notNull().check(sql`copies >= 1`))
    .addColumn('service_start', 'text', (c) => c.notNull())
    .addColumn('service_end', 'text', (c) => c.notNull())
    .addColumn('price_plan', 'text', (c) => c.notNull())
    .addColumn('notes', 'text', (c) => c.notNull())
    .addColumn('suspended', 'integer', (c) => c.notNull().check(sql`suspended in (0, 1)`))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addCheckConstraint('subscribers_period', sql`service_end >= service_start`)
    .execute();
  await db.schema.createIndex('subscribers_service_end').on('subscribers').column('service_end').execute();

  await db.schema
    .createTable('subscriptions')
    .addColumn('subscriber_id', 'integer', (c) => c.notNull().references('subscribers.id'))
    .addColumn('pipeline', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('subscriptions_pk', ['subscriber_id', 'pipeline'])
    .execute();
  await db.schema.createIndex('subscriptions_pipeline').on('subscriptions').column('pipeline').execute();

  await db.schema
    .createTable('subscriber_events')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('subscriber_id', 'integer', (c) => c.notNull().references('subscribers.id'))
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('subscriber_events_subscriber')
    .on('subscriber_events')
    .columns(['subscriber_id', 'id'])
    .execute();

  await db.schema
    .createTable('prices')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('disc', 'postage')`))
    .addColumn('medium', 'text')
    .addColumn('fen', 'integer', (c) => c.notNull().check(sql`fen >= 0`))
    .addColumn('effective_from', 'text', (c) => c.notNull())
    .addCheckConstraint('prices_medium', sql`(kind = 'postage' and medium is null) or (kind = 'disc' and ${MEDIA_CHECK})`)
    .addUniqueConstraint('prices_kind_medium_from', ['kind', 'medium', 'effective_from'])
    .execute();
  // NULLs are distinct in a UNIQUE constraint, so postage (medium NULL) needs its own index.
  await db.schema
    .createIndex('prices_postage_from')
    .unique()
    .on('prices')
    .columns(['kind', 'effective_from'])
    .where(sql.ref('medium'), 'is', null)
    .execute();

  await db.schema
    .createTable('disc_sets')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('subscriber_id', 'integer', (c) => c.notNull().references('subscribers.id'))
    .addColumn('pipeline', 'text', (c) => c.notNull())
    .addColumn('week', 'text', (c) => c.notNull())
    .addColumn('sequence', 'integer', (c) => c.notNull().check(sql`sequence >= 1`))
    .addColumn('build_id', 'integer', (c) => c.references('builds.id'))
    .addColumn('content_key', 'text', (c) => c.notNull())
    .addColumn('manifest_sha256', 'text', (c) => c.notNull())
    .addColumn('quiet', 'integer', (c) => c.notNull().check(sql`quiet in (0, 1)`))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('disc_sets_subscriber_pipeline_week', ['subscriber_id', 'pipeline', 'week'])
    .addUniqueConstraint('disc_sets_subscriber_sequence', ['subscriber_id', 'sequence'])
    .execute();
  await db.schema.createIndex('disc_sets_week').on('disc_sets').column('week').execute();

  await db.schema
    .createTable('disc_set_items')
    .addColumn('disc_set_id', 'integer', (c) => c.notNull().references('disc_sets.id'))
    .addColumn('revision_id', 'integer', (c) => c.notNull())
    .addColumn('kb', 'text')
    .addColumn('sha1', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('disc_set_items_pk', ['disc_set_id', 'revision_id', 'sha1'])
    .execute();

  await db.schema
    .createTable('discs')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('disc_set_id', 'integer', (c) => c.notNull().references('disc_sets.id'))
    .addColumn('number', 'integer', (c) => c.notNull().check(sql`number >= 1`))
    .addColumn('of_count', 'integer', (c) => c.notNull().check(sql`of_count >= number`))
    .addColumn('volume_id', 'text', (c) => c.notNull())
    .addColumn('iso_path', 'text', (c) => c.notNull())
    .addColumn('bytes', 'integer', (c) => c.notNull().check(sql`bytes >= 0`))
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addUniqueConstraint('discs_set_number', ['disc_set_id', 'number'])
    .execute();

  await db.schema
    .createTable('batches')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('week', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('shipments')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('batch_id', 'integer', (c) => c.notNull().references('batches.id'))
    .addColumn('subscriber_id', 'integer', (c) => c.notNull().references('subscribers.id'))
    .addColumn('week', 'text', (c) => c.notNull())
    .addColumn('medium', 'text', (c) => c.notNull().check(MEDIA_CHECK))
    .addColumn('copies', 'integer', (c) => c.notNull().check(sql`copies >= 1`))
    .addColumn('disc_count', 'integer', (c) => c.notNull().check(sql`disc_count >= 0`))
    .addColumn('fee_fen', 'integer', (c) => c.notNull().check(sql`fee_fen >= 0`))
    .addColumn('postage_fen', 'integer', (c) => c.notNull().check(sql`postage_fen >= 0 and postage_fen <= fee_fen`))
    .addColumn('reship_of', 'integer', (c) => c.references('shipments.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('shipments_one_per_batch')
    .unique()
    .on('shipments')
    .columns(['batch_id', 'subscriber_id'])
    .where(sql.ref('reship_of'), 'is', null)
    .execute();
  await db.schema.createIndex('shipments_week').on('shipments').columns(['week', 'id']).execute();
  await db.schema.createIndex('shipments_subscriber').on('shipments').columns(['subscriber_id', 'id']).execute();
  await db.schema.createIndex('shipments_reship_of').on('shipments').column('reship_of').execute();
  await db.schema.createIndex('shipments_batch').on('shipments').columns(['batch_id', 'id']).execute();

  await db.schema
    .createTable('shipment_discs')
    .addColumn('shipment_id', 'integer', (c) => c.notNull().references('shipments.id'))
    .addColumn('disc_id', 'integer', (c) => c.notNull().references('discs.id'))
    .addPrimaryKeyConstraint('shipment_discs_pk', ['shipment_id', 'disc_id'])
    .execute();

  await db.schema
    .createTable('shipment_events')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('shipment_id', 'integer', (c) => c.notNull().references('shipments.id'))
    .addColumn('status', 'text', (c) => c.notNull().check(STATUS_CHECK))
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('tracking', 'text')
    .addColumn('note', 'text')
    .execute();
  await db.schema
    .createIndex('shipment_events_shipment')
    .on('shipment_events')
    .columns(['shipment_id', 'id'])
    .execute();
  await db.schema
    .createView('shipment_latest_events')
    .as(
      sql`SELECT e.* FROM shipment_events e
        WHERE e.id = (SELECT max(l.id) FROM shipment_events l WHERE l.shipment_id = e.shipment_id)`,
    )
    .execute();

  for (const table of ['shipment_events', 'subscriber_events']) {
    for (const op of ['UPDATE', 'DELETE']) {
      const name = `${table}_no_${op.toLowerCase()}`;
      // Append-only: history is corrected by a later event, never rewritten.
      await sql`CREATE TRIGGER ${sql.id(name)} BEFORE ${sql.raw(op)} ON ${sql.table(table)}
        BEGIN SELECT RAISE(ABORT, ${sql.lit(`${table} is append-only`)}); END`.execute(db);
    }
  }

  await db.schema
    .createTable('keys')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('key_id', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('cert_path', 'text', (c) => c.notNull())
    .addColumn('key_path', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('not_after', 'text', (c) => c.notNull())
    .addColumn('active', 'integer', (c) => c.notNull().check(sql`active in (0, 1)`))
    .execute();
}
