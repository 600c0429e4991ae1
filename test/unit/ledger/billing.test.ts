import { describe, expect, it } from 'vitest';
import { isPatchdiscError } from '../../../src/errors.ts';
import { billingStatement, billingStatementCsv, formatYuan } from '../../../src/ledger/billing.ts';
import { markShipment, reship } from '../../../src/ledger/mark-shipment.ts';
import { missingPrices, priceAt, setPrice } from '../../../src/ledger/prices.ts';
import { recordWeek } from '../../../src/ledger/record-week.ts';
import { NOW, discSet, insertSubscriber, withLedger } from './ledger-fixture.ts';

describe('setPrice() and priceAt()', () => {
  it('answers the price in force on a date, replaces a same-day price, and validates', async () => {
    await withLedger(async (ledger) => {
      expect(await missingPrices(ledger, { date: '2025-01-13', media: ['dvd', 'cd'] })).toEqual(['disc price for dvd', 'disc price for cd', 'postage']);
      await setPrice(ledger, { kind: 'disc', medium: 'dvd', fen: 1500, effectiveFrom: '2025-01-01' });
      await setPrice(ledger, { kind: 'disc', medium: 'dvd', fen: 1800, effectiveFrom: '2025-01-15' });
      await setPrice(ledger, { kind: 'disc', medium: 'dvd', fen: 1700, effectiveFrom: '2025-01-15' });
      await setPrice(ledger, { kind: 'postage', fen: 2200, effectiveFrom: '2025-01-01' });
      await setPrice(ledger, { kind: 'postage', fen: 2300, effectiveFrom: '2025-01-01' });
      expect(await priceAt(ledger, 'disc', 'dvd', '2024-12-31')).toBeUndefined();
      expect(await priceAt(ledger, 'disc', 'dvd', '2025-01-14')).toBe(1500);
      expect(await priceAt(ledger, 'disc', 'dvd', '2025-01-15')).toBe(1700);
      expect(await priceAt(ledger, 'postage', null, '2025-03-01')).toBe(2300);
      expect(ledger.sqlite.prepare('SELECT count(*) FROM prices').pluck().get()).toBe(3);
      for (const bad of [
        { kind: 'disc' as const, fen: 1, effectiveFrom: '2025-01-01' },
        { kind: 'postage' as const, medium: 'cd' as const, fen: 1, effectiveFrom: '2025-01-01' },
        { kind: 'postage' as const, fen: -1, effectiveFrom: '2025-01-01' },
        { kind: 'postage' as const, fen: 1.5, effectiveFrom: '2025-02-30' },
      ]) {
        const err = await setPrice(ledger, bad).catch((e: unknown) => e);
        expect(isPatchdiscError(err, 'VALIDATION'), JSON.stringify(bad)).toBe(true);
      }
    });
  });
});

describe('billingStatement()', () => {
  it('totals a month per subscriber with the price in force each week, leaving reships out', async () => {
    await withLedger(async (ledger) => {
      await setPrice(ledger, { kind: 'disc', medium: 'dvd', fen: 1000, effectiveFrom: '2024-01-01' });
      await setPrice(ledger, { kind: 'postage', fen: 500, effectiveFrom: '2024-01-01' });
      await setPrice(ledger, { kind: 'disc', medium: 'dvd', fen: 1200, effectiveFrom: '2025-01-15' }); // mid-month
      const a = await insertSubscriber(ledger, 'ACME-01', { copies: 2 });
      const b = await insertSubscriber(ledger, 'BETA-02');
      // W03 Monday 2025-01-13 (old price), W04 Monday 2025-01-20 (new), W06 Monday 2025-02-03 (February).
      const w3 = await recordWeek(ledger, { week: '2025-W03', buildId: null, now: NOW, sets: [discSet(a, 1), discSet(b, 1)] });
      await recordWeek(ledger, { week: '2025-W04', buildId: null, now: NOW, sets: [discSet(a, 2, { discs: 2 })] });
      await recordWeek(ledger, { week: '2025-W06', buildId: null, now: NOW, sets: [discSet(a, 3)] });
      const lost = w3.shipments[1]?.id as number;
      await markShipment(ledger, lost, { status: 'mailed', at: NOW, actor: 'm' });
      await markShipment(ledger, lost, { status: 'lost', at: NOW, actor: 'm' });
      await reship(ledger, lost, 'clerk', NOW);

      const st = await billingStatement(ledger, { month: '2025-01' });
      expect(st.weeks).toEqual(['2025-W02', '2025-W03', '2025-W04', '2025-W05']);
      expect(st.subscribers.map((s) => [s.code, s.shipments, s.discs, s.discFeesFen, s.postageFen, s.totalFen])).toEqual([
        ['ACME-01', 2, 2 + 4, 2 * 1000 + 4 * 1200, 1000, 2 * 1000 + 4 * 1200 + 1000],
        ['BETA-02', 1, 1, 1000, 500, 1500],
      ]);
      expect(st.subscribers[1]?.lines[0]?.status).toBe('lost');
      expect(st.totals).toEqual({ shipments: 3, discs: 7, discFeesFen: 7800, postageFen: 1500, totalFen: 9300 });
      const one = await billingStatement(ledger, { month: '2025-01', subscriber: 'BETA-02' });
      expect(one.subscribers.map((s) => s.code)).toEqual(['BETA-02']);
      expect((await billingStatement(ledger, { month: '2025-02' })).totals.totalFen).toBe(2 * 1200 + 500);

      const csv = billingStatementCsv(st);
      expect(csv).toContain('\r\nACME-01,Org ACME-01,total,2,,,6,68.00,10.00,78.00,\r\n');
      expect(formatYuan(5)).toBe('0.05');
    });
  });
});
