import type { Dispatcher } from 'undici';
import { PatchdiscError } from '../errors.ts';
import { openResponse } from './open-response.ts';
import type { OpenedResponse } from './dispatch-get.ts';
import type { PartialFile } from './partial-file.ts';
import { RetryableFailure, isRetryableStatus, parseRetryAfter } from './retry-policy.ts';

/** Everything one HTTP attempt needs; `partial` carries the bytes and hash state across attempts. */
export interface AttemptContext {
  url: URL;
  size: number | undefined;
  partial: PartialFile;
  allowHosts: readonly string[];
  dispatcher: Dispatcher | undefined;
  signal: AbortSignal | undefined;
  connectTimeoutMs: number;
  stallTimeoutMs: number;
  now: () => number;
  onProgress: ((p: { url: string; received: number; total?: number }) => void) | undefined;
  /** Counts every body byte taken from the network, kept or not. */
  onBytes: (n: number) => void;
}

/** How an attempt ended well: `requested` false when the partial was already complete. */
export interface AttemptOutcome {
  /** The bytes come from more than one response (or an earlier run), so a mismatch may be a bad resume. */
  assembled: boolean;
  requested: boolean;
}

/** Content-Range of a 206 (RFC 9110 §14.4): "bytes first-last/complete" with complete possibly "*". */
const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+|\*)$/;
/** Content-Range of a 416: "bytes *\/complete". */
const UNSATISFIED_RANGE = /^bytes \*\/(\d+)$/;

function describe(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  const cause = e.cause?.code ?? e.cause?.message;
  return cause === undefined ? String(e.message ?? err) : `${e.message ?? 'error'} (${cause})`;
}

/** OpenSSL's certificate verification failures (node's err.code), on the error or its cause. */
const TLS_CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_UNTRUSTED', 'CERT_REVOKED',
  'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_SIGNATURE_FAILURE', 'INVALID_CA',
]);

function tlsFailure(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e !== undefined && e !== null && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && TLS_CERTIFICATE_CODES.has(e.code)) return e.code;
  }
  return undefined;
}

function sizeMismatch(url: URL, expected: number, actual: number, what: string): PatchdiscError {
  return new PatchdiscError(
    'SIZE_MISMATCH',
    `Cannot download ${url.href}: ${what} is ${actual} bytes but the catalog says ${expected}; the server is serving other content, report it or refresh the catalog`,
    { details: { url: url.href, expected, actual } },
  );
}

function retryable(url: URL, message: string, details: Record<string, unknown> = {}, cause?: unknown): RetryableFailure {
  return new RetryableFailure(
    new PatchdiscError('NETWORK_ERROR', `Cannot download ${url.href}: ${message}`, { cause, details: { url: url.href, ...details } }),
  );
}

/** Turns a status that is not 200/206/416 into the error to throw (retryable or final). */
function statusError(ctx: AttemptContext, response: OpenedResponse): Error {
  const { status } = response;
  const details = { url: ctx.url.href, status };
  if (status === 404 || status === 410) {
    return new PatchdiscError('HTTP_ERROR', `Cannot download ${ctx.url.href}: the server answered ${status}; the file was pulled or not found, refresh the catalog`, { details });
  }
  const answer = `${status} ${response.statusText}`.trimEnd();
  if (isRetryableStatus(status)) {
    const error = new PatchdiscError('HTTP_ERROR', `Cannot download ${ctx.url.href}: the server answered ${answer}; retry later`, { details });
    return new RetryableFailure(error, parseRetryAfter(response.header('retry-after'), ctx.now()));
  }
  return new PatchdiscError('HTTP_ERROR', `Cannot download ${ctx.url.href}: the server answered ${answer}; check the URL and the proxy settings`, { details });
}

/**
 * Checks a 206 against what was asked: it must start where the partial ends, describe the file the
 * catalog describes, and carry the validator the partial was fetched under.
 */
async function acceptPartialContent(ctx: AttemptContext, response: OpenedResponse): Promise<number | undefined> {
  const { partial } = ctx;
  const match = CONTENT_RANGE.exec(response.header('content-range') ?? '');
  const etag = response.header('etag');
  if (match === null || Number(match[1]) !== partial.received) {
    await partial.restart();
    throw retryable(ctx.url, `a 206 answer did not continue at byte ${partial.received}; restarting from the beginning`, {
      contentRange: response.header('content-range'),
    });
  }
  if (etag !== null && partial.etag !== undefined && etag !== partial.etag) {
    await partial.restart();
    throw retryable(ctx.url, `the file changed during the download (ETag ${partial.etag} → ${etag}); restarting from the beginning`);
  }
  const complete = match[3] === '*' ? undefined : Number(match[3]);
  if (complete !== undefined && ctx.size !== undefined && complete !== ctx.size) {
    throw sizeMismatch(ctx.url, ctx.size, complete, 'the file (Content-Range)');
  }
  return complete;
}

