import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../../src/ledger/csv.ts';
import { createClerkApp } from '../../../src/web/create-app.ts';
import { FORMULA_NAME, NOW, SCRIPT_NAME, withSeededLedger } from './clerk-fixture.ts';

/** Shipment ids shown in the log table, in order. */
function rowIds(page: string): number[] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(page)?.[1] ?? '';
  return [...body.matchAll(/<a href="\/shipments\/(\d+)">\1<\/a>/g)].map((m) => Number(m[1]));
}

describe('GET /shipments', () => {
  it('lists every shipment newest first with the count and fee total, in Chinese by default', async () => {
    await withSeededLedger(async ({ ledger, shipments: s }) => {
      const app = createClerkApp({ ledger, now: () => NOW });
      const res = await app.request('/shipments');
      expect(res.status).toBe(200);
      const page = await res.text();
      expect(page).toContain('<html lang="zh-CN">');
      expect(rowIds(page)).toEqual([s.acme6, s.evil3, s.beta3, s.acme3]);
      expect(page).toContain('共 4 件，合计 ¥81.70');
      expect(page).toContain('¥29.68');
    });
  });

  it('filters by month, week, subscriber and status, totals covering only the matches', async () => {
    await withSeededLedger(async ({ ledger, shipments: s }) => {
      const app = createClerkApp({ ledger, now: () => NOW });
      const jan = await (await app.request('/shipments?month=2025-01')).text();
      expect(rowIds(jan)).toEqual([s.evil3, s.beta3, s.acme3]);
      expect(jan).toContain('共 3 件，合计 ¥64.36');
      expect(rowIds(await (await app.request('/shipments?week=2025-W06')).text())).toEqual([s.acme6]);
      expect(rowIds(await (await app.request('/shipments?subscriber=ACME-01')).text())).toEqual([s.acme6, s.acme3]);
      expect(rowIds(await (await app.request('/shipments?month=2025-01&subscriber=BETA-02')).text())).toEqual([s.beta3]);
      expect(rowIds(await (await app.request('/shipments?status=mailed')).text())).toEqual([]);
      expect(rowIds(await (await app.request('/shipments?status=prepared&month=2025-02')).text())).toEqual([s.acme6]);
    });
  });

  it('pages through the log, keeping the filter in the paging links', async () => {
    await withSeededLedger(async ({ ledger, shipments: s }) => {
      const app = createClerkApp({ ledger, now: () => NOW, pageSize: 2 });
      const first = await (await app.request('/shipments?month=2025-01')).text();
      expect(rowIds(first)).toEqual([s.evil3, s.beta3]);
      expect(first).toContain('第 1 / 2 页');
      expect(first).toContain('href="/shipments?month=2025-01&amp;page=2"');
      expect(first).toContain('共 3 件，合计 ¥64.36');
      const second = await (await app.request('/shipments?month=2025-01&page=2')).text();
      expect(rowIds(second)).toEqual([s.acme3]);
      expect(second).toContain('href="/shipments?month=2025-01"');
      expect(second).not.toContain('rel="next"');
    });
  });

  it('shows a bad filter value as a 400 message, never a 500', async () => {
    await withSeededLedger(async ({ ledger }) => {
      const app = createClerkApp({ ledger, now: () => NOW });
      for (const q of ['month=2025-13', 'week=2025-W99', 'status=shipped']) {
        const res = await app.request(`/shipments?${q}`);
        expect(res.status, q).toBe(400);
        expect(await res.text()).toContain('role="alert"');
      }
    });
  });

  it('treats SQL in every filter as a plain value: no extra rows, no 500', async () => {
    await withSeededLedger(async ({ ledger }) => {
      const app = createClerkApp({ ledger, now: () => NOW });
      const attack = "' OR 1=1 --";
      for (const key of ['subscriber', 'month', 'week', 'status', 'page']) {
        const res = await app.request(`/shipments?${key}=${encodeURIComponent(attack)}`);
        expect([200, 400], key).toContain(res.status);
        const page = await res.text();
        if (key !== 'page') expect(rowIds(page), key).toEqual([]);
        expect(page).not.toContain("' OR 1=1");
      }
      const csv = await app.request(`/shipments.csv?subscriber=${encodeURIComponent(attack)}`);
      expect(csv.status).toBe(200);
      expect(parseCsv(await csv.text())).toHaveLength(1); // the header only
      expect((await ledger.db.selectFrom('subscribers').select('id').execute()).length).toBe(3);
    });
  });

  it('escapes a subscriber name holding <script> and a filter value holding markup', async () => {
    await withSeededLedger(async ({ ledger }) => {
      const app = createClerkApp({ ledger, now: () => NOW });
      const page = await (await app.request('/shipments')).text();
      expect(page).not.toContain(SCRIPT_NAME);
      expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      const reflected = await (await app.request(`/shipments?week=${encodeURIComponent('"><script>x</script>')}`)).text();
      expect(reflected).not.toContain('<script>x');
      expect(reflected).toContain('value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"');
    });
  });

  it('sets CSP, nosniff and referrer headers and loads nothing from outside', async () => {
    await withSeededLedger(async ({ ledger }) => {
      const app = createClerkApp({ ledger, now: () => NOW });
      const res = await app.request('/shipments');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain('img-src data:');
      expect(csp).toContain("form-action 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('same-origin');
      const page = await res.text();
      expect(page).not.toMatch(/<script|<link|src="http|href="http|@import|url\(/);
    });
  });
});

describe('GET /shipments.csv', () => {
  it('downloads the filtered log as Excel-safe CSV: BOM, CRLF, neutralised formulas, attachment', async () => {
    await withSeededLedger(async ({ ledger, shipments: s }) => {
      const app = createClerkApp({ ledger, now: () => NOW, pageSize: 1 });
      const res = await app.request('/shipments.csv?month=2025-01');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(res.headers.get('content-disposition')).toBe('attachment; filename="shipments-2025-01.csv"');
      const bytes = new Uint8Array(await res.arrayBuffer());
      expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
      expect(text.split('\r\n')).toHaveLength(5); // header, 3 rows (not just one page), final empty
      expect(text.replace(/\r\n/g, '')).not.toContain('\n');
      const records = parseCsv(text);
      expect(records.map((r) => r.cells[0])).toEqual(['id', String(s.evil3), String(s.beta3), String(s.acme3)]);
      const beta = records.find((r) => r.cells[0] === String(s.beta3))?.cells ?? [];
      expect(beta[3]).toBe(`'${FORMULA_NAME}`);
      expect(beta[10]).toBe('29.68');
      expect(text).toContain(`"'=HYPERLINK(""http://evil.example/"",""click"")"`);
    });
  });
});

describe('language switch', () => {
  it('switches to English with ?lang=en and remembers it in a cookie', async () => {
    await withSeededLedger(async ({ ledger }) => {
      const app = createClerkApp({ ledger, now: () => NOW });
      const res = await app.request('/shipments?lang=en');
      const page = await res.text();
      expect(page).toContain('<html lang="en">');
      expect(page).toContain('4 shipments, total ¥81.70');
      expect(page).toContain('href="/shipments?lang=zh-CN"');
      const cookie = res.headers.getSetCookie().find((c) => c.startsWith('pd_lang='));
      expect(cookie).toMatch(/^pd_lang=en;/);
      const again = await (await app.request('/subscribers', { headers: { cookie: 'pd_lang=en' } })).text();
      expect(again).toContain('<html lang="en">');
      expect(again).toContain('Contracts expiring within 30 days');
      const unknown = await (await app.request('/shipments?lang=fr', { headers: { cookie: 'pd_lang=xx' } })).text();
      expect(unknown).toContain('<html lang="zh-CN">');
    });
  });
});
