import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fetchDownloadDialog, searchUpdateCatalog } from '../../../src/catalog/search-update-catalog.ts';
import { buildDownloadDialogBody, parseDownloadDialog, parseSearchPage } from '../../../src/catalog/update-catalog.ts';
import { isPatchdiscError } from '../../../src/errors.ts';
import { FIXTURES } from '../../helpers/tools.ts';

const html = (name: string): string => readFileSync(join(FIXTURES, 'catalog-html', name), 'utf8');
const GUID_ROW = /<tr id="([0-9a-f-]{36})_R\d+"/g;

describe('parseSearchPage()', () => {
  it('reads the rows, sizes and pager of a single-page result', () => {
    const text = html('RawResponseLastPage.html');
    const page = parseSearchPage(text);
    expect(page.rows.map((r) => r.updateId)).toEqual([...text.matchAll(GUID_ROW)].map((m) => m[1]));
    expect(page).toMatchObject({ page: 1, pages: 1, noResults: false, hasNextPage: false });
    const first = page.rows[0]!;
    expect(first.title).toBe('Update for Microsoft Office 2013 (KB4022233) 64-Bit Edition');
    expect(first).toMatchObject({ products: 'Office 2013', classification: 'Critical Updates', lastUpdated: '9/11/2018', version: 'n/a' });
    const size = new RegExp(`id="${first.updateId}_originalSize">(\\d+)<`).exec(text)![1];
    expect(first.sizeBytes).toBe(Number(size));
    expect(page.postback?.viewState).toBe(/id="__VIEWSTATE" value="([^"]*)"/.exec(text)![1]);
  });

  it('reads page 1 of 40 with its postback fields', () => {
    const text = html('RawResponseMorePages.html');
    const page = parseSearchPage(text);
    expect(page.rows).toHaveLength([...text.matchAll(GUID_ROW)].length);
    expect(page.rows).toHaveLength(25);
    expect(page).toMatchObject({ page: 1, pages: 40, hasNextPage: true });
    expect(page.postback?.eventValidation).toBe(/id="__EVENTVALIDATION" value="([^"]*)"/.exec(text)![1]);
    expect(page.postback?.action).toBe('./Search.aspx?q=Office+2013');
    expect(page.rows.every((r) => r.title.length > 0 && !r.title.includes('<'))).toBe(true);
  });

  it('recognises the no-results marker', () => {
    const page = parseSearchPage('<span id="ctl00_catalogBody_noResultText">We did not find any results</span>');
    expect(page).toMatchObject({ rows: [], noResults: true, page: 0, pages: 0 });
  });
});

