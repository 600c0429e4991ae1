/**
 * Microsoft Update Catalog pages (catalog-formats §2), the secondary source: Search.aspx result
 * tables and DownloadDialog.aspx script. There is no API; the HTML is scanned with anchored regular
 * expressions keyed on the element ids the site uses, not parsed as XML (it is not XML).
 */
import { PatchdiscError } from '../errors.ts';
import { SHA1_BYTES, digestHexFromBase64 } from './file-location.ts';

export interface SearchRow {
  updateId: string;
  title: string;
  products: string;
  classification: string;
  lastUpdated: string;
  version: string;
  /** From `<span id="<guid>_originalSize">`; undefined when the page does not give it. */
  sizeBytes?: number;
}

export interface SearchPostback {
  /** Form action as written in the page (relative to Search.aspx). */
  action: string;
  viewState: string;
  eventValidation: string;
  /** Every hidden field of the ASP.NET form, to be posted back as-is. */
  fields: Record<string, string>;
}

export interface SearchPage {
  rows: SearchRow[];
  page: number;
  pages: number;
  noResults: boolean;
  /** True when the page links to a next page (`ctl00_catalogBody_nextPageLinkText`). */
  hasNextPage: boolean;
  postback?: SearchPostback;
}

const GUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const GUID_ONLY = new RegExp(`^${GUID}$`);
/** The "next" postback target of the result pager. */
export const NEXT_PAGE_TARGET = 'ctl00$catalogBody$nextPageLinkText';
/** Columns of a result row: `<guid>_C<n>_R<row>` (C0 is the icon, C7 the button). */
const COLUMNS = { title: 1, products: 2, classification: 3, lastUpdated: 4, version: 5 } as const;

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** Decodes the HTML character references the catalog pages use. */
export function decodeHtmlEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]{1,6}|#\d{1,7}|[a-zA-Z]{2,8});/g, (whole, ref: string) => {
    if (ref.startsWith('#x') || ref.startsWith('#X')) return safeCodePoint(parseInt(ref.slice(2), 16)) ?? whole;
    if (ref.startsWith('#')) return safeCodePoint(parseInt(ref.slice(1), 10)) ?? whole;
    return NAMED_ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

function safeCodePoint(n: number): string | undefined {
  return n > 0 && n <= 0x10ffff && (n < 0xd800 || n > 0xdfff) ? String.fromCodePoint(n) : undefined;
}

