/**
 * Subscribers: the list with service period and state, contracts about to expire, and one
 * subscriber's details, history and shipments.
 */
import type { ShipmentRow } from '../../ledger/shipments.ts';
import type { Subscriber } from '../../ledger/subscriber-row.ts';
import type { Messages } from '../i18n.ts';
import type { SubscriberEvent } from '../queries.ts';
import { dateTime, daysBetween, yuan } from './format.ts';
import { html, type SafeHtml } from './html.ts';

export type ServiceState = 'active' | 'pending' | 'expired' | 'suspended';

/** Where `s` stands on `today` (`YYYY-MM-DD`). */
export function serviceState(s: Subscriber, today: string): ServiceState {
  if (s.suspended) return 'suspended';
  if (today < s.serviceStart) return 'pending';
  if (today > s.serviceEnd) return 'expired';
  return 'active';
}

function stateName(t: Messages, state: ServiceState): string {
  return { active: t.stateActive, pending: t.statePending, expired: t.stateExpired, suspended: t.stateSuspended }[state];
}

function codeLink(code: string): SafeHtml {
  return html`<a href="/subscribers/${encodeURIComponent(code)}">${code}</a>`;
}

/** The contracts ending within `days` days. */
export function expiringView(t: Messages, expiring: readonly Subscriber[], today: string, days: number): SafeHtml {
  const items =
    expiring.length === 0
      ? html`<p>${t.expiringNone}</p>`
      : html`<table id="expiring"><thead><tr><th>${t.code}</th><th>${t.name}</th><th>${t.organisation}</th><th>${t.servicePeriod}</th><th></th></tr></thead><tbody>${expiring.map(
          (s) => html`<tr><td>${codeLink(s.code)}</td><td>${s.name}</td><td>${s.organisation}</td><td>${s.serviceStart} – ${s.serviceEnd}</td><td>${t.daysLeft(daysBetween(today, s.serviceEnd))}</td></tr>`,
        )}</tbody></table>`;
  return html`<section class="notice"><h2>${t.expiringTitle(days)}</h2>${items}</section>`;
}

/** The list page body. */
export function subscribersView(p: { t: Messages; subscribers: readonly Subscriber[]; expiring: readonly Subscriber[]; today: string; days: number; search: string }): SafeHtml {
  const { t } = p;
  return html`${expiringView(t, p.expiring, p.today, p.days)}
<form class="filters" method="get" action="/subscribers"><label>${t.search}<input type="search" name="q" value="${p.search}"></label><button type="submit">${t.filter}</button></form>
<table id="subscribers"><thead><tr><th>${t.code}</th><th>${t.name}</th><th>${t.organisation}</th><th>${t.medium}</th><th class="num">${t.copies}</th><th>${t.servicePeriod}</th><th>${t.state}</th><th>${t.pipelines}</th></tr></thead><tbody>
${p.subscribers.map((s) => {
  const state = serviceState(s, p.today);
  return html`<tr><td>${codeLink(s.code)}</td><td>${s.name}</td><td>${s.organisation}</td><td>${s.medium}</td><td class="num">${s.copies}</td><td>${s.serviceStart} – ${s.serviceEnd}</td><td class="state-${state}">${stateName(t, state)}</td><td>${s.pipelines.join(', ')}</td></tr>`;
})}
</tbody></table>`;
}

/** One subscriber's page body. */
export function subscriberView(p: {
  t: Messages;
  timeZone: string;
  subscriber: Subscriber;
  today: string;
  history: readonly SubscriberEvent[];
  shipments: readonly ShipmentRow[];
}): SafeHtml {
  const { t, subscriber: s } = p;
  const state = serviceState(s, p.today);
  const address = [s.province, s.city, s.district, s.street, s.postcode].filter((x) => x !== '').join(' ');
  return html`<dl class="fields">
<dt>${t.code}</dt><dd>${s.code}</dd>
<dt>${t.name}</dt><dd>${s.name}</dd>
<dt>${t.organisation}</dt><dd>${s.organisation}</dd>
<dt>${t.contact}</dt><dd>${s.contact} ${s.phone} ${s.email}</dd>
<dt>${t.address}</dt><dd>${address}</dd>
<dt>${t.medium}</dt><dd>${s.medium} × ${s.copies}</dd>
<dt>${t.servicePeriod}</dt><dd>${s.serviceStart} – ${s.serviceEnd}</dd>
<dt>${t.state}</dt><dd class="state-${state}">${stateName(t, state)}</dd>
<dt>${t.pipelines}</dt><dd>${s.pipelines.join(', ')}</dd>
<dt>${t.pricePlan}</dt><dd>${s.pricePlan}</dd>
<dt>${t.notes}</dt><dd>${s.notes}</dd>
</dl>
<h2>${t.shipmentsOf}</h2>
<table><thead><tr><th>${t.id}</th><th>${t.week}</th><th>${t.status}</th><th class="num">${t.discs}</th><th class="num">${t.fee}</th><th>${t.tracking}</th></tr></thead><tbody>
${p.shipments.map((r) => html`<tr><td><a href="/shipments/${r.id}">${r.id}</a></td><td>${r.week}</td><td>${t.statusNames[r.status]}</td><td class="num">${r.discs}</td><td class="num">${yuan(r.feeFen)}</td><td>${r.tracking ?? ''}</td></tr>`)}
</tbody></table>
<h2>${t.history}</h2>
<table><thead><tr><th>${t.at}</th><th>${t.action}</th><th>${t.actor}</th><th>${t.detail}</th></tr></thead><tbody>
${p.history.map((e) => html`<tr><td>${dateTime(e.at, p.timeZone)}</td><td>${e.action}</td><td>${e.actor}</td><td>${e.detail}</td></tr>`)}
</tbody></table>`;
}
