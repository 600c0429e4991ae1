import { stat } from 'node:fs/promises';
import pLimit from 'p-limit';
import type { LimitFunction } from 'p-limit';
import { PatchdiscError, isPatchdiscError } from '../errors.ts';
import { downloadFile } from './download-file.ts';
import type { DownloadOptions, DownloadRequest, DownloadResult } from './download-file.ts';
import { checkFreeSpace } from './free-space.ts';
import { normalizeSha1 } from './normalize-digest.ts';

export interface DownloadAllOptions extends DownloadOptions {
  /** Files downloaded at once over all hosts (default 4). */
  concurrency?: number;
  /** Files downloaded at once from one host:port, counted by the request URL (default 4). */
  perHost?: number;
  /** Kept free beyond the files' known sizes in the free-space preflight (default 0). */
  freeSpaceMarginBytes?: number;
  onFileDone?: (result: DownloadResult) => void;
  onFileFailed?: (req: DownloadRequest, error: PatchdiscError) => void;
}

export interface DownloadAllResult {
  /** In completion order, one per distinct SHA-1. */
  done: DownloadResult[];
  failed: { req: DownloadRequest; error: PatchdiscError }[];
}

/** Errors that stop the whole batch: nothing else can succeed after them. */
const FATAL_CODES = new Set(['DISK_FULL', 'ABORTED']);

function asPatchdiscError(err: unknown, req: DownloadRequest): PatchdiscError {
  if (err instanceof PatchdiscError) return err;
  return new PatchdiscError('INTERNAL', `Cannot download ${req.url}: ${(err as Error).message ?? String(err)}`, { cause: err, details: { url: req.url } });
}

function positiveInt(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new PatchdiscError('USAGE', `Cannot download: ${name} must be a positive integer, not ${value}`);
  return value;
}

/** stat() calls the free-space preflight keeps in flight: one after another, 155 files took ~15 ms. */
const PREFLIGHT_STATS_AT_ONCE = 16;

/** Bytes still to fetch for the requests whose size is known (stored files and partial bytes excluded). */
async function bytesStillNeeded(reqs: readonly DownloadRequest[], options: DownloadOptions): Promise<number> {
  const limit = pLimit(PREFLIGHT_STATS_AT_ONCE);
  const needs = reqs.map((req) =>
    limit(async () => {
      if (req.size === undefined || (await options.store.has(req.sha1))) return 0;
      const held = await stat(options.store.partialPathFor(req.sha1).data).then((s) => s.size, () => 0);
      return Math.max(0, req.size - held);
    }),
  );
  return (await Promise.all(needs)).reduce((sum, n) => sum + n, 0);
}

/**
 * Downloads every request (one per distinct SHA-1) through one bounded pool with a per-host limit.
 * A single file's failure (a pulled KB's 404, a hash mismatch) lands in `failed`; only a full disk
 * or an abort stops the batch and throws.
 */
export async function downloadAll(reqs: readonly DownloadRequest[], options: DownloadAllOptions): Promise<DownloadAllResult> {
  const concurrency = positiveInt(options.concurrency ?? 4, 'concurrency');
  const perHost = positiveInt(options.perHost ?? 4, 'perHost');
  const done: DownloadResult[] = [];
  const failed: { req: DownloadRequest; error: PatchdiscError }[] = [];

  const unique = new Map<string, DownloadRequest>();
  for (const req of reqs) {
    try {
      const sha1 = normalizeSha1(req.sha1);
      if (!unique.has(sha1)) unique.set(sha1, req);
    } catch (err) {
      failed.push({ req, error: asPatchdiscError(err, req) });
      options.onFileFailed?.(req, asPatchdiscError(err, req));
    }
  }
  await checkFreeSpace(options.store.storeDir, await bytesStillNeeded([...unique.values()], options), options.freeSpaceMarginBytes ?? 0);

  const controller = new AbortController();
  const onAbort = (): void => controller.abort(options.signal?.reason);
  if (options.signal?.aborted === true) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let fatal: PatchdiscError | undefined;
  const pool = pLimit(concurrency);
  const hosts = new Map<string, LimitFunction>();
  const hostLimit = (req: DownloadRequest): LimitFunction => {
    let key: string;
    try {
      key = new URL(req.url).host;
    } catch {
      key = '';
    }
    let limit = hosts.get(key);
    if (limit === undefined) {
      limit = pLimit(perHost);
      hosts.set(key, limit);
    }
    return limit;
  };

  // Files verified and being made durable: they hand their slot on, up to `concurrency` of them.
  let storing = 0;
  const run = async (req: DownloadRequest, release: () => void): Promise<void> => {
    if (fatal !== undefined || controller.signal.aborted) return;
    let handedOn = false;
    const onVerified = (): void => {
      options.onVerified?.();
      if (storing >= concurrency) return;
      storing += 1;
      handedOn = true;
      release();
    };
    try {
      const result = await downloadFile(req, { ...options, signal: controller.signal, onVerified });
      done.push(result);
      options.onFileDone?.(result);
    } catch (err) {
      const error = asPatchdiscError(err, req);
      if (FATAL_CODES.has(error.code) || controller.signal.aborted) {
        fatal ??= error;
        // No reason passed: the other downloads then end as ABORTED, not as copies of this error.
        controller.abort();
        return;
      }
      failed.push({ req, error });
      options.onFileFailed?.(req, error);
    } finally {
      if (handedOn) storing -= 1;
    }
  };
  const running: Promise<void>[] = [];
  // The slot (host and pool) is held until the file is verified, or until it is done when too many are being stored.
  const slot = (req: DownloadRequest) => (): Promise<void> =>
    new Promise<void>((release) => {
      const whole = run(req, release);
      running.push(whole);
      // Both ways: a throwing callback rejects `whole`, which Promise.all(running) reports below.
      whole.then(release, release);
    });
  try {
    // The host slot is taken first so a busy host waits in its own queue, not in the shared pool.
    await Promise.all([...unique.values()].map((req) => hostLimit(req)(() => pool(slot(req)))));
    // Every slot was taken, so every run has started; the last files may still be being stored.
    await Promise.all(running);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  if (options.signal?.aborted === true && !isPatchdiscError(fatal, 'DISK_FULL')) {
    throw new PatchdiscError('ABORTED', `Cannot finish downloads: aborted with ${done.length} of ${unique.size} files done (partial downloads are kept)`, {
      cause: options.signal.reason,
      details: { done: done.length, total: unique.size },
    });
  }
  if (fatal !== undefined) throw fatal;
  return { done, failed };
}
