/**
 * Response headers every clerk page carries, and the Host check that keeps a DNS-rebinding page
 * from reading a loopback server.
 */
import type { MiddlewareHandler } from 'hono';
import type { ClerkEnv } from './clerk-env.ts';

/**
 * No script at all; styles only inline (the page has no stylesheet file); images only data: URLs;
 * forms post only to this site; no framing.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  'img-src data:',
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** Sets CSP, nosniff, Referrer-Policy, no-store and frame denial on every response. */
export function securityHeaders(): MiddlewareHandler<ClerkEnv> {
  return async (c, next) => {
    await next();
    c.res.headers.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    c.res.headers.set('X-Content-Type-Options', 'nosniff');
    // same-origin, not no-referrer: under no-referrer Chromium sends `Origin: null` on our own form
    // posts, which the CSRF check must refuse. Nothing leaks to other sites either way.
    c.res.headers.set('Referrer-Policy', 'same-origin');
    c.res.headers.set('X-Frame-Options', 'DENY');
    c.res.headers.set('Cache-Control', 'no-store');
  };
}

/**
 * Refuses (421) a request whose Host header names none of `allowedHosts` (host names, no port).
 * Without a list every Host is accepted.
 */
export function hostCheck(allowedHosts: readonly string[] | undefined): MiddlewareHandler<ClerkEnv> {
  return async (c, next) => {
    if (allowedHosts !== undefined) {
      const host = new URL(c.req.url).hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
      if (!allowedHosts.includes(host)) {
        return c.text(`Cannot serve host ${host}: this server answers only ${allowedHosts.join(', ')}`, 421);
      }
    }
    await next();
    return undefined;
  };
}
