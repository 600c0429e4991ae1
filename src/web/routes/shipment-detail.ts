/**
 * GET /shipments/:id (one shipment) and POST /shipments/:id/mark, the mailroom's only write: it
 * needs a configured token (so never on an open loopback server), the login, and a valid CSRF token.
 */
import type { Context, Hono } from 'hono';
import { isPatchdiscError } from '../../errors.ts';
import { markShipment } from '../../ledger/mark-shipment.ts';
import type { ShipmentStatus } from '../../ledger/schema.ts';
import { SHIPMENT_STATUSES } from '../../ledger/shipments.ts';
import { csrfOk } from '../auth.ts';
import type { ClerkDeps, ClerkEnv } from '../clerk-env.ts';
import { getShipmentDetail } from '../queries.ts';
import { renderPage } from '../render.ts';
import { html } from '../views/html.ts';
import { shipmentView } from '../views/shipment-view.ts';

/** Who the events written from the web page are attributed to. */
export const WEB_ACTOR = 'clerk-web';

type MarkStatus = Exclude<ShipmentStatus, 'prepared'>;

function parseId(raw: string): number | undefined {
  return /^[1-9]\d{0,11}$/.test(raw) ? Number(raw) : undefined;
}

async function showShipment(c: Context<ClerkEnv>, deps: ClerkDeps, id: number | undefined, extra: { error?: string; status?: 400 }) {
  const t = c.get('t');
  const shipment = id === undefined ? undefined : await getShipmentDetail(deps.ledger, id);
  if (!shipment) return renderPage(c, deps, t.errorTitle, html`<p class="error">${t.notFound}</p>`, 404);
  const done = SHIPMENT_STATUSES.find((s) => s === c.req.query('done'));
  const body = shipmentView({
    t,
    timeZone: deps.timeZone,
    shipment,
    csrf: c.get('csrf'),
    canMark: deps.token !== undefined,
    ...(done === undefined ? {} : { done }),
    ...(extra.error === undefined ? {} : { error: extra.error }),
  });
  return renderPage(c, deps, t.shipmentTitle(shipment.id), body, extra.status ?? 200);
}

export function registerShipmentDetailRoutes(app: Hono<ClerkEnv>, deps: ClerkDeps): void {
  app.get('/shipments/:id', (c) => showShipment(c, deps, parseId(c.req.param('id')), {}));

  app.post('/shipments/:id/mark', async (c) => {
    const t = c.get('t');
    if (deps.token === undefined) {
      return renderPage(c, deps, t.forbidden, html`<p class="error" role="alert">${t.markNeedsToken}</p>`, 403);
    }
    if (!(await csrfOk(c))) {
      return renderPage(c, deps, t.forbidden, html`<p class="error" role="alert">${t.csrfFailed}</p>`, 403);
    }
    const id = parseId(c.req.param('id'));
    if (id === undefined) return renderPage(c, deps, t.errorTitle, html`<p class="error">${t.notFound}</p>`, 404);
    const form = await c.req.parseBody();
    const status = SHIPMENT_STATUSES.find((s): s is MarkStatus => s !== 'prepared' && s === form['status']);
    const tracking = typeof form['tracking'] === 'string' ? form['tracking'] : '';
    if (status === undefined) {
      return showShipment(c, deps, id, { error: `Cannot mark shipment ${id}: choose a status`, status: 400 });
    }
    try {
      await markShipment(deps.ledger, id, { status, ...(tracking.trim() === '' ? {} : { tracking }), at: deps.now(), actor: WEB_ACTOR });
    } catch (err) {
      if (isPatchdiscError(err, 'VALIDATION')) return showShipment(c, deps, id, { error: err.message, status: 400 });
      if (isPatchdiscError(err, 'NOT_FOUND')) return showShipment(c, deps, undefined, {});
      throw err;
    }
    return c.redirect(`/shipments/${id}?done=${status}`, 303);
  });
}
