import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import { PatchdiscError } from '../errors.ts';
import type { ContentStore } from './content-store.ts';
import { runAttempt } from './download-attempt.ts';
import type { AttemptOutcome } from './download-attempt.ts';
import { normalizeSha1, normalizeSha256 } from './normalize-digest.ts';
import { assertHostAllowed, parseUrl } from './open-response.ts';
import { PartialFile } from './partial-file.ts';
import { RetryableFailure, backoffDelay } from './retry-policy.ts';

export interface DownloadRequest {
  url: string;
  /** SHA-1 from the catalog, hex or base64. */
  sha1: string;
  /** Expected size in bytes, when the catalog gives it. */
  size?: number;
  /** Expected SHA-256 (hex or base64), when the catalog gives it; otherwise only computed. */
  sha256?: string;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  sha1: string;
  sha256: string;
  /** HTTP requests made (0 when cached). */
  attempts: number;
  /** Body bytes taken from the network by this call, including bytes later discarded. */
  bytesFetched: number;
  cached: boolean;
}

export interface DownloadOptions {
  store: ContentStore;
  /** Extra hosts beside Microsoft's: "host" (any port) or "host:port"; loopback only when listed. */
  allowHosts?: string[];
  /** Failed attempts without progress before giving up (default 5). */
  retries?: number;
  /** Base of the exponential backoff in ms (default 500). */
  backoffMs?: number;
  /** Time allowed until response headers arrive, connect included (default 30000). */
  connectTimeoutMs?: number;
  /** Time allowed between two body chunks before the body is cut and resumed (default 30000). */
  stallTimeoutMs?: number;
  /** Longest Retry-After honoured; longer waits are cut to it (default 300000). */
  maxRetryAfterMs?: number;
  /** undici dispatcher, e.g. from createProxyDispatcher(); the global one when omitted. */
  dispatcher?: Dispatcher;
  signal?: AbortSignal;
  onProgress?: (p: { url: string; received: number; total?: number }) => void;
  /**
   * Called once every byte is in and both digests check out, before the fsync and the rename that
   * store the file (downloadAll starts the next download then, so the fsync overlaps it).
   */
  onVerified?: () => void;
  /** Injectable for tests; must resolve after `ms`. */
  sleep?: (ms: number) => Promise<void>;
  /** Injectable for tests; uniform in [0, 1). */
  random?: () => number;
  /** Injectable clock (ms since epoch) for Retry-After dates. */
  now?: () => number;
}

/**
 * Attempts that made progress (kept new bytes) do not use up `retries`; this bounds them so a server
 * that sends a byte and hangs up every time cannot keep a download alive forever.
 */
export const MAX_PROGRESS_RETRIES = 100;

const DEFAULTS = { retries: 5, backoffMs: 500, connectTimeoutMs: 30_000, stallTimeoutMs: 30_000, maxRetryAfterMs: 300_000 };

function aborted(url: string, cause?: unknown): PatchdiscError {
  return new PatchdiscError('ABORTED', `Cannot download ${url}: aborted (a partial download is kept)`, { cause, details: { url } });
}

/** Throws ABORTED when the caller's signal has fired (a function, so checks after awaits are not narrowed away). */
function checkAborted(signal: AbortSignal | undefined, url: string): void {
  if (signal?.aborted === true) throw aborted(url, signal.reason);
}

function hashMismatch(url: string, algorithm: string, expected: string, actual: string, quarantined?: string): PatchdiscError {
  const where = quarantined === undefined ? '' : ` (moved to ${quarantined})`;
  return new PatchdiscError(
    'HASH_MISMATCH',
    `Cannot store ${url}: ${algorithm} is ${actual} but the catalog says ${expected}${where}; the download is damaged or tampered with, retry later or report it`,
    { details: { url, expected, actual, algorithm, ...(quarantined === undefined ? {} : { quarantined }) } },
  );
}

/**
 * Downloads one catalog file into the content store: resumable (Range + If-Range), retried with
 * backoff, only from allowed hosts, SHA-1 checked and SHA-256 computed while writing. A file that
 * fails a check is quarantined and never stored as good. Returns at once when already stored.
 */
export async function downloadFile(req: DownloadRequest, options: DownloadOptions): Promise<DownloadResult> {
  const sha1 = normalizeSha1(req.sha1);
  const expectedSha256 = req.sha256 === undefined ? undefined : normalizeSha256(req.sha256);
  const url = parseUrl(req.url);
  const allowHosts = options.allowHosts ?? [];
  assertHostAllowed(url, allowHosts);
  if (req.size !== undefined && (!Number.isSafeInteger(req.size) || req.size < 0)) {
    throw new PatchdiscError('VALIDATION', `Cannot download ${req.url}: size ${req.size} is not a byte count; check the catalog entry`, { details: { url: req.url } });
  }
  checkAborted(options.signal, req.url);
  const { store } = options;
  // Two calls for one file in this process would write the same partial: the second waits, then finds it stored.
  return exclusive(resolve(store.pathFor(sha1)), () => fetchIntoStore(req, options, url, sha1, expectedSha256, allowHosts));
}

const inFlight = new Map<string, Promise<void>>();

async function exclusive<T>(key: string, run: () => Promise<T>): Promise<T> {
  for (let busy = inFlight.get(key); busy !== undefined; busy = inFlight.get(key)) await busy;
  let release = (): void => undefined;
  inFlight.set(key, new Promise<void>((done) => (release = done)));
  try {
    return await run();
  } finally {
    inFlight.delete(key);
    release();
  }
}

