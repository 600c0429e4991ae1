import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, applyMigrations } from '../../../src/ledger/migrations.ts';
import { openLedger, type Ledger } from '../../../src/ledger/open-ledger.ts';
import { setPrice } from '../../../src/ledger/prices.ts';
import type { Database } from '../../../src/ledger/schema.ts';
import { recordWeek } from '../../../src/ledger/record-week.ts';
import { checkShipmentFilter, listShipments, shipmentPageQuery, SHIPMENT_STATUSES, type ShipmentFilter } from '../../../src/ledger/shipments.ts';
import { makeTempDir } from '../../helpers/tools.ts';
import { NOW, discSet, insertSubscriber, withLedger } from './ledger-fixture.ts';

/** What shipment_state must hold, computed straight from shipment_events (highest id wins). */
const EXPECTED_STATE = `
  SELECT e.shipment_id, e.id AS event_id, e.status, e.at,
    (SELECT t.tracking FROM shipment_events t WHERE t.shipment_id = e.shipment_id AND t.tracking IS NOT NULL ORDER BY t.id DESC LIMIT 1) AS tracking,
    (SELECT m.at FROM shipment_events m WHERE m.shipment_id = e.shipment_id AND m.status = 'mailed' ORDER BY m.id DESC LIMIT 1) AS mailed_at
  FROM shipment_events e WHERE e.id = (SELECT max(l.id) FROM shipment_events l WHERE l.shipment_id = e.shipment_id)
  ORDER BY e.shipment_id`;

/** What shipment_totals must hold (rows of zero left out), from shipments and their latest events. */
const EXPECTED_TOTALS = `
  SELECT s.week, e.status, count(*) AS shipments, sum(s.fee_fen) AS fee_fen
  FROM shipments s JOIN shipment_events e ON e.shipment_id = s.id
    AND e.id = (SELECT max(l.id) FROM shipment_events l WHERE l.shipment_id = s.id)
  GROUP BY s.week, e.status ORDER BY s.week, e.status`;

function expectDerivedEqualsEvents(ledger: Ledger): void {
  const q = (text: string) => ledger.sqlite.prepare(text).all();
  expect(q('SELECT shipment_id, event_id, status, at, tracking, mailed_at FROM shipment_state ORDER BY shipment_id')).toEqual(q(EXPECTED_STATE));
  expect(q('SELECT week, status, shipments, fee_fen FROM shipment_totals WHERE shipments <> 0 ORDER BY week, status')).toEqual(q(EXPECTED_TOTALS));
  expect(q('SELECT count(*) AS n FROM shipment_totals WHERE shipments = 0 AND fee_fen <> 0')).toEqual([{ n: 0 }]);
}

/** Deterministic pseudo-random integers in [0, n) (a 32-bit LCG), so a failure repeats. */
function lcg(seed: number): (n: number) => number {
  let x = seed >>> 0;
  return (n) => {
    x = (Math.imul(x, 1_664_525) + 1_013_904_223) >>> 0;
    return x % n;
  };
}

/** `count` shipments of 2025-W03 and 2025-W06 (raw rows, fees 100 × i), with no events yet. */
function insertShipments(ledger: Ledger, subscriberId: number, count: number): number[] {
  const db = ledger.sqlite;
  db.prepare("INSERT INTO batches (id, week, created_at) VALUES (1, '2025-W03', 'x'), (2, '2025-W06', 'x')").run();
  const add = db.prepare(
    `INSERT INTO shipments (batch_id, subscriber_id, week, medium, copies, disc_count, fee_fen, postage_fen, reship_of, created_at)
     VALUES (?, ?, ?, 'dvd', 1, 1, ?, 0, ?, 'x')`,
  );
  // Each shipment of batch 2 reships one of batch 1, so the unique (batch, subscriber) index allows them all.
  return Array.from({ length: count }, (_, i) => {
    const batch = 1 + (i % 2);
    return Number(add.run(batch, subscriberId, batch === 1 ? '2025-W03' : '2025-W06', 100 * (i + 1), i === 0 ? null : 1).lastInsertRowid);
  });
}

