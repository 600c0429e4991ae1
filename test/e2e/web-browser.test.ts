import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/ledger/csv.ts';
import { listShipments } from '../../src/ledger/shipments.ts';
import { serveClerk } from '../../src/web/serve-clerk.ts';
import { makeTempDir, requireTools } from '../helpers/tools.ts';
import { FORMULA_NAME, NOW, withSeededLedger } from '../unit/web/clerk-fixture.ts';

const ok = requireTools('chromium');
const TOKEN = 'browser-test-token-1234';
/** Where the lead looks at the page after a run. */
const SHARED_SCREENSHOT = '/tmp/patchdisc-clerk.png';

describe('clerk page in headless Chromium', () => {
  it.skipIf(!ok)('logs in, filters a month, downloads the CSV and records a mailing', async () => {
    const shots = makeTempDir('patchdisc-web-shots-');
    await withSeededLedger(async ({ ledger, shipments }) => {
      const server = await serveClerk({ ledger, host: '127.0.0.1', port: 0, token: TOKEN, now: () => NOW });
      const browser = await chromium.launch({
        executablePath: '/usr/bin/chromium',
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
      });
      try {
        const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1400, height: 900 } });
        const page = await context.newPage();
        const outside: string[] = [];
        page.on('request', (r) => {
          if (!r.url().startsWith(server.url)) outside.push(r.url());
        });

        await page.goto(new URL('/shipments', server.url).href);
        expect(new URL(page.url()).pathname).toBe('/login');
        await page.fill('input[name=token]', TOKEN);
        await page.click('#login button[type=submit]');
        await page.waitForURL(/\/shipments$/);
        expect(await page.locator('#shipments tbody tr').count()).toBe(4);

        await page.fill('input[name=month]', '2025-01');
        await page.click('form.filters button[type=submit]');
        await page.waitForURL(/month=2025-01/);
        expect(await page.locator('#shipments tbody tr').count()).toBe(3);
        expect(await page.locator('.totals').textContent()).toBe('共 3 件，合计 ¥64.36');

        const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv')]);
        expect(download.suggestedFilename()).toBe('shipments-2025-01.csv');
        const csvPath = join(shots.dir, 'shipments.csv');
        await download.saveAs(csvPath);
        const bytes = readFileSync(csvPath);
        expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
        const text = bytes.toString('utf8');
        expect(text).toContain('\r\n');
        const records = parseCsv(text);
        expect(records).toHaveLength(4);
        expect(records.map((r) => r.cells[1])).toEqual(['week', '2025-W03', '2025-W03', '2025-W03']);
        expect(records.some((r) => r.cells[3] === `'${FORMULA_NAME}`)).toBe(true);

        await page.screenshot({ path: join(shots.dir, 'clerk.png'), fullPage: true });
        copyFileSync(join(shots.dir, 'clerk.png'), SHARED_SCREENSHOT);

        // The mailroom's form through a real browser: its Origin and Sec-Fetch-Site must pass.
        await page.click(`a[href="/shipments/${shipments.acme3}"]`);
        await page.selectOption('#mark select[name=status]', 'mailed');
        await page.fill('#mark input[name=tracking]', 'SF1234567890');
        await page.click('#mark button[type=submit]');
        await page.waitForURL(/done=mailed/);
        expect(await page.locator('#tracking').textContent()).toBe('SF1234567890');
        const row = (await listShipments(ledger, { subscriber: 'ACME-01', week: '2025-W03' })).rows[0];
        expect(row).toMatchObject({ status: 'mailed', tracking: 'SF1234567890' });
        expect(outside).toEqual([]);
      } finally {
        await browser.close();
        await server.close();
        shots.remove();
      }
    });
  });
});
