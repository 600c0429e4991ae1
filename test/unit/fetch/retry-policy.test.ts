import { describe, expect, it } from 'vitest';
import { MAX_BACKOFF_MS, backoffDelay, isRetryableStatus, parseRetryAfter } from '../../../src/fetch/retry-policy.ts';

describe('retry policy', () => {
  it('parseRetryAfter() reads delay-seconds and HTTP-dates', () => {
    const now = Date.parse('2026-01-05T10:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Mon, 05 Jan 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Mon, 05 Jan 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('backoffDelay() doubles per failure, jitters within the upper half, and is capped', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, 500, () => 0))).toEqual([250, 500, 1000, 2000]);
    expect(backoffDelay(3, 500, () => 0.999999)).toBe(2000);
    expect(backoffDelay(40, 500, () => 1)).toBe(MAX_BACKOFF_MS);
  });

  it('isRetryableStatus() retries 5xx, 408 and 429 but not 404 or 403', () => {
    expect([500, 502, 503, 504, 599, 408, 429].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 410].some(isRetryableStatus)).toBe(false);
  });
});
