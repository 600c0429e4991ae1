import type { Dispatcher } from 'undici';
import { PatchdiscError } from '../errors.ts';
import { isHostAllowed } from './allowlist.ts';
import { dispatchGet } from './dispatch-get.ts';
import type { OpenedResponse } from './dispatch-get.ts';

/** Redirect hops followed before giving up (the first request is not a hop). */
export const MAX_REDIRECTS = 5;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Throws HOST_NOT_ALLOWED unless `url` may be fetched; `from` names the page that redirected. */
export function assertHostAllowed(url: URL, allowHosts: readonly string[], from?: string): void {
  if (isHostAllowed(url, allowHosts)) return;
  const via = from === undefined ? '' : ` (redirected from ${from})`;
  throw new PatchdiscError(
    'HOST_NOT_ALLOWED',
    `Cannot download ${url.href}${via}: host ${url.host} over ${url.protocol.slice(0, -1)} is not allowed; add it to the allowed hosts if it is a trusted mirror`,
    { details: { url: url.href, host: url.host, ...(from === undefined ? {} : { from }) } },
  );
}

/** Parses a URL string, turning a malformed one into VALIDATION. */
export function parseUrl(text: string): URL {
  try {
    return new URL(text);
  } catch (err) {
    throw new PatchdiscError('VALIDATION', `Cannot download "${text}": not a valid URL; check the catalog entry`, {
      cause: err,
      details: { url: text },
    });
  }
}

/**
 * GET `url`, following up to MAX_REDIRECTS redirects by hand so that every hop is checked against
 * the allow-list before any connection to it is made. Network errors are thrown as they come.
 */
export async function openResponse(
  url: URL,
  init: { headers: Record<string, string>; signal: AbortSignal; dispatcher?: Dispatcher | undefined; allowHosts: readonly string[] },
): Promise<{ response: OpenedResponse; url: URL }> {
  let current = url;
  let from: string | undefined;
  for (let hop = 0; ; hop += 1) {
    assertHostAllowed(current, init.allowHosts, from);
    // dispatchGet follows no redirect by itself: each hop comes back here to be checked.
    const response = await dispatchGet(current, init);
    if (!REDIRECT_STATUSES.has(response.status)) return { response, url: current };
    const location = response.header('location');
    response.discard();
    if (location === null) {
      throw new PatchdiscError('HTTP_ERROR', `Cannot download ${url.href}: ${current.href} answered ${response.status} without a Location header; report the broken server`, {
        details: { url: url.href, status: response.status },
      });
    }
    if (hop >= MAX_REDIRECTS) {
      throw new PatchdiscError('HTTP_ERROR', `Cannot download ${url.href}: more than ${MAX_REDIRECTS} redirects; report the redirect loop`, {
        details: { url: url.href, status: response.status, redirects: hop + 1 },
      });
    }
    from = current.href;
    current = new URL(location, current);
  }
}