describe('parseDownloadDialog()', () => {
  it('reads the update and its file from a single-file dialog', () => {
    const { updates } = parseDownloadDialog(html('RawResponseSingle.html'));
    expect(updates).toEqual([
      {
        updateId: '7f659ce1-a58f-41a8-bcf0-18fe434f0916',
        title: 'Update for Microsoft Office 2013 (KB4461444) 64-Bit Edition',
        files: [
          {
            url: 'http://download.windowsupdate.com/c/msdownload/update/software/crup/2019/01/oart-x-none_e3fa9c9103bc509dcdf7e971ca3cbea0c18a7b0d.cab',
            sha1Base64: '4/qckQO8UJ3N9+lxyjy+oMGKew0=',
            sha1: 'e3fa9c9103bc509dcdf7e971ca3cbea0c18a7b0d',
          },
        ],
      },
    ]);
  });

  it('reads every file of a multi-file dialog, digests matching the names', () => {
    const text = html('RawResponseMulti.html');
    const { updates } = parseDownloadDialog(text);
    const urls = new Set([...text.matchAll(/downloadInformation\[0\]\.files\[\d+\]\.url = '([^']+)'/g)].map((m) => m[1]));
    expect(updates[0]!.files.map((f) => f.url)).toEqual([...urls]);
    for (const f of updates[0]!.files) expect(f.url).toContain(`_${f.sha1}.`);
  });

  it('refuses a digest that is not a SHA-1', () => {
    const text = "downloadInformation[0].updateID ='7f659ce1-a58f-41a8-bcf0-18fe434f0916';\ndownloadInformation[0].files[0].url = 'http://x/a.cab';\ndownloadInformation[0].files[0].digest = 'AAAA';";
    expect(() => parseDownloadDialog(text)).toThrow(/3 bytes/);
  });
});

describe('buildDownloadDialogBody()', () => {
  it('encodes the updateIDs JSON form field', () => {
    const body = buildDownloadDialogBody(['7F659CE1-A58F-41A8-BCF0-18FE434F0916']);
    expect(JSON.parse(new URLSearchParams(body).get('updateIDs')!)).toEqual([
      { size: 0, updateID: '7f659ce1-a58f-41a8-bcf0-18fe434f0916', uidInfo: '7f659ce1-a58f-41a8-bcf0-18fe434f0916' },
    ]);
  });
  it('refuses something that is not a GUID', () => {
    expect(() => buildDownloadDialogBody(['x"];alert(1)'])).toThrow(/not an update GUID/);
  });
});

describe('searchUpdateCatalog()', () => {
  it('follows the postback pager with the hidden fields of the previous page', async () => {
    const first = html('RawResponseMorePages.html');
    const second = html('RawResponseLastPage.html').replace('1 - 2 of 2 (page 1 of 1)', '26 - 27 of 27 (page 2 of 2)');
    const calls: { url: string; method: string; body: string }[] = [];
    const fetch = (async (url: string | URL, init?: RequestInit) => {
      calls.push({ url: String(url), method: init?.method ?? 'GET', body: String(init?.body ?? '') });
      return new Response(calls.length === 1 ? first.replace('(page 1 of 40)', '(page 1 of 2)') : second);
    }) as typeof globalThis.fetch;
    const result = await searchUpdateCatalog('KB4022233', { baseUrl: 'http://127.0.0.1:1/catalog', fetch });
    expect(calls[0]).toMatchObject({ url: 'http://127.0.0.1:1/catalog/Search.aspx?q=KB4022233', method: 'GET' });
    expect(calls[1]!.method).toBe('POST');
    expect(calls[1]!.url).toBe('http://127.0.0.1:1/catalog/Search.aspx?q=Office+2013');
    const form = new URLSearchParams(calls[1]!.body);
    expect(form.get('__EVENTTARGET')).toBe('ctl00$catalogBody$nextPageLinkText');
    expect(form.get('__VIEWSTATE')).toBe(/id="__VIEWSTATE" value="([^"]*)"/.exec(first)![1]);
    expect(result.pages).toBe(2);
    expect(result.rows).toHaveLength(27);
  });

  it('maps an HTTP failure to HTTP_ERROR', async () => {
    const fetch = (async () => new Response('no', { status: 503 })) as typeof globalThis.fetch;
    const err = await searchUpdateCatalog('5034441', { baseUrl: 'http://127.0.0.1:1', fetch }).catch((e: unknown) => e);
    expect(isPatchdiscError(err, 'HTTP_ERROR')).toBe(true);
  });

  it('posts the dialog body and parses the answer', async () => {
    let body = '';
    const fetch = (async (_url: string | URL, init?: RequestInit) => {
      body = String(init?.body);
      return new Response(html('RawResponseSingle.html'));
    }) as typeof globalThis.fetch;
    const updates = await fetchDownloadDialog(['7f659ce1-a58f-41a8-bcf0-18fe434f0916'], { baseUrl: 'http://127.0.0.1:1', fetch });
    expect(body).toBe(buildDownloadDialogBody(['7f659ce1-a58f-41a8-bcf0-18fe434f0916']));
    expect(updates[0]!.files).toHaveLength(1);
  });
});
