/**
 * What every route of the clerk page shares: the Hono environment (per-request values set by the
 * middleware) and the dependencies createClerkApp was given.
 */
import type { Ledger } from '../ledger/open-ledger.ts';
import type { Lang, Messages } from './i18n.ts';

export interface ClerkVariables {
  lang: Lang;
  t: Messages;
  /** This browser session's id (random, from the HttpOnly session cookie). */
  sid: string;
  /** The CSRF token for forms of this session: HMAC of sid. */
  csrf: string;
  /** True when a token is configured and this request carried it. */
  authed: boolean;
}

export interface ClerkEnv {
  Variables: ClerkVariables;
}

export interface ClerkDeps {
  ledger: Ledger;
  /** The access token; undefined when serve runs without one (loopback only, read-only). */
  token: string | undefined;
  now: () => Date;
  /** Key for the session, auth and CSRF HMACs. */
  secret: Uint8Array;
  pageSize: number;
  /** IANA zone the clerk's "today" is taken in (service periods, expiring contracts). */
  timeZone: string;
}

/** `YYYY-MM-DD` of `at` in `timeZone`. */
export function localDate(at: Date, timeZone: string): string {
  // en-CA formats dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}
