/**
 * Migration 002: the shipment log's derived state, so that it no longer looks up every match's
 * latest event to filter by status and to total the matches.
 *
 * shipment_events stays the only source of truth (append-only). Two tables are indexes over it,
 * written by triggers alone, never by application code:
 * - shipment_state: per shipment, its latest event (highest id: status, at), the latest non-null
 *   tracking and the time of the latest 'mailed' event. AFTER INSERT triggers on shipment_events
 *   keep it, so the row equals the events whatever order their ids arrive in.
 * - shipment_totals: per (week, status), the count and fee total of the shipments in that state, so
 *   the log's totals over 1,000,000 shipments read at most a few hundred rows. Kept by triggers on
 *   shipment_state (a status change) and on shipments (recordWeek re-prices a prepared shipment).
 *
 * Both are rebuilt here from the existing events before the triggers are created.
 */
import { sql, type Kysely } from 'kysely';

/** The latest non-null tracking of shipment `id` (an SQL expression), from its events. */
const LATEST_TRACKING = (id: string) =>
  sql.raw(`(SELECT t.tracking FROM shipment_events t WHERE t.shipment_id = ${id} AND t.tracking IS NOT NULL ORDER BY t.id DESC LIMIT 1)`);

/** The time of the latest 'mailed' event of shipment `id` (an SQL expression), from its events. */
const LATEST_MAILED_AT = (id: string) =>
  sql.raw(`(SELECT m.at FROM shipment_events m WHERE m.shipment_id = ${id} AND m.status = 'mailed' ORDER BY m.id DESC LIMIT 1)`);

/** Adds shipment `idExpr`'s week and fee to shipment_totals under `statusExpr` (SQL expressions). */
const addToTotals = (idExpr: string, statusExpr: string) =>
  sql.raw(`INSERT INTO shipment_totals (week, status, shipments, fee_fen)
    SELECT s.week, ${statusExpr}, 1, s.fee_fen FROM shipments s WHERE s.id = ${idExpr}
    ON CONFLICT (week, status) DO UPDATE SET shipments = shipments + 1, fee_fen = fee_fen + excluded.fee_fen;`);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- written against the schema of its time, not today's Database type
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE TABLE shipment_state (
    shipment_id INTEGER PRIMARY KEY REFERENCES shipments (id),
    event_id INTEGER NOT NULL,
    status TEXT NOT NULL,
    at TEXT NOT NULL,
    tracking TEXT,
    mailed_at TEXT)`.execute(db);
  // Status filter, newest first: walk this index backwards.
  await sql`CREATE INDEX shipment_state_status ON shipment_state (status, shipment_id)`.execute(db);
  await sql`CREATE TABLE shipment_totals (
    week TEXT NOT NULL,
    status TEXT NOT NULL,
    shipments INTEGER NOT NULL,
    fee_fen INTEGER NOT NULL,
    PRIMARY KEY (week, status)) WITHOUT ROWID`.execute(db);

  await sql`INSERT INTO shipment_state (shipment_id, event_id, status, at, tracking, mailed_at)
    SELECT e.shipment_id, e.id, e.status, e.at, ${LATEST_TRACKING('e.shipment_id')}, ${LATEST_MAILED_AT('e.shipment_id')}
    FROM shipment_events e WHERE e.id = (SELECT max(l.id) FROM shipment_events l WHERE l.shipment_id = e.shipment_id)`.execute(db);
  await sql`INSERT INTO shipment_totals (week, status, shipments, fee_fen)
    SELECT s.week, st.status, count(*), sum(s.fee_fen) FROM shipment_state st JOIN shipments s ON s.id = st.shipment_id
    GROUP BY s.week, st.status`.execute(db);

  // An event with a higher id than the shipment's latest replaces status and time, and tracking or
  // mailed time when it has them: two PK operations per insert, as recordWeek inserts 10,000 at once.
  await sql`CREATE TRIGGER shipment_events_state AFTER INSERT ON shipment_events BEGIN
    INSERT INTO shipment_state (shipment_id, event_id, status, at, tracking, mailed_at)
      VALUES (NEW.shipment_id, NEW.id, NEW.status, NEW.at, NEW.tracking, CASE WHEN NEW.status = 'mailed' THEN NEW.at END)
      ON CONFLICT (shipment_id) DO UPDATE SET event_id = excluded.event_id, status = excluded.status, at = excluded.at,
        tracking = coalesce(excluded.tracking, tracking), mailed_at = coalesce(excluded.mailed_at, mailed_at)
      WHERE excluded.event_id > event_id;
    END`.execute(db);
  // An event inserted with an explicit id below the latest one leaves status and time alone but may be
  // the latest with tracking or the latest 'mailed': recompute those two from the events.
  await sql`CREATE TRIGGER shipment_events_state_late AFTER INSERT ON shipment_events
    WHEN NEW.id < (SELECT st.event_id FROM shipment_state st WHERE st.shipment_id = NEW.shipment_id) BEGIN
    UPDATE shipment_state SET
        tracking = ${LATEST_TRACKING('shipment_state.shipment_id')},
        mailed_at = ${LATEST_MAILED_AT('shipment_state.shipment_id')}
      WHERE shipment_id = NEW.shipment_id;
    END`.execute(db);
  await sql`CREATE TRIGGER shipment_state_totals_insert AFTER INSERT ON shipment_state BEGIN
    ${addToTotals('NEW.shipment_id', 'NEW.status')}
    END`.execute(db);
  await sql`CREATE TRIGGER shipment_state_totals_update AFTER UPDATE OF status ON shipment_state
    WHEN OLD.status IS NOT NEW.status BEGIN
    UPDATE shipment_totals SET shipments = shipments - 1,
        fee_fen = fee_fen - (SELECT s.fee_fen FROM shipments s WHERE s.id = OLD.shipment_id)
      WHERE week = (SELECT s.week FROM shipments s WHERE s.id = OLD.shipment_id) AND status = OLD.status;
    ${addToTotals('NEW.shipment_id', 'NEW.status')}
    END`.execute(db);
  // A shipment without state (no event yet) is in no total: both statements then match no row.
  await sql`CREATE TRIGGER shipments_totals_update AFTER UPDATE OF week, fee_fen ON shipments BEGIN
    UPDATE shipment_totals SET shipments = shipments - 1, fee_fen = fee_fen - OLD.fee_fen
      WHERE week = OLD.week AND status = (SELECT st.status FROM shipment_state st WHERE st.shipment_id = OLD.id);
    INSERT INTO shipment_totals (week, status, shipments, fee_fen)
      SELECT NEW.week, st.status, 1, NEW.fee_fen FROM shipment_state st WHERE st.shipment_id = NEW.id
      ON CONFLICT (week, status) DO UPDATE SET shipments = shipments + 1, fee_fen = fee_fen + excluded.fee_fen;
    END`.execute(db);
  // Statistics for the planner only when there is something to measure: those of an empty table
  // would describe it as empty long after it has grown.
  const filled = await sql<{ n: number }>`SELECT count(*) AS n FROM (SELECT 1 FROM shipment_state LIMIT 1)`.execute(db);
  if (Number(filled.rows[0]?.n) > 0) await sql`ANALYZE shipment_state`.execute(db);
}
