/**
 * GET /shipments (the log, filtered and paged) and GET /shipments.csv (everything the filter
 * matches, as the ledger's Excel-safe CSV).
 */
import type { Hono } from 'hono';
import { isPatchdiscError } from '../../errors.ts';
import { listShipments, shipmentsCsv, type ShipmentRow } from '../../ledger/shipments.ts';
import { listSubscribers } from '../../ledger/subscribers.ts';
import type { ClerkDeps, ClerkEnv } from '../clerk-env.ts';
import { renderPage } from '../render.ts';
import { parseShipmentQuery, type ShipmentQuery } from '../shipment-query.ts';
import { shipmentsView } from '../views/shipments-view.ts';

/** Rows per ledger query when collecting the whole CSV (listShipments allows at most 1000). */
const CSV_CHUNK = 1000;

export function registerShipmentRoutes(app: Hono<ClerkEnv>, deps: ClerkDeps): void {
  app.get('/shipments', async (c) => {
    const t = c.get('t');
    const codes = (await listSubscribers(deps.ledger)).map((s) => s.code);
    const base = { t, timeZone: deps.timeZone, subscriberCodes: codes };
    let query: ShipmentQuery = { filter: {}, page: 1, values: {} };
    try {
      query = parseShipmentQuery(c.req.query());
      const { rows, total, totalFeeFen } = await listShipments(deps.ledger, {
        ...query.filter,
        limit: deps.pageSize,
        offset: (query.page - 1) * deps.pageSize,
      });
      const pages = Math.max(1, Math.ceil(total / deps.pageSize));
      return renderPage(c, deps, t.shipmentsTitle, shipmentsView({ ...base, query, rows, total, totalFeeFen, pages }));
    } catch (err) {
      if (!isPatchdiscError(err, 'VALIDATION')) throw err;
      const values = query.values;
      const body = shipmentsView({ ...base, query: { ...query, values }, rows: [], total: 0, totalFeeFen: 0, pages: 1, error: err.message });
      return renderPage(c, deps, t.shipmentsTitle, body, 400);
    }
  });

  app.get('/shipments.csv', async (c) => {
    const query = parseShipmentQuery(c.req.query());
    const rows: ShipmentRow[] = [];
    for (let offset = 0; ; offset += CSV_CHUNK) {
      const page = await listShipments(deps.ledger, { ...query.filter, limit: CSV_CHUNK, offset });
      rows.push(...page.rows);
      if (page.rows.length < CSV_CHUNK) break;
    }
    const scope = query.values.month ?? query.values.week ?? 'all';
    // The name holds only a validated month/week or "all", so it needs no quoting beyond this.
    const name = `shipments-${scope.replace(/[^0-9A-Za-z-]/g, '')}.csv`;
    return c.body(shipmentsCsv(rows), 200, {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${name}"`,
    });
  });
}
