/**
 * GET /subscribers (list, search, contracts expiring within 30 days) and GET /subscribers/:code.
 */
import type { Hono } from 'hono';
import { listShipments } from '../../ledger/shipments.ts';
import { expiringSubscribers, getSubscriber, listSubscribers } from '../../ledger/subscribers.ts';
import { localDate, type ClerkDeps, type ClerkEnv } from '../clerk-env.ts';
import { subscriberHistory } from '../queries.ts';
import { renderPage } from '../render.ts';
import { html } from '../views/html.ts';
import { subscriberView, subscribersView } from '../views/subscribers-view.ts';

/** Contracts ending within this many days are listed on top of the subscribers page. */
export const EXPIRING_WITHIN_DAYS = 30;
/** Longest search text accepted; longer input is cut (it only narrows a LIKE match). */
const MAX_SEARCH = 100;
/** Shipments shown on a subscriber's page, newest first. */
const SUBSCRIBER_SHIPMENTS = 100;

export function registerSubscriberRoutes(app: Hono<ClerkEnv>, deps: ClerkDeps): void {
  app.get('/subscribers', async (c) => {
    const t = c.get('t');
    const today = localDate(deps.now(), deps.timeZone);
    const search = (c.req.query('q') ?? '').trim().slice(0, MAX_SEARCH);
    const subscribers = await listSubscribers(deps.ledger, search === '' ? {} : { search });
    const expiring = await expiringSubscribers(deps.ledger, { date: today, withinDays: EXPIRING_WITHIN_DAYS });
    return renderPage(c, deps, t.subscribersTitle, subscribersView({ t, subscribers, expiring, today, days: EXPIRING_WITHIN_DAYS, search }));
  });

  app.get('/subscribers/:code', async (c) => {
    const t = c.get('t');
    const code = c.req.param('code');
    const subscriber = code.length <= 64 ? await getSubscriber(deps.ledger, code) : undefined;
    if (!subscriber) return renderPage(c, deps, t.errorTitle, html`<p class="error">${t.notFound}</p>`, 404);
    const history = await subscriberHistory(deps.ledger, subscriber.id);
    const { rows } = await listShipments(deps.ledger, { subscriber: subscriber.code, limit: SUBSCRIBER_SHIPMENTS });
    const today = localDate(deps.now(), deps.timeZone);
    return renderPage(
      c,
      deps,
      `${subscriber.code} ${subscriber.name}`,
      subscriberView({ t, timeZone: deps.timeZone, subscriber, today, history, shipments: rows }),
    );
  });
}