/**
 * One GET of the rest of the file, appended to `ctx.partial`. Throws RetryableFailure for what a
 * later attempt may fix, PatchdiscError for what it cannot, ABORTED when the caller aborts.
 */
export async function runAttempt(ctx: AttemptContext): Promise<AttemptOutcome> {
  const { partial, url } = ctx;
  if (partial.received > 0 && (partial.ifRange === undefined || (ctx.size !== undefined && partial.received > ctx.size))) {
    await partial.restart();
  }
  // A previous run may have stopped after the last byte but before the rename: nothing left to ask.
  if (ctx.size !== undefined && partial.received === ctx.size && partial.received > 0) return { assembled: true, requested: false };

  const headers: Record<string, string> = { 'accept-encoding': 'identity' };
  const ifRange = partial.ifRange;
  if (partial.received > 0 && ifRange !== undefined) {
    headers['range'] = `bytes=${partial.received}-`;
    headers['if-range'] = ifRange;
  }
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(ctx.signal?.reason);
  ctx.signal?.addEventListener('abort', onAbort, { once: true });
  let timedOut: 'connect' | 'stall' | undefined;
  let finished = false;
  let timer = setTimeout(() => {
    timedOut = 'connect';
    controller.abort();
  }, ctx.connectTimeoutMs);

  try {
    const { response } = await openResponse(url, { headers, signal: controller.signal, dispatcher: ctx.dispatcher, allowHosts: ctx.allowHosts });
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = 'stall';
      controller.abort();
    }, ctx.stallTimeoutMs);

    let total: number | undefined;
    let assembled = partial.received > 0;
    if (response.status === 200) {
      if (partial.received > 0) await partial.restart(); // range ignored or validator changed: a full copy follows
      assembled = false;
      // Content-Length only limits this answer; the catalog size and the digests decide what is good.
      const length = response.header('content-length');
      total = length === null ? undefined : Number(length);
      await partial.setValidator(response.header('etag') ?? undefined, response.header('last-modified') ?? undefined);
    } else if (response.status === 206) {
      total = await acceptPartialContent(ctx, response);
    } else if (response.status === 416) {
      const complete = UNSATISFIED_RANGE.exec(response.header('content-range') ?? '');
      if (complete !== null && Number(complete[1]) === partial.received && partial.received > 0) {
        return { assembled: true, requested: true };
      }
      await partial.restart();
      throw retryable(url, `the server refused the range from byte ${partial.received}; restarting from the beginning`, { status: 416 });
    } else {
      throw statusError(ctx, response);
    }
    total = ctx.size ?? total;

    const limit = total;
    await response.readBody((chunk) => {
      timer.refresh();
      ctx.onBytes(chunk.length);
      if (limit !== undefined && partial.received + chunk.length > limit) {
        const overflow = sizeMismatch(url, limit, partial.received + chunk.length, 'the answer (at least)');
        const writing = partial.append(chunk.subarray(0, limit - partial.received)) ?? Promise.resolve();
        return writing.then(() => Promise.reject(overflow));
      }
      const writing = partial.append(chunk);
      ctx.onProgress?.(limit === undefined ? { url: url.href, received: partial.received } : { url: url.href, received: partial.received, total: limit });
      return writing;
    });
    // A failed block write surfaces here, inside the attempt, so the partial is rolled back.
    await partial.flush();
    finished = true;
    // Only reachable without Content-Length (undici enforces it), where a close looks like an end.
    if (ctx.size !== undefined && partial.received < ctx.size) {
      throw retryable(url, `the answer ended at byte ${partial.received} of ${ctx.size}; resuming`);
    }
    return { assembled, requested: true };
  } catch (err) {
    if (err instanceof PatchdiscError || err instanceof RetryableFailure) throw err;
    if (ctx.signal?.aborted === true) {
      throw new PatchdiscError('ABORTED', `Cannot download ${url.href}: aborted after ${partial.received} bytes (the partial download is kept)`, {
        cause: err,
        details: { url: url.href, received: partial.received },
      });
    }
    if (timedOut === 'connect') throw retryable(url, `no answer within ${ctx.connectTimeoutMs} ms`, { timeout: 'connect' }, err);
    if (timedOut === 'stall') throw retryable(url, `no data for ${ctx.stallTimeoutMs} ms after byte ${partial.received}; resuming`, { timeout: 'stall' }, err);
    const tls = tlsFailure(err);
    if (tls !== undefined) {
      // Retrying cannot make a certificate trusted: one clear error at once.
      throw new PatchdiscError('NETWORK_ERROR', `Cannot download ${url.href}: the server's TLS certificate is not trusted (${tls}); a TLS-inspecting proxy or mirror needs its CA in NODE_EXTRA_CA_CERTS`, {
        cause: err,
        details: { url: url.href, tls },
      });
    }
    throw retryable(url, `${describe(err)} after byte ${partial.received}`, {}, err);
  } finally {
    clearTimeout(timer);
    ctx.signal?.removeEventListener('abort', onAbort);
    // A body left unread (error paths) must not hold the connection: aborting drops it.
    if (!finished) controller.abort();
  }
}
