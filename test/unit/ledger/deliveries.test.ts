import { describe, expect, it } from 'vitest';
import { activeSubscribers, lastDiscSet, receivedItems } from '../../../src/ledger/deliveries.ts';
import { setPrice } from '../../../src/ledger/prices.ts';
import { recordWeek } from '../../../src/ledger/record-week.ts';
import { NOW, discSet, insertSubscriber, withLedger } from './ledger-fixture.ts';

describe('activeSubscribers()', () => {
  it('returns only subscribers of the pipeline in their service period and not suspended', async () => {
    await withLedger(async (ledger) => {
      await insertSubscriber(ledger, 'ACTIVE-1', { pipelines: ['win11', 'server'] });
      await insertSubscriber(ledger, 'EDGE-END', { end: '2025-01-13' });
      await insertSubscriber(ledger, 'EDGE-START', { start: '2025-01-13' });
      await insertSubscriber(ledger, 'EXPIRED', { end: '2025-01-12' });
      await insertSubscriber(ledger, 'FUTURE', { start: '2025-01-14' });
      await insertSubscriber(ledger, 'SUSPENDED', { suspended: true });
      await insertSubscriber(ledger, 'OTHER-PIPE', { pipelines: ['server'] });
      await insertSubscriber(ledger, 'NO-PIPE', { pipelines: [] });
      const active = await activeSubscribers(ledger, { pipeline: 'win11', date: '2025-01-13' });
      expect(active.map((s) => s.code)).toEqual(['ACTIVE-1', 'EDGE-END', 'EDGE-START']);
      expect(active[0]).toMatchObject({ medium: 'dvd', copies: 1, suspended: false, pipelines: ['server', 'win11'], postcode: '100080' });
      expect(await activeSubscribers(ledger, { pipeline: "win11' OR '1'='1", date: '2025-01-13' })).toEqual([]);
    });
  });
});

describe('receivedItems() and lastDiscSet()', () => {
  it('groups received files by revision with their first week and finds the highest sequence', async () => {
    await withLedger(async (ledger) => {
      await setPrice(ledger, { kind: 'disc', medium: 'dvd', fen: 1, effectiveFrom: '2024-01-01' });
      await setPrice(ledger, { kind: 'postage', fen: 1, effectiveFrom: '2024-01-01' });
      const a = await insertSubscriber(ledger, 'ACME-01', { pipelines: ['win11', 'server'] });
      expect(await lastDiscSet(ledger, a)).toBeUndefined();
      expect(await receivedItems(ledger, a, 'win11')).toEqual([]);
      await recordWeek(ledger, { week: '2025-W02', buildId: null, now: NOW, sets: [discSet(a, 1)] });
      const w3 = discSet(a, 2);
      w3.items = [{ revisionId: 101, sha1: 'd'.repeat(40) }, { revisionId: 102, sha1: 'e'.repeat(40) }];
      await recordWeek(ledger, { week: '2025-W03', buildId: null, now: NOW, sets: [w3, discSet(a, 3, { pipeline: 'server' })] });
      expect(await receivedItems(ledger, a, 'win11')).toEqual([
        { revisionId: 100, sha1s: ['a'.repeat(40)], week: '2025-W02' },
        { revisionId: 101, sha1s: ['b'.repeat(40), 'd'.repeat(40)], week: '2025-W02' },
        { revisionId: 102, sha1s: ['e'.repeat(40)], week: '2025-W03' },
      ]);
      expect(await lastDiscSet(ledger, a)).toEqual({ sequence: 3, manifestSha256: discSet(a, 3).manifestSha256, week: '2025-W03', pipeline: 'server' });
    });
  });
});
