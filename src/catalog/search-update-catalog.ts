/**
 * Client for the Microsoft Update Catalog web site: searches a KB and follows the ASP.NET postback
 * pager (catalog-formats §2), and asks DownloadDialog.aspx for file URLs. `fetch` is injected so tests
 * (and the embedded upstream) serve the pages; the caller decides which base URL is allowed.
 */
import { PatchdiscError } from '../errors.ts';
import {
  NEXT_PAGE_TARGET,
  buildDownloadDialogBody,
  parseDownloadDialog,
  parseSearchPage,
  type DownloadDialogUpdate,
  type SearchRow,
} from './update-catalog.ts';

export interface UpdateCatalogClientOptions {
  /** e.g. `https://www.catalog.update.microsoft.com` (no trailing slash needed). */
  baseUrl: string;
  fetch: typeof globalThis.fetch;
  signal?: AbortSignal;
  /** Stop after this many pages; the site itself stops at 1000 results (40 pages). Default 40. */
  maxPages?: number;
}

const FORM_TYPE = 'application/x-www-form-urlencoded';

async function request(url: string, init: RequestInit, options: UpdateCatalogClientOptions): Promise<string> {
  let response: Response;
  try {
    response = await options.fetch(url, { ...init, ...(options.signal ? { signal: options.signal } : {}) });
  } catch (cause) {
    if (options.signal?.aborted) throw new PatchdiscError('ABORTED', `Cannot fetch ${url}: the operation was aborted`, { cause });
    throw new PatchdiscError('NETWORK_ERROR', `Cannot fetch ${url}: ${cause instanceof Error ? cause.message : String(cause)}; check the network and retry`, { cause });
  }
  if (!response.ok) {
    throw new PatchdiscError('HTTP_ERROR', `Cannot fetch ${url}: the server answered ${response.status}; retry later`, {
      details: { url, status: response.status },
    });
  }
  return response.text();
}

/**
 * Searches the Update Catalog for `kb` ("5034441" or "KB5034441") and returns the rows of every page.
 * Follows "next" by posting the page's hidden form fields back with `__EVENTTARGET` set to the pager.
 */
export async function searchUpdateCatalog(kb: string, options: UpdateCatalogClientOptions): Promise<{ rows: SearchRow[]; pages: number }> {
  const digits = kb.replace(/^KB/i, '');
  if (!/^\d{4,8}$/.test(digits)) throw new PatchdiscError('USAGE', `Cannot search the Update Catalog for "${kb}": not a KB number such as KB5034441`);
  const maxPages = options.maxPages ?? 40;
  let url = new URL(`Search.aspx?q=KB${digits}`, withSlash(options.baseUrl)).toString();
  let page = parseSearchPage(await request(url, { method: 'GET' }, options));
  const rows = [...page.rows];
  let fetched = 1;
  while (page.hasNextPage && page.page < page.pages && fetched < maxPages) {
    if (!page.postback) {
      throw new PatchdiscError('CATALOG_INVALID', `Cannot page through the results for KB${digits}: page ${page.page} has no postback form; the catalog site changed, report it`);
    }
    const body = new URLSearchParams({ ...page.postback.fields, __EVENTTARGET: NEXT_PAGE_TARGET, __EVENTARGUMENT: '' });
    url = new URL(page.postback.action || url, url).toString();
    const previous = page.page;
    page = parseSearchPage(await request(url, { method: 'POST', headers: { 'content-type': FORM_TYPE }, body: body.toString() }, options));
    fetched += 1;
    if (page.page <= previous) {
      throw new PatchdiscError('CATALOG_INVALID', `Cannot page through the results for KB${digits}: asking for page ${previous + 1} returned page ${page.page}; the catalog site changed, report it`);
    }
    rows.push(...page.rows);
  }
  return { rows, pages: fetched };
}

/** Asks DownloadDialog.aspx for the files of `updateIds`. */
export async function fetchDownloadDialog(updateIds: string[], options: UpdateCatalogClientOptions): Promise<DownloadDialogUpdate[]> {
  const url = new URL('DownloadDialog.aspx', withSlash(options.baseUrl)).toString();
  const text = await request(url, { method: 'POST', headers: { 'content-type': FORM_TYPE }, body: buildDownloadDialogBody(updateIds) }, options);
  return parseDownloadDialog(text).updates;
}

function withSlash(base: string): string {
  return base.endsWith('/') ? base : `${base}/`;
}