/** Visible text of an HTML snippet: tags removed, entities decoded, whitespace collapsed. */
function htmlText(html: string): string {
  return decodeHtmlEntities(html.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim();
}

/** Attributes of one start tag, lowercase names, decoded values. */
function tagAttributes(tag: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const m of tag.matchAll(/([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/g)) {
    attrs[m[1]!.toLowerCase()] = decodeHtmlEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return attrs;
}

/** Content of the `<td id="...">` cell up to its closing tag (cells do not nest in these pages). */
function cellHtml(html: string, id: string): string | undefined {
  const start = html.indexOf(`id="${id}"`);
  if (start < 0) return undefined;
  const open = html.indexOf('>', start);
  const close = html.indexOf('</td>', open);
  if (open < 0 || close < 0) return undefined;
  return html.slice(open + 1, close);
}

/** Parses a Search.aspx response page. */
export function parseSearchPage(html: string): SearchPage {
  const rows: SearchRow[] = [];
  const seen = new Set<string>();
  for (const m of html.matchAll(new RegExp(`<tr\\s[^>]*id="(${GUID})_R(\\d+)"`, 'g'))) {
    const guid = m[1]!;
    const row = m[2]!;
    if (seen.has(guid)) continue;
    seen.add(guid);
    const cell = (column: number): string => htmlText(cellHtml(html, `${guid}_C${column}_R${row}`) ?? '');
    const entry: SearchRow = {
      updateId: guid.toLowerCase(),
      title: cell(COLUMNS.title),
      products: cell(COLUMNS.products),
      classification: cell(COLUMNS.classification),
      lastUpdated: cell(COLUMNS.lastUpdated),
      version: cell(COLUMNS.version),
    };
    const size = new RegExp(`id="${guid}_originalSize"[^>]*>\\s*(\\d+)\\s*<`).exec(html);
    if (size) entry.sizeBytes = Number(size[1]);
    rows.push(entry);
  }

  let page = rows.length > 0 ? 1 : 0;
  let pages = page;
  const duration = /id="ctl00_catalogBody_searchDuration"[^>]*>([^<]*)</.exec(html);
  const counts = duration ? /\(page\s+(\d+)\s+of\s+(\d+)\)/i.exec(duration[1]!) : null;
  if (counts) {
    page = Number(counts[1]);
    pages = Number(counts[2]);
  }
  const result: SearchPage = {
    rows,
    page,
    pages,
    noResults: html.includes('id="ctl00_catalogBody_noResultText"'),
    hasNextPage: html.includes('id="ctl00_catalogBody_nextPageLinkText"'),
  };
  const postback = parsePostback(html);
  if (postback) result.postback = postback;
  return result;
}

/** Hidden fields of the ASP.NET form `aspnetForm`, needed to ask for the next page. */
function parsePostback(html: string): SearchPostback | undefined {
  const formStart = /<form\b[^>]*\bid="aspnetForm"[^>]*>/i.exec(html);
  if (!formStart) return undefined;
  const formEnd = html.indexOf('</form>', formStart.index);
  const form = html.slice(formStart.index, formEnd < 0 ? html.length : formEnd);
  const fields: Record<string, string> = {};
  for (const m of form.matchAll(/<input\b[^>]*>/gi)) {
    const attrs = tagAttributes(m[0]);
    if (attrs['type']?.toLowerCase() !== 'hidden' || attrs['name'] === undefined) continue;
    fields[attrs['name']] = attrs['value'] ?? '';
  }
  const viewState = fields['__VIEWSTATE'];
  const eventValidation = fields['__EVENTVALIDATION'];
  if (viewState === undefined || eventValidation === undefined) return undefined;
  return { action: tagAttributes(formStart[0])['action'] ?? '', viewState, eventValidation, fields };
}

export interface DownloadDialogUpdate {
  updateId: string;
  title: string;
  files: { url: string; sha1Base64: string; sha1: string }[];
}

/** Undoes JavaScript single-quoted string escapes. */
function unescapeJs(text: string): string {
  return text.replace(/\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)/g, (_, e: string) => {
    if (e.length > 1) return String.fromCharCode(parseInt(e.slice(1), 16));
    return ({ n: '\n', r: '\r', t: '\t' } as Record<string, string>)[e] ?? e;
  });
}

const JS_STRING = "'((?:[^'\\\\\\r\\n]|\\\\.)*)'";

/**
 * Parses a DownloadDialog.aspx response: `downloadInformation[i].updateID/enTitle` and
 * `downloadInformation[i].files[j].url/digest` assignments. Throws CATALOG_INVALID for a file
 * without a digest or with a digest that is not a 20-byte SHA-1.
 */
export function parseDownloadDialog(text: string): { updates: DownloadDialogUpdate[] } {
  const updates = new Map<number, { updateId: string; title: string; files: Map<number, { url?: string; digest?: string }> }>();
  const slot = (i: number) => {
    let u = updates.get(i);
    if (!u) updates.set(i, (u = { updateId: '', title: '', files: new Map() }));
    return u;
  };
  for (const m of text.matchAll(new RegExp(`downloadInformation\\[(\\d+)\\]\\.(updateID|enTitle)\\s*=\\s*${JS_STRING}`, 'g'))) {
    const u = slot(Number(m[1]));
    if (m[2] === 'updateID') u.updateId = unescapeJs(m[3]!).toLowerCase();
    else u.title = unescapeJs(m[3]!);
  }
  for (const m of text.matchAll(new RegExp(`downloadInformation\\[(\\d+)\\]\\.files\\[(\\d+)\\]\\.(url|digest)\\s*=\\s*${JS_STRING}`, 'g'))) {
    const files = slot(Number(m[1])).files;
    const j = Number(m[2]);
    const file = files.get(j) ?? {};
    file[m[3] as 'url' | 'digest'] = unescapeJs(m[4]!);
    files.set(j, file);
  }
  const result: DownloadDialogUpdate[] = [];
  for (const [i, u] of [...updates].sort((a, b) => a[0] - b[0])) {
    if (!GUID_ONLY.test(u.updateId)) {
      throw new PatchdiscError('CATALOG_INVALID', `Cannot read the download dialog: entry ${i} has no valid updateID; the catalog site changed, report it`);
    }
    const files = [...u.files].sort((a, b) => a[0] - b[0]).map(([j, f]) => {
      if (f.url === undefined || f.digest === undefined) {
        throw new PatchdiscError('CATALOG_INVALID', `Cannot read the download dialog: file ${j} of update ${u.updateId} lacks a url or digest; the catalog site changed, report it`);
      }
      return { url: f.url, sha1Base64: f.digest, sha1: digestHexFromBase64(f.digest, SHA1_BYTES, `download dialog digest of ${f.url}`) };
    });
    result.push({ updateId: u.updateId, title: u.title, files });
  }
  return { updates: result };
}

/** The form body DownloadDialog.aspx expects: `updateIDs=[{"size":0,"updateID":..,"uidInfo":..}]`. */
export function buildDownloadDialogBody(updateIds: string[]): string {
  const entries = updateIds.map((id) => {
    if (!GUID_ONLY.test(id)) throw new PatchdiscError('USAGE', `Cannot ask the Update Catalog for "${id}": it is not an update GUID`);
    return { size: 0, updateID: id.toLowerCase(), uidInfo: id.toLowerCase() };
  });
  return new URLSearchParams({ updateIDs: JSON.stringify(entries) }).toString();
}
