/**
 * The billing clerk's web page as a Hono app: shipment log (filters, totals, paging, CSV),
 * subscribers, weekly builds, disc contents, and the mailroom's "mark mailed" form. Tested in
 * process with app.request(); served by serveClerk.
 */
import { randomBytes } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { isPatchdiscError } from '../errors.ts';
import type { Ledger } from '../ledger/open-ledger.ts';
import { authMiddleware, sessionMiddleware } from './auth.ts';
import type { ClerkDeps, ClerkEnv } from './clerk-env.ts';
import { DEFAULT_LANG, messages } from './i18n.ts';
import { langMiddleware } from './lang.ts';
import { renderPage } from './render.ts';
import { registerBuildRoutes } from './routes/builds.ts';
import { registerDiscRoutes } from './routes/discs.ts';
import { registerLoginRoutes } from './routes/login.ts';
import { registerShipmentDetailRoutes } from './routes/shipment-detail.ts';
import { registerShipmentRoutes } from './routes/shipments.ts';
import { registerSubscriberRoutes } from './routes/subscribers.ts';
import { hostCheck, securityHeaders } from './security-headers.ts';
import { html } from './views/html.ts';

export interface ClerkAppOptions {
  ledger: Ledger;
  /** Access token; without one the page is read-only and must stay on loopback (assertServeAllowed). */
  token?: string;
  now?: () => Date;
  /** Key for the session/CSRF HMACs; random per process by default. */
  secret?: Uint8Array;
  /** Shipment log rows per page (default 50). */
  pageSize?: number;
  /** Zone for "today" and shown times (default Asia/Shanghai). */
  timeZone?: string;
  /** Host names the Host header may carry (DNS-rebinding guard); any when omitted. */
  allowedHosts?: readonly string[];
}

export const DEFAULT_PAGE_SIZE = 50;
export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

function errorResponse(c: Context<ClerkEnv>, deps: ClerkDeps, err: unknown): Response {
  const t = c.get('t') ?? messages(DEFAULT_LANG);
  const [status, message] = isPatchdiscError(err, 'VALIDATION') || isPatchdiscError(err, 'USAGE')
    ? ([400, err.message] as const)
    : isPatchdiscError(err, 'NOT_FOUND')
      ? ([404, t.notFound] as const)
      : ([500, t.internalError] as const);
  if (c.get('sid') === undefined) return c.text(message, status);
  return renderPage(c, deps, t.errorTitle, html`<p class="error" role="alert">${message}</p>`, status);
}

/** The clerk app. Pass a token to require it on every page and to allow the mark-mailed form. */
export function createClerkApp(options: ClerkAppOptions): Hono<ClerkEnv> {
  const deps: ClerkDeps = {
    ledger: options.ledger,
    token: options.token === '' ? undefined : options.token,
    now: options.now ?? (() => new Date()),
    secret: options.secret ?? randomBytes(32),
    pageSize: options.pageSize ?? DEFAULT_PAGE_SIZE,
    timeZone: options.timeZone ?? DEFAULT_TIME_ZONE,
  };
  const app = new Hono<ClerkEnv>();
  app.use(securityHeaders());
  app.use(hostCheck(options.allowedHosts));
  app.use(langMiddleware());
  app.use(sessionMiddleware(deps));
  app.use(authMiddleware(deps));

  app.get('/', (c) => c.redirect('/shipments', 303));
  registerLoginRoutes(app, deps);
  registerShipmentRoutes(app, deps);
  registerShipmentDetailRoutes(app, deps);
  registerSubscriberRoutes(app, deps);
  registerBuildRoutes(app, deps);
  registerDiscRoutes(app, deps);

  app.notFound((c) => renderPage(c, deps, c.get('t').errorTitle, html`<p class="error">${c.get('t').notFound}</p>`, 404));
  app.onError((err, c) => errorResponse(c, deps, err));
  return app;
}
