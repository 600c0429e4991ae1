/**
 * The shipment log: filter form, totals, one page of rows, paging and the CSV link.
 */
import type { ShipmentRow } from '../../ledger/shipments.ts';
import { SHIPMENT_STATUSES } from '../../ledger/shipments.ts';
import type { Messages } from '../i18n.ts';
import { shipmentsHref, type ShipmentQuery } from '../shipment-query.ts';
import { dateTime, yuan } from './format.ts';
import { html, type SafeHtml } from './html.ts';

export interface ShipmentsViewProps {
  t: Messages;
  timeZone: string;
  query: ShipmentQuery;
  subscriberCodes: readonly string[];
  rows: readonly ShipmentRow[];
  total: number;
  totalFeeFen: number;
  pages: number;
  /** A validation message instead of results. */
  error?: string;
}

function filterForm(p: ShipmentsViewProps): SafeHtml {
  const { t, query } = p;
  const v = query.values;
  const selected = (on: boolean) => (on ? html` selected` : null);
  return html`<form class="filters" method="get" action="/shipments">
<label>${t.month}<input type="month" name="month" value="${v.month ?? ''}"></label>
<label>${t.week}<input type="text" name="week" value="${v.week ?? ''}" placeholder="2025-W03" size="9"></label>
<label>${t.subscriber}<select name="subscriber"><option value="">${t.any}</option>${p.subscriberCodes.map(
    (code) => html`<option value="${code}"${selected(code === v.subscriber)}>${code}</option>`,
  )}</select></label>
<label>${t.status}<select name="status"><option value="">${t.any}</option>${SHIPMENT_STATUSES.map(
    (s) => html`<option value="${s}"${selected(s === v.status)}>${t.statusNames[s]}</option>`,
  )}</select></label>
<button type="submit">${t.filter}</button>
<a href="/shipments">${t.reset}</a>
</form>`;
}

function row(t: Messages, r: ShipmentRow, timeZone: string): SafeHtml {
  return html`<tr>
<td class="num"><a href="/shipments/${r.id}">${r.id}</a></td>
<td>${r.week}</td>
<td><a href="/subscribers/${encodeURIComponent(r.subscriber)}">${r.subscriber}</a></td>
<td>${r.subscriberName}</td>
<td>${r.organisation}</td>
<td class="status-${r.status}">${t.statusNames[r.status]}</td>
<td>${r.medium}</td>
<td class="num">${r.copies}</td>
<td class="num">${r.discs}</td>
<td class="num">${yuan(r.feeFen)}</td>
<td class="num">${yuan(r.postageFen)}</td>
<td>${r.tracking ?? ''}</td>
<td>${dateTime(r.mailedAt, timeZone)}</td>
<td>${r.reshipOf === null ? '' : html`<a href="/shipments/${r.reshipOf}">#${r.reshipOf}</a>`}</td>
</tr>`;
}

function pager(p: ShipmentsViewProps): SafeHtml {
  const { t, query } = p;
  const prev = query.page > 1 ? html`<a rel="prev" href="${shipmentsHref('/shipments', query.values, query.page - 1)}">${t.prev}</a>` : null;
  const next = query.page < p.pages ? html`<a rel="next" href="${shipmentsHref('/shipments', query.values, query.page + 1)}">${t.next}</a>` : null;
  return html`<div class="bar pager">${prev}<span>${t.pageOf(query.page, p.pages)}</span>${next}</div>`;
}

/** The page body. */
export function shipmentsView(p: ShipmentsViewProps): SafeHtml {
  const { t } = p;
  if (p.error !== undefined) {
    return html`${filterForm(p)}<p class="error" role="alert">${p.error}</p>`;
  }
  const head = html`<tr><th class="num">${t.id}</th><th>${t.week}</th><th>${t.subscriber}</th><th>${t.name}</th><th>${t.organisation}</th><th>${t.status}</th><th>${t.medium}</th><th class="num">${t.copies}</th><th class="num">${t.discs}</th><th class="num">${t.fee}</th><th class="num">${t.postage}</th><th>${t.tracking}</th><th>${t.mailedAt}</th><th>${t.reshipOf}</th></tr>`;
  const body =
    p.rows.length === 0
      ? html`<tr><td colspan="14">${t.noRows}</td></tr>`
      : p.rows.map((r) => row(t, r, p.timeZone));
  return html`${filterForm(p)}
<div class="bar"><strong class="totals">${t.totals(p.total, yuan(p.totalFeeFen))}</strong>
<a class="button" id="csv" href="${shipmentsHref('/shipments.csv', p.query.values)}" download>${t.downloadCsv}</a></div>
<table id="shipments"><thead>${head}</thead><tbody>${body}</tbody>
<tfoot><tr><td colspan="9">${t.totals(p.total, yuan(p.totalFeeFen))}</td><td class="num">${yuan(p.totalFeeFen)}</td><td colspan="4"></td></tr></tfoot></table>
${pager(p)}`;
}
