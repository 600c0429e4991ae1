import { describe, expect, it } from 'vitest';
import { isPatchdiscError } from '../../../src/errors.ts';
import { startBuild } from '../../../src/ledger/builds.ts';
import { setPrice } from '../../../src/ledger/prices.ts';
import { recordWeek } from '../../../src/ledger/record-week.ts';
import type { Ledger } from '../../../src/ledger/open-ledger.ts';
import { NOW, countAll, discSet, insertSubscriber, withLedger } from './ledger-fixture.ts';

async function standardPrices(ledger: Ledger): Promise<void> {
  await setPrice(ledger, { kind: 'disc', medium: 'dvd', fen: 1500, effectiveFrom: '2024-01-01' });
  await setPrice(ledger, { kind: 'disc', medium: 'cd', fen: 800, effectiveFrom: '2024-01-01' });
  await setPrice(ledger, { kind: 'postage', fen: 2200, effectiveFrom: '2024-01-01' });
}

describe('recordWeek()', () => {
  it('records sets, discs, one shipment with fee and a prepared event; a rerun duplicates nothing', async () => {
    await withLedger(async (ledger) => {
      await standardPrices(ledger);
      const a = await insertSubscriber(ledger, 'ACME-01', { copies: 2 });
      const b = await insertSubscriber(ledger, 'BETA-02', { medium: 'cd' });
      const build = await startBuild(ledger, { pipeline: 'win11', week: '2025-W03', now: NOW });
      const input = { week: '2025-W03', buildId: build.id, now: NOW, sets: [discSet(a, 1, { discs: 3 }), discSet(b, 1)] };
      const first = await recordWeek(ledger, input);
      const counts = await countAll(ledger);
      expect(counts).toMatchObject({ batches: 1, disc_sets: 2, disc_set_items: 4, discs: 4, shipments: 2, shipment_discs: 4, shipment_events: 2 });
      const second = await recordWeek(ledger, { ...input, now: new Date('2025-01-16T00:00:00Z') });
      expect(await countAll(ledger)).toEqual(counts);
      expect(second).toEqual(first);
      expect(first.shipments.map((s) => [s.subscriberCode, s.status])).toEqual([['ACME-01', 'prepared'], ['BETA-02', 'prepared']]);
      const rows = ledger.sqlite.prepare('SELECT subscriber_id, medium, copies, disc_count, fee_fen, postage_fen FROM shipments ORDER BY id').all();
      expect(rows).toEqual([
        { subscriber_id: a, medium: 'dvd', copies: 2, disc_count: 6, fee_fen: 6 * 1500 + 2200, postage_fen: 2200 },
        { subscriber_id: b, medium: 'cd', copies: 1, disc_count: 1, fee_fen: 800 + 2200, postage_fen: 2200 },
      ]);
      expect(ledger.sqlite.prepare('SELECT DISTINCT actor, status FROM shipment_events').all()).toEqual([{ actor: 'build', status: 'prepared' }]);
    });
  });

  it('charges the prices in force on the week Monday when the price changes mid-month', async () => {
    await withLedger(async (ledger) => {
      await standardPrices(ledger);
      await setPrice(ledger, { kind: 'disc', medium: 'dvd', fen: 2000, effectiveFrom: '2025-01-13' });
      await setPrice(ledger, { kind: 'postage', fen: 2500, effectiveFrom: '2025-01-14' });
      const a = await insertSubscriber(ledger, 'ACME-01');
      await recordWeek(ledger, { week: '2025-W02', buildId: null, now: NOW, sets: [discSet(a, 1)] }); // Monday 2025-01-06
      await recordWeek(ledger, { week: '2025-W03', buildId: null, now: NOW, sets: [discSet(a, 2)] }); // Monday 2025-01-13
      await recordWeek(ledger, { week: '2025-W04', buildId: null, now: NOW, sets: [discSet(a, 3)] }); // Monday 2025-01-20
      const fees = ledger.sqlite.prepare('SELECT week, fee_fen, postage_fen FROM shipments ORDER BY week').all();
      expect(fees).toEqual([
        { week: '2025-W02', fee_fen: 1500 + 2200, postage_fen: 2200 },
        { week: '2025-W03', fee_fen: 2000 + 2200, postage_fen: 2200 },
        { week: '2025-W04', fee_fen: 2000 + 2500, postage_fen: 2500 },
      ]);
    });
  });

  it('extends a still-prepared shipment when another pipeline records later that week, once', async () => {
    await withLedger(async (ledger) => {
      await standardPrices(ledger);
      const a = await insertSubscriber(ledger, 'ACME-01', { pipelines: ['win11', 'server'] });
      await recordWeek(ledger, { week: '2025-W03', buildId: null, now: NOW, sets: [discSet(a, 1)] });
      const more = { week: '2025-W03', buildId: null, now: NOW, sets: [discSet(a, 2, { pipeline: 'server', discs: 2 })] };
      await recordWeek(ledger, more);
      await recordWeek(ledger, more);
      expect(ledger.sqlite.prepare('SELECT disc_count, fee_fen FROM shipments').all()).toEqual([{ disc_count: 3, fee_fen: 3 * 1500 + 2200 }]);
      expect(ledger.sqlite.prepare('SELECT count(*) FROM shipment_discs').pluck().get()).toBe(3);
      expect(ledger.sqlite.prepare('SELECT count(*) FROM shipment_events').pluck().get()).toBe(1);
    });
  });

  it('refuses a set that conflicts with one already recorded and rolls everything back', async () => {
    await withLedger(async (ledger) => {
      await standardPrices(ledger);
      const a = await insertSubscriber(ledger, 'ACME-01');
      const b = await insertSubscriber(ledger, 'BETA-02');
      await recordWeek(ledger, { week: '2025-W03', buildId: null, now: NOW, sets: [discSet(a, 1)] });
      const before = await countAll(ledger);
      const other = discSet(a, 1, { manifest: 'e'.repeat(64) });
      const err = await recordWeek(ledger, { week: '2025-W03', buildId: null, now: NOW, sets: [discSet(b, 1), other] }).catch((e: unknown) => e);
      expect(isPatchdiscError(err, 'LEDGER_ERROR')).toBe(true);
      const reused = await recordWeek(ledger, { week: '2025-W04', buildId: null, now: NOW, sets: [discSet(a, 1)] }).catch((e: unknown) => e);
      expect((reused as Error).message).toMatch(/sequence 1 is already used/);
      expect(await countAll(ledger)).toEqual(before);
    });
  });

  it('fails with CONFIG_INVALID naming the missing price, recording nothing', async () => {
    await withLedger(async (ledger) => {
      await setPrice(ledger, { kind: 'disc', medium: 'dvd', fen: 1500, effectiveFrom: '2025-02-01' });
      await setPrice(ledger, { kind: 'postage', fen: 2200, effectiveFrom: '2024-01-01' });
      const a = await insertSubscriber(ledger, 'ACME-01');
      const err = await recordWeek(ledger, { week: '2025-W03', buildId: null, now: NOW, sets: [discSet(a, 1)] }).catch((e: unknown) => e);
      expect(isPatchdiscError(err, 'CONFIG_INVALID')).toBe(true);
      expect((err as Error).message).toContain('no disc price for dvd in force on 2025-01-13');
      expect((await countAll(ledger))['disc_sets']).toBe(0);
      expect((await countAll(ledger))['batches']).toBe(0);
    });
  });

  it('keeps shipment events append-only: UPDATE and DELETE are refused', async () => {
    await withLedger(async (ledger) => {
      await standardPrices(ledger);
      const a = await insertSubscriber(ledger, 'ACME-01');
      await recordWeek(ledger, { week: '2025-W03', buildId: null, now: NOW, sets: [discSet(a, 1)] });
      expect(() => ledger.sqlite.prepare("UPDATE shipment_events SET status = 'delivered'").run()).toThrowError(/append-only/);
      expect(() => ledger.sqlite.prepare('DELETE FROM shipment_events').run()).toThrowError(/append-only/);
      await expect(ledger.db.deleteFrom('shipment_events').execute()).rejects.toThrowError(/append-only/);
      expect(ledger.sqlite.prepare('SELECT status FROM shipment_events').pluck().all()).toEqual(['prepared']);
    });
  });

  it('records a week of 10,000 subscribers in one transaction', async () => {
    await withLedger(async (ledger) => {
      await standardPrices(ledger);
      const insert = ledger.sqlite.prepare(
        `INSERT INTO subscribers (code, name, organisation, contact, phone, email, province, city, district, street,
           postcode, medium, copies, service_start, service_end, price_plan, notes, suspended, created_at)
         VALUES (?, 'n', 'o', 'c', '13800138000', '', 'p', 'c', 'd', 's', '100080', 'dvd', 1, '2025-01-01', '2025-12-31', 'std', '', 0, 'x')`,
      );
      ledger.sqlite.transaction(() => {
        for (let i = 0; i < 10_000; i++) insert.run(`S${String(i).padStart(5, '0')}`);
      })();
      const ids = ledger.sqlite.prepare('SELECT id FROM subscribers ORDER BY id').pluck().all() as number[];
      const sets = ids.map((id) => discSet(id, 1, { discs: 2 }));
      const started = performance.now();
      const result = await recordWeek(ledger, { week: '2025-W03', buildId: null, now: NOW, sets });
      const ms = performance.now() - started;
      process.stdout.write(`recordWeek: 10,000 subscribers, 20,000 discs in ${ms.toFixed(0)} ms\n`);
      expect(result.shipments).toHaveLength(10_000);
      expect(await countAll(ledger)).toMatchObject({ shipments: 10_000, discs: 20_000, shipment_discs: 20_000, disc_set_items: 20_000 });
    });
  });
});
