import { describe, expect, it } from 'vitest';
import { isPatchdiscError, type PatchdiscError } from '../../../src/errors.ts';
import {
  addSubscriber,
  editSubscriber,
  expiringSubscribers,
  getSubscriber,
  listSubscribers,
  setSuspended,
} from '../../../src/ledger/subscribers.ts';
import { NOW, sample, withLedger } from './ledger-fixture.ts';

const ctx = { knownPipelines: ['win11', 'server'], now: NOW };

async function validationIssues(p: Promise<unknown>): Promise<string[]> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(isPatchdiscError(err, 'VALIDATION')).toBe(true);
  return ((err as PatchdiscError).details['issues'] as { field: string }[]).map((i) => i.field);
}

describe('addSubscriber()', () => {
  it('stores a valid subscriber and reads it back with defaults', async () => {
    await withLedger(async (ledger) => {
      const s = await addSubscriber(ledger, sample('ACME-01'), ctx);
      expect(s).toMatchObject({ code: 'ACME-01', copies: 2, pricePlan: 'standard', notes: '', suspended: false, pipelines: ['win11'] });
      expect(await getSubscriber(ledger, 'ACME-01')).toEqual(s);
      expect(ledger.sqlite.prepare('SELECT action FROM subscriber_events').pluck().all()).toEqual(['add']);
    });
  });

  it('lists every problem: code, postcode, phone, email, dates, unknown pipeline', async () => {
    await withLedger(async (ledger) => {
      const bad = sample('acme', {
        postcode: '10008',
        phone: '12345',
        email: 'not-mail',
        serviceStart: '2025-06-01',
        serviceEnd: '2025-05-31',
        pipelines: ['win11', 'nope'],
      });
      expect((await validationIssues(addSubscriber(ledger, bad, ctx))).sort()).toEqual(['code', 'email', 'phone', 'pipelines', 'postcode', 'serviceEnd']);
      expect(await listSubscribers(ledger)).toEqual([]);
    });
  });

  it('refuses a duplicate code', async () => {
    await withLedger(async (ledger) => {
      await addSubscriber(ledger, sample('ACME-01'), ctx);
      expect(await validationIssues(addSubscriber(ledger, sample('ACME-01'), ctx))).toEqual(['code']);
    });
  });
});

describe('editSubscriber() and setSuspended()', () => {
  it('changes fields, revalidates, keeps a pipeline no longer configured, and suspends', async () => {
    await withLedger(async (ledger) => {
      await addSubscriber(ledger, sample('ACME-01', { pipelines: ['win11', 'server'] }), ctx);
      const narrower = { ...ctx, knownPipelines: ['win11'] };
      const edited = await editSubscriber(ledger, 'ACME-01', { copies: 3, city: '天津市' }, narrower);
      expect(edited).toMatchObject({ copies: 3, city: '天津市', pipelines: ['server', 'win11'] });
      expect(await validationIssues(editSubscriber(ledger, 'ACME-01', { postcode: 'x' }, ctx))).toEqual(['postcode']);
      const missing = await editSubscriber(ledger, 'NOPE-1', {}, ctx).catch((e: unknown) => e);
      expect(isPatchdiscError(missing, 'NOT_FOUND')).toBe(true);
      await setSuspended(ledger, 'ACME-01', true, 'clerk-wang', NOW);
      expect((await getSubscriber(ledger, 'ACME-01'))?.suspended).toBe(true);
      expect(ledger.sqlite.prepare('SELECT action, actor FROM subscriber_events ORDER BY id').all()).toEqual([
        { action: 'add', actor: 'clerk' },
        { action: 'edit', actor: 'clerk' },
        { action: 'suspend', actor: 'clerk-wang' },
      ]);
      expect(() => ledger.sqlite.prepare('DELETE FROM subscriber_events').run()).toThrowError(/append-only/);
    });
  });
});

describe('listSubscribers() and expiringSubscribers()', () => {
  it('searches literally (LIKE wildcards and quotes are plain text) and filters by pipeline', async () => {
    await withLedger(async (ledger) => {
      await addSubscriber(ledger, sample('ACME-01', { name: '100%_safe' }), ctx);
      await addSubscriber(ledger, sample('BETA-02', { pipelines: ['server'] }), ctx);
      expect((await listSubscribers(ledger, { search: '%_' })).map((s) => s.code)).toEqual(['ACME-01']);
      expect((await listSubscribers(ledger, { search: 'beta' })).map((s) => s.code)).toEqual(['BETA-02']);
      expect(await listSubscribers(ledger, { search: "' OR '1'='1" })).toEqual([]);
      expect((await listSubscribers(ledger, { pipeline: 'server' })).map((s) => s.code)).toEqual(['BETA-02']);
      expect(await listSubscribers(ledger, { pipeline: "x' OR 1=1 --" })).toEqual([]);
    });
  });

  it('finds subscribers whose service ends within the window, not suspended ones', async () => {
    await withLedger(async (ledger) => {
      await addSubscriber(ledger, sample('SOON-1', { serviceEnd: '2025-02-10' }), ctx);
      await addSubscriber(ledger, sample('EDGE-2', { serviceEnd: '2025-02-14' }), ctx);
      await addSubscriber(ledger, sample('LATE-3', { serviceEnd: '2025-02-15' }), ctx);
      await addSubscriber(ledger, sample('GONE-4', { serviceEnd: '2025-01-14' }), ctx);
      await addSubscriber(ledger, sample('SUSP-5', { serviceEnd: '2025-02-01', suspended: true }), ctx);
      const soon = await expiringSubscribers(ledger, { date: '2025-01-15', withinDays: 30 });
      expect(soon.map((s) => s.code)).toEqual(['SOON-1', 'EDGE-2']);
    });
  });
});