describe('shipment_state and shipment_totals (migration 002)', () => {
  it('equal the latest event whatever order event ids are inserted in', async () => {
    await withLedger(async (ledger) => {
      const a = await insertSubscriber(ledger, 'ACME-01');
      const ids = insertShipments(ledger, a, 12);
      const add = ledger.sqlite.prepare('INSERT INTO shipment_events (id, shipment_id, status, at, actor, tracking) VALUES (?, ?, ?, ?, ?, ?)');
      const rand = lcg(7);
      // 120 events with ids 1..120 spread over the shipments, inserted in a shuffled order.
      const events = Array.from({ length: 120 }, (_, i) => ({
        id: i + 1,
        shipment: ids[rand(ids.length)] as number,
        status: SHIPMENT_STATUSES[rand(SHIPMENT_STATUSES.length)] as string,
        tracking: rand(3) === 0 ? `SF${String(i).padStart(6, '0')}` : null,
      }));
      for (let i = events.length - 1; i > 0; i -= 1) {
        const j = rand(i + 1);
        [events[i], events[j]] = [events[j]!, events[i]!];
      }
      for (const [n, e] of events.entries()) {
        add.run(e.id, e.shipment, e.status, `2025-01-${String(1 + (e.id % 28)).padStart(2, '0')}T00:00:00.000Z`, 'test', e.tracking);
        if (n % 10 === 9) expectDerivedEqualsEvents(ledger);
      }
      expectDerivedEqualsEvents(ledger);
      // Ascending and descending runs on one shipment, then an ordinary (generated id) event.
      const [s1] = ids as [number];
      for (const id of [200, 150, 300, 250]) add.run(id, s1, id % 100 === 0 ? 'mailed' : 'lost', `t${id}`, 'test', `TR${id}`);
      ledger.sqlite.prepare("INSERT INTO shipment_events (shipment_id, status, at, actor) VALUES (?, 'delivered', 'later', 'test')").run(s1);
      expectDerivedEqualsEvents(ledger);
      expect(ledger.sqlite.prepare('SELECT status, tracking, mailed_at FROM shipment_state WHERE shipment_id = ?').get(s1)).toEqual({
        status: 'delivered',
        tracking: 'TR300',
        mailed_at: 't300',
      });
      // A re-priced or re-dated shipment moves its fee between totals.
      ledger.sqlite.prepare("UPDATE shipments SET fee_fen = fee_fen + 55, week = '2025-W06' WHERE id IN (?, ?)").run(ids[0], ids[2]);
      expectDerivedEqualsEvents(ledger);
    });
  });

  it('follow recordWeek, markShipment-style events and listShipments totals', async () => {
    await withLedger(async (ledger) => {
      await setPrice(ledger, { kind: 'disc', medium: 'dvd', fen: 1000, effectiveFrom: '2024-01-01' });
      await setPrice(ledger, { kind: 'postage', fen: 500, effectiveFrom: '2024-01-01' });
      const a = await insertSubscriber(ledger, 'ACME-01', { pipelines: ['win10', 'win11'] });
      const b = await insertSubscriber(ledger, 'BETA-02');
      await recordWeek(ledger, { week: '2025-W03', buildId: null, now: NOW, sets: [discSet(a, 1, { pipeline: 'win10' }), discSet(b, 1)] });
      // A second pipeline's set joins ACME's prepared shipment: recordWeek re-prices it in place.
      await recordWeek(ledger, { week: '2025-W03', buildId: null, now: NOW, sets: [discSet(a, 2, { pipeline: 'win11', discs: 2 })] });
      expectDerivedEqualsEvents(ledger);
      const all = await listShipments(ledger);
      const direct = ledger.sqlite.prepare('SELECT count(*) AS n, sum(fee_fen) AS fee FROM shipments').get() as { n: number; fee: number };
      expect(all).toMatchObject({ total: direct.n, totalFeeFen: direct.fee });
      expect(all.totalFeeFen).toBe(3 * 1000 + 500 + (1000 + 500));
      const prepared = await listShipments(ledger, { status: 'prepared', week: '2025-W03' });
      expect(prepared.total).toBe(2);
      expect((await listShipments(ledger, { status: 'mailed' })).total).toBe(0);
    });
  });

  it('are rebuilt from existing events when migration 002 is applied to an older ledger', async () => {
    const tmp = makeTempDir();
    try {
      const path = join(tmp.dir, 'patchdisc.db');
      const sqlite = new BetterSqlite3(path);
      const old: Ledger = { db: new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) }), sqlite, path, close: async () => {} };
      expect(await applyMigrations(old.db, path, MIGRATIONS.filter((m) => m.id === 1))).toEqual([1]);
      const a = await insertSubscriber(old, 'ACME-01');
      const ids = insertShipments(old, a, 4);
      const add = sqlite.prepare('INSERT INTO shipment_events (id, shipment_id, status, at, actor, tracking) VALUES (?, ?, ?, ?, ?, ?)');
      for (const [id, s, status, tracking] of [[9, 0, 'mailed', 'X1'], [3, 0, 'prepared', null], [12, 0, 'delivered', null], [5, 1, 'mailed', 'Y'], [4, 2, 'prepared', null]] as const) {
        add.run(id, ids[s], status, `at${id}`, 'test', tracking);
      }
      await old.db.destroy();
      const ledger = await openLedger(path);
      try {
        const applied = ledger.sqlite.prepare('SELECT id FROM schema_migrations ORDER BY id').pluck().all();
        expect(applied).toEqual(MIGRATIONS.map((m) => m.id));
        expectDerivedEqualsEvents(ledger);
        expect(ledger.sqlite.prepare('SELECT count(*) FROM shipment_state').pluck().get()).toBe(3);
        ledger.sqlite.prepare("INSERT INTO shipment_events (shipment_id, status, at, actor) VALUES (?, 'lost', 'at20', 'test')").run(ids[1]);
        expectDerivedEqualsEvents(ledger);
      } finally {
        await ledger.close();
      }
    } finally {
      tmp.remove();
    }
  });
});

