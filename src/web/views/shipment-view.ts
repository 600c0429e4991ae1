/**
 * One shipment: its fields, status history, discs, and the mailroom's form to record mailing and
 * the tracking number.
 */
import { NEXT_STATUS } from '../../ledger/mark-shipment.ts';
import type { ShipmentStatus } from '../../ledger/schema.ts';
import { CSRF_FIELD } from '../auth.ts';
import type { Messages } from '../i18n.ts';
import type { ShipmentDetail } from '../queries.ts';
import { byteSize, dateTime, yuan } from './format.ts';
import { html, type SafeHtml } from './html.ts';

export interface ShipmentViewProps {
  t: Messages;
  timeZone: string;
  shipment: ShipmentDetail;
  csrf: string;
  /** False when serve runs without a token: the form is replaced by how to enable it. */
  canMark: boolean;
  /** The status just recorded (after the redirect), or an error from the last attempt. */
  done?: ShipmentStatus;
  error?: string;
}

function markForm(p: ShipmentViewProps, current: ShipmentStatus): SafeHtml {
  const { t } = p;
  if (!p.canMark) return html`<p class="notice" id="mark-needs-token">${t.markNeedsToken}</p>`;
  const next = NEXT_STATUS[current].filter((s): s is Exclude<ShipmentStatus, 'prepared'> => s !== 'prepared');
  if (next.length === 0) return html`<p class="notice">${t.markFinal}</p>`;
  return html`<form method="post" action="/shipments/${p.shipment.id}/mark" class="filters" id="mark">
<input type="hidden" name="${CSRF_FIELD}" value="${p.csrf}">
<label>${t.status}<select name="status">${next.map((s) => html`<option value="${s}"${s === 'mailed' ? html` selected` : null}>${t.statusNames[s]}</option>`)}</select></label>
<label>${t.tracking}<input type="text" name="tracking" pattern="[A-Za-z0-9_-]{4,40}" maxlength="40" autocomplete="off"></label>
<button type="submit">${t.markSubmit}</button>
</form>`;
}

/** The page body. */
export function shipmentView(p: ShipmentViewProps): SafeHtml {
  const { t, shipment: s } = p;
  const current = s.events.at(-1)?.status ?? 'prepared';
  const tracking = [...s.events].reverse().find((e) => e.tracking !== null)?.tracking ?? '';
  return html`${p.done === undefined ? null : html`<p class="ok" role="status">${t.markDone(t.statusNames[p.done])}</p>`}
${p.error === undefined ? null : html`<p class="error" role="alert">${p.error}</p>`}
<dl class="fields">
<dt>${t.subscriber}</dt><dd><a href="/subscribers/${encodeURIComponent(s.subscriber)}">${s.subscriber}</a> ${s.subscriberName}</dd>
<dt>${t.week}</dt><dd>${s.week}</dd>
<dt>${t.status}</dt><dd class="status-${current}" id="status">${t.statusNames[current]}</dd>
<dt>${t.tracking}</dt><dd id="tracking">${tracking}</dd>
<dt>${t.medium}</dt><dd>${s.medium} × ${s.copies}</dd>
<dt>${t.discs}</dt><dd>${s.discCount}</dd>
<dt>${t.fee}</dt><dd>${yuan(s.feeFen)} (${t.postage} ${yuan(s.postageFen)})</dd>
${s.reshipOf === null ? null : html`<dt>${t.reshipOf}</dt><dd><a href="/shipments/${s.reshipOf}">#${s.reshipOf}</a></dd>`}
</dl>
<h2>${t.markTitle}</h2>
${markForm(p, current)}
<h2>${t.events}</h2>
<table><thead><tr><th>${t.at}</th><th>${t.status}</th><th>${t.actor}</th><th>${t.tracking}</th><th>${t.note}</th></tr></thead><tbody>
${s.events.map((e) => html`<tr><td>${dateTime(e.at, p.timeZone)}</td><td>${t.statusNames[e.status]}</td><td>${e.actor}</td><td>${e.tracking ?? ''}</td><td>${e.note ?? ''}</td></tr>`)}
</tbody></table>
<h2>${t.discs}</h2>
<table><thead><tr><th>${t.id}</th><th>${t.pipeline}</th><th>${t.sequence}</th><th>${t.discNumber}</th><th>${t.volumeId}</th><th class="num">${t.bytes}</th></tr></thead><tbody>
${s.discs.map((d) => html`<tr><td><a href="/discs/${d.id}">${d.id}</a></td><td>${d.pipeline}</td><td>${d.sequence}</td><td>${d.number}/${d.of}</td><td>${d.volumeId}</td><td class="num">${byteSize(d.bytes)}</td></tr>`)}
</tbody></table>`;
}
