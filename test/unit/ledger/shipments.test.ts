import { describe, expect, it } from 'vitest';
import { isPatchdiscError } from '../../../src/errors.ts';
import { markShipment, reship } from '../../../src/ledger/mark-shipment.ts';
import type { Ledger } from '../../../src/ledger/open-ledger.ts';
import { setPrice } from '../../../src/ledger/prices.ts';
import { recordWeek } from '../../../src/ledger/record-week.ts';
import { listShipments, shipmentsCsv } from '../../../src/ledger/shipments.ts';
import { NOW, discSet, insertSubscriber, withLedger } from './ledger-fixture.ts';

const at = new Date('2025-01-20T10:00:00Z');

/** ACME-01 and BETA-02 in 2025-W03 (January), ACME-01 in 2025-W06 (February). Returns shipment ids. */
async function seed(ledger: Ledger): Promise<{ acme3: number; beta3: number; acme6: number }> {
  await setPrice(ledger, { kind: 'disc', medium: 'dvd', fen: 1000, effectiveFrom: '2024-01-01' });
  await setPrice(ledger, { kind: 'postage', fen: 500, effectiveFrom: '2024-01-01' });
  const a = await insertSubscriber(ledger, 'ACME-01');
  const b = await insertSubscriber(ledger, 'BETA-02');
  const w3 = await recordWeek(ledger, { week: '2025-W03', buildId: null, now: NOW, sets: [discSet(a, 1), discSet(b, 1, { discs: 2 })] });
  const w6 = await recordWeek(ledger, { week: '2025-W06', buildId: null, now: NOW, sets: [discSet(a, 2)] });
  const [acme3, beta3] = w3.shipments.map((s) => s.id) as [number, number];
  return { acme3, beta3, acme6: w6.shipments[0]?.id as number };
}

describe('markShipment()', () => {
  it('follows prepared → burned → mailed → delivered and refuses other transitions', async () => {
    await withLedger(async (ledger) => {
      const { acme3, beta3 } = await seed(ledger);
      const skip = await markShipment(ledger, acme3, { status: 'delivered', at, actor: 'clerk' }).catch((e: unknown) => e);
      expect(isPatchdiscError(skip, 'VALIDATION')).toBe(true);
      expect((skip as Error).message).toBe('Cannot mark shipment ' + acme3 + ' delivered: it is prepared; it can become burned or mailed');
      await markShipment(ledger, acme3, { status: 'burned', at, actor: 'mailroom' });
      await markShipment(ledger, acme3, { status: 'mailed', tracking: 'SF1234567890', at, actor: 'mailroom' });
      await markShipment(ledger, acme3, { status: 'mailed', tracking: 'SF1234567899', at, actor: 'mailroom', note: 'typo' });
      await markShipment(ledger, acme3, { status: 'delivered', at, actor: 'clerk' });
      const final = await markShipment(ledger, acme3, { status: 'lost', at, actor: 'clerk' }).catch((e: unknown) => e);
      expect((final as Error).message).toMatch(/it is delivered; that is final/);
      await markShipment(ledger, beta3, { status: 'mailed', at, actor: 'mailroom' }); // prepared → mailed directly
      const row = (await listShipments(ledger, { subscriber: 'ACME-01', week: '2025-W03' })).rows[0];
      expect(row).toMatchObject({ status: 'delivered', tracking: 'SF1234567899', mailedAt: at.toISOString() });
      const missing = await markShipment(ledger, 999, { status: 'burned', at, actor: 'x' }).catch((e: unknown) => e);
      expect(isPatchdiscError(missing, 'NOT_FOUND')).toBe(true);
    });
  });
});

describe('reship()', () => {
  it('creates one free shipment with the same discs for a lost one', async () => {
    await withLedger(async (ledger) => {
      const { beta3 } = await seed(ledger);
      const early = await reship(ledger, beta3, 'clerk', at).catch((e: unknown) => e);
      expect(isPatchdiscError(early, 'VALIDATION')).toBe(true);
      await markShipment(ledger, beta3, { status: 'mailed', at, actor: 'mailroom' });
      await markShipment(ledger, beta3, { status: 'lost', at, actor: 'clerk' });
      const id = await reship(ledger, beta3, 'clerk', at);
      const twice = await reship(ledger, beta3, 'clerk', at).catch((e: unknown) => e);
      expect((twice as Error).message).toContain(`reshipped as shipment ${id}`);
      const { rows, totalFeeFen } = await listShipments(ledger, { subscriber: 'BETA-02' });
      expect(rows.map((r) => [r.id, r.status, r.discs, r.feeFen, r.reshipOf])).toEqual([
        [id, 'prepared', 2, 0, beta3],
        [beta3, 'lost', 2, 2 * 1000 + 500, null],
      ]);
      expect(totalFeeFen).toBe(2500);
      const discs = ledger.sqlite.prepare('SELECT shipment_id, count(*) AS n FROM shipment_discs GROUP BY shipment_id HAVING shipment_id IN (?, ?)').all(beta3, id);
      expect(discs).toEqual([{ shipment_id: beta3, n: 2 }, { shipment_id: id, n: 2 }]);
    });
  });
});

