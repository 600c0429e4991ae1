import { describe, expect, it } from 'vitest';
import { isPatchdiscError, type PatchdiscError } from '../../../src/errors.ts';
import { parseCsv } from '../../../src/ledger/csv.ts';
import { exportSubscribersCsv, importSubscribersCsv } from '../../../src/ledger/subscriber-csv.ts';
import { addSubscriber, getSubscriber, listSubscribers } from '../../../src/ledger/subscribers.ts';
import { NOW, countAll, sample, withLedger } from './ledger-fixture.ts';

const opts = { knownPipelines: ['win11', 'server'], now: NOW };
const HEADER = 'code,name,organisation,contact,phone,email,province,city,district,street,postcode,medium,copies,service_start,service_end,pipelines';
const row = (code: string, over: { phone?: string; postcode?: string; end?: string; pipelines?: string; name?: string } = {}) =>
  `${code},${over.name ?? '单位'},研究所,王五,${over.phone ?? '13900139000'},,广东省,深圳市,南山区,"科技园, 1 栋",${over.postcode ?? '518057'},cd,1,2025-01-01,${over.end ?? '2025-12-31'},${over.pipelines ?? 'win11;server'}`;

describe('importSubscribersCsv()', () => {
  it('imports a clean file and updates rows whose code exists', async () => {
    await withLedger(async (ledger) => {
      await addSubscriber(ledger, sample('OLD-01'), opts);
      const text = [HEADER, row('NEW-01'), row('OLD-01', { name: '改名' })].join('\r\n');
      expect(await importSubscribersCsv(ledger, text, opts)).toEqual({ added: 1, updated: 1 });
      expect(await getSubscriber(ledger, 'NEW-01')).toMatchObject({ street: '科技园, 1 栋', medium: 'cd', pipelines: ['server', 'win11'] });
      expect((await getSubscriber(ledger, 'OLD-01'))?.name).toBe('改名');
    });
  });

  it('is all-or-nothing and lists every error with its line', async () => {
    await withLedger(async (ledger) => {
      const text = [
        HEADER,
        row('GOOD-01'),
        row('BAD-02', { postcode: '5180' }),
        '',
        row('bad3', { phone: 'call me', end: '2024-12-31' }),
        row('GOOD-01'),
        row('PIPE-05', { pipelines: 'win11;vista' }),
        'SHORT-06,only',
      ].join('\n');
      const err = await importSubscribersCsv(ledger, text, opts).catch((e: unknown) => e);
      expect(isPatchdiscError(err, 'VALIDATION')).toBe(true);
      const errors = (err as PatchdiscError).details['errors'] as { line: number; field: string }[];
      expect(errors.map((e) => `${e.line}:${e.field}`)).toEqual([
        '3:postcode',
        '5:code',
        '5:phone',
        '5:serviceEnd',
        '6:code',
        '7:pipelines',
        '8:row',
      ]);
      expect((err as Error).message).toContain('line 6 code: GOOD-01 is repeated (first on line 2)');
      expect((await countAll(ledger))['subscribers']).toBe(0);
    });
  });

  it('rejects unknown and missing columns in the header', async () => {
    await withLedger(async (ledger) => {
      const err = await importSubscribersCsv(ledger, 'code,name,colour\nA1,x,red\n', opts).catch((e: unknown) => e);
      const errors = (err as PatchdiscError).details['errors'] as { line: number; field: string; message: string }[];
      expect(errors[0]).toEqual({ line: 1, field: 'colour', message: 'unknown column' });
      expect(errors.some((e) => e.field === 'postcode' && e.message === 'missing column')).toBe(true);
    });
  });
});

describe('exportSubscribersCsv()', () => {
  it('neutralises formula cells and round-trips through import unchanged', async () => {
    await withLedger(async (ledger) => {
      await addSubscriber(ledger, sample('ACME-01', { notes: '=HYPERLINK("http://evil.example","点我")', phone: '+86 13800138000' }), opts);
      await addSubscriber(ledger, sample('BETA-02', { suspended: true, pipelines: ['server', 'win11'] }), opts);
      const before = await listSubscribers(ledger);
      const text = await exportSubscribersCsv(ledger);
      expect(text.startsWith('\uFEFFcode,name,')).toBe(true);
      expect(text).toContain(`"'=HYPERLINK(""http://evil.example"",""点我"")"`);
      expect(text).toContain("'+86 13800138000");
      for (const rec of parseCsv(text)) for (const cell of rec.cells) expect(cell).not.toMatch(/^[=+\-@]/);
      expect(await importSubscribersCsv(ledger, text, opts)).toEqual({ added: 0, updated: 2 });
      expect(await listSubscribers(ledger)).toEqual(before);
    });
  });
});
