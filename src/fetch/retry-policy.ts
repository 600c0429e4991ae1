import type { PatchdiscError } from '../errors.ts';

/** Upper bound of one computed backoff delay. */
export const MAX_BACKOFF_MS = 60_000;

/** Statuses worth retrying: request timeout, rate limiting, and server-side failures (RFC 9110 §15.6). */
const RETRYABLE_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504]);

/** A failed attempt that may succeed later; `retryAfterMs` is the server's wish (Retry-After). */
export class RetryableFailure extends Error {
  readonly error: PatchdiscError;
  readonly retryAfterMs: number | undefined;

  constructor(error: PatchdiscError, retryAfterMs?: number) {
    super(error.message, { cause: error });
    this.name = 'RetryableFailure';
    this.error = error;
    this.retryAfterMs = retryAfterMs;
  }
}

/** True for an HTTP status that a later attempt may not see again (5xx, 408, 425, 429). */
export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status) || (status >= 500 && status <= 599);
}

/**
 * Retry-After (RFC 9110 §10.2.3) as milliseconds from `nowMs`: either delay-seconds or an HTTP-date.
 * Undefined when absent or unreadable; never negative.
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/**
 * Exponential backoff with jitter for the `failures`-th consecutive failure (1-based): the delay
 * doubles from `baseMs` and is drawn uniformly from its upper half, so clients that failed together
 * do not retry together.
 */
export function backoffDelay(failures: number, baseMs: number, random: () => number): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.max(0, failures - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