describe('listShipments()', () => {
  it('filters by week, month, subscriber and status with totals over all matches', async () => {
    await withLedger(async (ledger) => {
      const { acme3, beta3, acme6 } = await seed(ledger);
      await markShipment(ledger, beta3, { status: 'mailed', tracking: 'EMS-0001', at, actor: 'mailroom' });
      const all = await listShipments(ledger);
      expect(all.rows.map((r) => r.id)).toEqual([acme6, beta3, acme3]);
      expect(all).toMatchObject({ total: 3, totalFeeFen: 1500 + 2500 + 1500 });
      expect((await listShipments(ledger, { month: '2025-01' })).rows.map((r) => r.id)).toEqual([beta3, acme3]);
      expect((await listShipments(ledger, { month: '2025-02' })).rows.map((r) => r.id)).toEqual([acme6]);
      expect((await listShipments(ledger, { status: 'mailed' })).rows.map((r) => [r.id, r.tracking])).toEqual([[beta3, 'EMS-0001']]);
      const paged = await listShipments(ledger, { subscriber: 'ACME-01', limit: 1, offset: 1 });
      expect(paged).toMatchObject({ total: 2, totalFeeFen: 3000 });
      expect(paged.rows.map((r) => r.id)).toEqual([acme3]);
      const csv = shipmentsCsv((await listShipments(ledger, { status: 'mailed' })).rows);
      expect(csv.split('\r\n')[1]).toMatch(new RegExp(`^${beta3},2025-W03,BETA-02,Name BETA-02,Org BETA-02,mailed,.*,dvd,1,2,25\\.00,5\\.00,EMS-0001,`));
    });
  });

  it('treats SQL-injection-looking filter values as plain data', async () => {
    await withLedger(async (ledger) => {
      await seed(ledger);
      expect(await listShipments(ledger, { subscriber: "ACME-01' OR '1'='1" })).toEqual({ rows: [], total: 0, totalFeeFen: 0 });
      expect(await listShipments(ledger, { subscriber: 'x"; DROP TABLE shipments; --' })).toMatchObject({ total: 0 });
      for (const bad of [{ week: "2025-W03' OR 1=1 --" }, { month: '2025-01; DROP TABLE shipments' }, { status: 'mailed OR 1=1' as 'mailed' }]) {
        const err = await listShipments(ledger, bad).catch((e: unknown) => e);
        expect(isPatchdiscError(err, 'VALIDATION'), JSON.stringify(bad)).toBe(true);
      }
      expect((await listShipments(ledger)).total).toBe(3);
    });
  });

  it('uses the week and subscriber indexes and one index seek for the latest event', async () => {
    await withLedger(async (ledger) => {
      await seed(ledger);
      const plan = (where: string) =>
        (ledger.sqlite
          .prepare(
            `EXPLAIN QUERY PLAN SELECT s.id FROM shipments s JOIN subscribers u ON u.id = s.subscriber_id
             JOIN shipment_events e ON e.shipment_id = s.id
               AND e.id = (SELECT max(l.id) FROM shipment_events l WHERE l.shipment_id = s.id)
             WHERE ${where} ORDER BY s.id DESC LIMIT 100`,
          )
          .all() as { detail: string }[])
          .map((r) => r.detail)
          .join('\n');
      expect(plan("s.week = '2025-W03'")).toMatch(/shipments_week/);
      expect(plan("u.code = 'ACME-01'")).toMatch(/shipments_subscriber/);
      expect(plan("s.week = '2025-W03'")).toMatch(/shipment_events_shipment/);
      expect(plan("s.week = '2025-W03'")).not.toMatch(/SCAN e\b|SCAN shipment_events/);
    });
  });
});
