import { describe, expect, it } from 'vitest';
import { markShipment } from '../../../src/ledger/mark-shipment.ts';
import { createClerkApp } from '../../../src/web/create-app.ts';
import { NOW, SCRIPT_NAME, withSeededLedger } from './clerk-fixture.ts';

describe('GET /subscribers', () => {
  it('lists subscribers with service period and state, and contracts expiring within 30 days', async () => {
    await withSeededLedger(async ({ ledger }) => {
      const app = createClerkApp({ ledger, now: () => NOW });
      const page = await (await app.request('/subscribers')).text();
      const expiring = /<table id="expiring">([\s\S]*?)<\/table>/.exec(page)?.[1] ?? '';
      expect(expiring).toContain('ACME-01');
      expect(expiring).toContain('2025-01-01 – 2025-03-01');
      expect(expiring).toContain('剩 19 天');
      expect(expiring).not.toContain('BETA-02');
      expect(page).toContain('<td class="state-active">服务中</td>');
      expect(page).not.toContain(SCRIPT_NAME);
      const later = await (await createClerkApp({ ledger, now: () => new Date('2025-03-05T02:00:00Z') }).request('/subscribers')).text();
      expect(later).not.toContain('<table id="expiring">');
      expect(later).toContain('<td class="state-expired">已到期</td>');
    });
  });

  it('searches with the text as a literal, SQL and LIKE wildcards included', async () => {
    await withSeededLedger(async ({ ledger }) => {
      const app = createClerkApp({ ledger, now: () => NOW });
      const ids = async (q: string) => [...(await (await app.request(`/subscribers?q=${encodeURIComponent(q)}`)).text()).matchAll(/<tr><td><a href="\/subscribers\/([A-Z0-9-]+)">/g)].map((m) => m[1]);
      expect(await ids('BETA')).toEqual(['ACME-01', 'BETA-02']); // the expiring table lists ACME-01 first
      expect(await ids("' OR 1=1 --")).toEqual(['ACME-01']);
      expect(await ids('%')).toEqual(['ACME-01']);
    });
  });

  it('shows one subscriber with its history and shipments, and 404 for an unknown code', async () => {
    await withSeededLedger(async ({ ledger, shipments }) => {
      const app = createClerkApp({ ledger, now: () => NOW });
      await markShipment(ledger, shipments.acme3, { status: 'mailed', tracking: 'EMS0000001', at: NOW, actor: 'mailroom' });
      const page = await (await app.request('/subscribers/ACME-01?lang=en')).text();
      expect(page).toContain('<dt>Service period</dt><dd>2025-01-01 – 2025-03-01</dd>');
      expect(page).toContain('<h2>History</h2>');
      expect(page).toMatch(/<td>add<\/td><td>clerk<\/td>/);
      expect(page).toContain(`<a href="/shipments/${shipments.acme3}">${shipments.acme3}</a></td><td>2025-W03</td><td>mailed</td>`);
      expect(page).toContain('EMS0000001');
      expect((await app.request('/subscribers/NOPE-99')).status).toBe(404);
      expect((await app.request(`/subscribers/${encodeURIComponent("' OR 1=1 --")}`)).status).toBe(404);
    });
  });
});

describe('GET /builds', () => {
  it('charts KB count and size per week from the report stage as inline SVG', async () => {
    await withSeededLedger(async ({ ledger }) => {
      const app = createClerkApp({ ledger, now: () => NOW });
      const page = await (await app.request('/builds?lang=en')).text();
      const svgs = page.match(/<svg [\s\S]*?<\/svg>/g) ?? [];
      expect(svgs).toHaveLength(2);
      expect(svgs[0]).toContain('<title>2025-W03: 2</title>');
      expect(svgs[1]).toContain('<title>2025-W03: 3.7 GiB</title>');
      expect(page).toMatch(/<td>2025-W03<\/td><td>win11<\/td><td>done<\/td>.*<td class="num">2<\/td><td class="num">2<\/td><td class="num">2<\/td><td class="num">3\.7 GiB<\/td>/);
    });
  });
});

describe('GET /discs/:id', () => {
  it('shows the manifest content read from the ISO', async () => {
    await withSeededLedger(async ({ ledger, discs }) => {
      const app = createClerkApp({ ledger, now: () => NOW });
      const res = await app.request(`/discs/${discs.withIso}?lang=en`);
      expect(res.status).toBe(200);
      const page = await res.text();
      const files = /<table id="manifest-files">([\s\S]*?)<\/table>/.exec(page)?.[1] ?? '';
      expect(files).toContain('<td>KB5034441</td><td>2025-01 累积更新 &lt;b&gt;x64&lt;/b&gt;</td>');
      expect(files).toContain('CVE-2025-21333');
      expect(files).toContain('updates/windows11/KB5034441/windows11.0-kb5034441-x64.msu');
      expect(page).toContain('<dt>Expires</dt><dd>2025-04-13 08:00</dd>');
    });
  });

  it('shows the recorded fields when the ISO is gone, and 404 for an unknown disc', async () => {
    await withSeededLedger(async ({ ledger, discs }) => {
      const app = createClerkApp({ ledger, now: () => NOW });
      const page = await (await app.request(`/discs/${discs.withoutIso}`)).text();
      expect(page).toContain('id="manifest-missing"');
      expect(page).toContain('<dt>卷标</dt><dd>PD_');
      expect(page).toContain('gone.iso');
      expect(page).not.toContain('id="manifest-files"');
      expect((await app.request('/discs/424242')).status).toBe(404);
      expect((await app.request('/discs/1%20OR%201=1')).status).toBe(404);
    });
  });
});

describe('host check', () => {
  it('refuses a Host header outside allowedHosts (DNS rebinding) with 421', async () => {
    await withSeededLedger(async ({ ledger }) => {
      const app = createClerkApp({ ledger, now: () => NOW, allowedHosts: ['127.0.0.1', 'localhost'] });
      expect((await app.request('http://rebind.example/shipments')).status).toBe(421);
      expect((await app.request('http://127.0.0.1:8080/shipments')).status).toBe(200);
    });
  });
});
