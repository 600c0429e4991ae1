/**
 * Sessions, access token and CSRF for the clerk page.
 *
 * - Every browser gets a random session id in an HttpOnly, SameSite=Strict cookie.
 * - With a token configured, every page needs it: `Authorization: Bearer <token>`, or the auth
 *   cookie the login form sets (an HMAC of session id and token, so the token itself never sits in
 *   a cookie and the cookie is worthless with another session id).
 * - Every POST carries a CSRF token in a hidden field: the HMAC of the session id (checked in
 *   constant time), and its Origin / Sec-Fetch-Site must say it came from this site.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { ClerkDeps, ClerkEnv } from './clerk-env.ts';

export const SESSION_COOKIE = 'pd_sid';
export const AUTH_COOKIE = 'pd_auth';
export const CSRF_FIELD = '_csrf';
/** Paths reachable without the token: the login form itself. */
export const LOGIN_PATH = '/login';

const SESSION_ID = /^[A-Za-z0-9_-]{43}$/; // 32 random bytes as base64url
const COOKIE_OPTIONS = { path: '/', httpOnly: true, sameSite: 'Strict' } as const;

function hmac(secret: Uint8Array, label: string, ...parts: string[]): string {
  const h = createHmac('sha256', secret).update(label);
  for (const p of parts) h.update('\u0000').update(p);
  return h.digest('base64url');
}

/** Constant-time string comparison (of their SHA-256 HMACs, so lengths leak nothing). */
export function safeEqual(a: string, b: string): boolean {
  const key = randomBytes(32);
  const da = createHmac('sha256', key).update(a).digest();
  const db = createHmac('sha256', key).update(b).digest();
  return timingSafeEqual(da, db);
}

/** A fresh random session id. */
export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}

/** The CSRF token forms of session `sid` carry. */
export function csrfToken(secret: Uint8Array, sid: string): string {
  return hmac(secret, 'patchdisc-clerk-csrf', sid);
}

/** The auth cookie value proving that session `sid` logged in with `token`. */
export function authCookieValue(secret: Uint8Array, sid: string, token: string): string {
  return hmac(secret, 'patchdisc-clerk-auth', sid, token);
}

/** Sets c.var.sid (creating the session cookie when absent or malformed) and c.var.csrf. */
export function sessionMiddleware(deps: ClerkDeps): MiddlewareHandler<ClerkEnv> {
  return async (c, next) => {
    let sid = getCookie(c, SESSION_COOKIE);
    if (sid === undefined || !SESSION_ID.test(sid)) {
      sid = newSessionId();
      setCookie(c, SESSION_COOKIE, sid, COOKIE_OPTIONS);
    }
    startSession(c, deps, sid);
    await next();
  };
}

function startSession(c: Context<ClerkEnv>, deps: ClerkDeps, sid: string): void {
  c.set('sid', sid);
  c.set('csrf', csrfToken(deps.secret, sid));
}

/** True when the request carries the configured token (header or login cookie). */
export function isAuthenticated(c: Context<ClerkEnv>, deps: ClerkDeps): boolean {
  if (deps.token === undefined) return false;
  const header = c.req.header('authorization');
  if (header !== undefined) {
    const m = /^Bearer +(\S+)$/i.exec(header);
    return m !== null && safeEqual(m[1] as string, deps.token);
  }
  const cookie = getCookie(c, AUTH_COOKIE);
  return cookie !== undefined && safeEqual(cookie, authCookieValue(deps.secret, c.get('sid'), deps.token));
}

/**
 * With a token configured, lets only authenticated requests through (the login form excepted): a
 * browser GET is sent to the login form, anything else gets 401.
 */
export function authMiddleware(deps: ClerkDeps): MiddlewareHandler<ClerkEnv> {
  return async (c, next) => {
    const authed = isAuthenticated(c, deps);
    c.set('authed', authed);
    if (deps.token === undefined || authed || c.req.path === LOGIN_PATH) {
      await next();
      return;
    }
    const url = new URL(c.req.url);
    if ((c.req.method === 'GET' || c.req.method === 'HEAD') && c.req.header('authorization') === undefined) {
      return c.redirect(`${LOGIN_PATH}?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
    }
    c.header('WWW-Authenticate', 'Bearer realm="patchdisc"');
    return c.text('Cannot open the clerk page: an access token is required (Authorization: Bearer <token> or the login form)', 401);
  };
}

/** Logs session into `token`: a fresh session id (no fixation) and the auth cookie for it. */
export function logIn(c: Context<ClerkEnv>, deps: ClerkDeps, token: string): void {
  const sid = newSessionId();
  setCookie(c, SESSION_COOKIE, sid, COOKIE_OPTIONS);
  setCookie(c, AUTH_COOKIE, authCookieValue(deps.secret, sid, token), COOKIE_OPTIONS);
  startSession(c, deps, sid);
}

/** Ends the login: the auth cookie is cleared. */
export function logOut(c: Context<ClerkEnv>): void {
  setCookie(c, AUTH_COOKIE, '', { ...COOKIE_OPTIONS, maxAge: 0 });
}

/**
 * Whether a POST may act: it came from this site (Sec-Fetch-Site same-origin when sent, Origin equal
 * to ours when sent) and its form holds this session's CSRF token.
 */
export async function csrfOk(c: Context<ClerkEnv>): Promise<boolean> {
  const site = c.req.header('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin') return false;
  const origin = c.req.header('origin');
  if (origin !== undefined && origin !== new URL(c.req.url).origin) return false;
  const form = await c.req.parseBody();
  const sent = form[CSRF_FIELD];
  return typeof sent === 'string' && safeEqual(sent, c.get('csrf'));
}

/** `next` when it is a path on this site, else '/'. Keeps the login redirect from leaving the site. */
export function safeNext(next: string | undefined): string {
  return next !== undefined && /^\/(?![/\\])[^\s\\]*$/.test(next) ? next : '/';
}