async function fetchIntoStore(
  req: DownloadRequest,
  options: DownloadOptions,
  url: URL,
  sha1: string,
  expectedSha256: string | undefined,
  allowHosts: readonly string[],
): Promise<DownloadResult> {
  const { store } = options;
  const stored = await store.info(sha1);
  if (stored !== undefined) {
    if (expectedSha256 !== undefined && stored.sha256 !== expectedSha256) throw hashMismatch(req.url, 'SHA-256 of the stored copy', expectedSha256, stored.sha256);
    return { path: store.pathFor(sha1), bytes: stored.size, sha1, sha256: stored.sha256, attempts: 0, bytesFetched: 0, cached: true };
  }

  const retries = options.retries ?? DEFAULTS.retries;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? ((ms: number) => delay(ms, undefined, options.signal === undefined ? {} : { signal: options.signal }));
  let partial = await PartialFile.open(store, sha1, req.url);
  let attempts = 0;
  let bytesFetched = 0;
  let failures = 0;
  let progressFailures = 0;
  let consecutive = 0;
  let bestHeld = 0;
  let retriedAfterMismatch = false;
  try {
    for (;;) {
      const heldBefore = Math.max(bestHeld, partial.received);
      let outcome: AttemptOutcome;
      try {
        outcome = await runAttempt({
          url,
          size: req.size,
          partial,
          allowHosts,
          dispatcher: options.dispatcher,
          signal: options.signal,
          connectTimeoutMs: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
          stallTimeoutMs: options.stallTimeoutMs ?? DEFAULTS.stallTimeoutMs,
          now: options.now ?? Date.now,
          onProgress: options.onProgress,
          onBytes: (n) => {
            bytesFetched += n;
          },
        });
        if (outcome.requested) attempts += 1;
      } catch (err) {
        attempts += 1;
        await partial.rollback();
        if (!(err instanceof RetryableFailure)) throw err;
        // Progress = more bytes held than ever before; refetching the same prefix is no progress.
        const progressed = partial.received > heldBefore;
        bestHeld = Math.max(bestHeld, partial.received);
        if (progressed) progressFailures += 1;
        else failures += 1;
        consecutive = progressed ? 1 : consecutive + 1;
        if (failures > retries || progressFailures > MAX_PROGRESS_RETRIES) {
          throw new PatchdiscError(
            'RETRIES_EXHAUSTED',
            `Cannot download ${req.url}: gave up after ${attempts} attempts (${err.error.message}); rerun later, the partial download resumes`,
            { cause: err.error, details: { url: req.url, attempts, lastCode: err.error.code, ...err.error.details } },
          );
        }
        const wait = err.retryAfterMs === undefined
          ? backoffDelay(consecutive, options.backoffMs ?? DEFAULTS.backoffMs, random)
          : Math.min(err.retryAfterMs, options.maxRetryAfterMs ?? DEFAULTS.maxRetryAfterMs);
        try {
          await sleep(wait);
        } catch (sleepErr) {
          throw aborted(req.url, sleepErr);
        }
        checkAborted(options.signal, req.url);
        continue;
      }

      const bytes = partial.received;
      const actual = await partial.digests();
      const mismatch =
        actual.sha1 !== sha1
          ? { algorithm: 'SHA-1', expected: sha1, actual: actual.sha1 }
          : expectedSha256 !== undefined && actual.sha256 !== expectedSha256
            ? { algorithm: 'SHA-256', expected: expectedSha256, actual: actual.sha256 }
            : undefined;
      if (mismatch !== undefined) {
        await partial.close();
        const quarantined = await store.quarantine(partial.dataPath, sha1);
        await partial.forget();
        // Bytes joined from several answers may be a resume gone wrong: one clean full download more.
        if (outcome.assembled && !retriedAfterMismatch) {
          retriedAfterMismatch = true;
          partial = await PartialFile.open(store, sha1, req.url);
          continue;
        }
        throw hashMismatch(req.url, mismatch.algorithm, mismatch.expected, mismatch.actual, quarantined);
      }
      options.onVerified?.();
      await store.commit(partial.dataPath, { sha1, sha256: actual.sha256, size: bytes, url: req.url }, () => partial.syncAndClose());
      await partial.forget();
      return { path: store.pathFor(sha1), bytes, sha1, sha256: actual.sha256, attempts, bytesFetched, cached: false };
    }
  } catch (err) {
    await partial.close().catch(() => undefined);
    if (err instanceof PatchdiscError && err.code === 'SIZE_MISMATCH') {
      const quarantined = partial.received > 0 ? await store.quarantine(partial.dataPath, sha1) : undefined;
      if (quarantined === undefined) await rm(partial.dataPath, { force: true });
      await partial.forget();
      throw quarantined === undefined ? err : new PatchdiscError('SIZE_MISMATCH', `${err.message} (moved to ${quarantined})`, { cause: err, details: { ...err.details, quarantined } });
    }
    const keep = err instanceof PatchdiscError && (err.code === 'DISK_FULL' || err.code === 'ABORTED');
    const pulled = err instanceof PatchdiscError && err.code === 'HTTP_ERROR' && (err.details['status'] === 404 || err.details['status'] === 410);
    // Nothing worth resuming (no bytes, or the file is gone upstream): leave no partial behind.
    if (pulled || (!keep && partial.received === 0)) {
      await rm(partial.dataPath, { force: true });
      await partial.forget();
    }
    throw err;
  } finally {
    await partial.close().catch(() => undefined);
  }
}