describe('shipmentPageQuery()', () => {
  /** A full scan of anything but `p`, the page of at most `limit` ids the query is driven by. */
  const SCAN_OF_A_TABLE = /\bSCAN (?!p$)/m;

  /** The query plan of listShipments' page query for `filter`, one line per step. */
  function plan(ledger: Ledger, filter: ShipmentFilter): string {
    const compiled = shipmentPageQuery(ledger.db, checkShipmentFilter(filter)).compile();
    const rows = ledger.sqlite.prepare(`EXPLAIN QUERY PLAN ${compiled.sql}`).all(...(compiled.parameters as unknown[])) as { detail: string }[];
    return rows.map((r) => r.detail).join('\n');
  }

  it('pages through the status, week and subscriber indexes and scans no table, with or without statistics', async () => {
    await withLedger(async (ledger) => {
      const a = await insertSubscriber(ledger, 'ACME-01');
      // Enough subscribers that, once analyzed, a table scan of them is not the cheap way.
      for (let i = 2; i <= 50; i += 1) await insertSubscriber(ledger, `S-${i}`, { pipelines: [] });
      const ids = insertShipments(ledger, a, 40);
      const add = ledger.sqlite.prepare("INSERT INTO shipment_events (shipment_id, status, at, actor) VALUES (?, ?, 'x', 'test')");
      ids.forEach((id, i) => add.run(id, SHIPMENT_STATUSES[i % SHIPMENT_STATUSES.length]));
      for (const analyzed of [false, true]) {
        if (analyzed) ledger.sqlite.exec('ANALYZE');
        const byStatus = plan(ledger, { status: 'lost', limit: 10, offset: 5 });
        expect(byStatus, byStatus).toMatch(/USING (COVERING )?INDEX shipment_state_status \(status=\?\)/);
        expect(byStatus, byStatus).not.toMatch(SCAN_OF_A_TABLE);
        const weekAndStatus = plan(ledger, { status: 'lost', week: '2025-W03' });
        expect(weekAndStatus, weekAndStatus).toMatch(/INDEX shipments_week \(week=\?\)/);
        expect(weekAndStatus, weekAndStatus).not.toMatch(SCAN_OF_A_TABLE);
        for (const [filter, index] of [[{ month: '2025-01' }, 'shipments_week'], [{ subscriber: 'ACME-01', status: 'lost' }, 'shipments_subscriber']] as const) {
          const p = plan(ledger, filter);
          expect(p, p).toMatch(new RegExp(`INDEX ${index} \\(`));
          expect(p, p).not.toMatch(SCAN_OF_A_TABLE);
        }
      }
      expect((await listShipments(ledger, { status: 'lost', limit: 2 })).rows.map((r) => r.id)).toEqual(
        ids.filter((_, i) => SHIPMENT_STATUSES[i % SHIPMENT_STATUSES.length] === 'lost').reverse().slice(0, 2),
      );
    });
  });
});
