import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { fetch as undiciFetch } from 'undici';
import type { CatalogSnapshot } from '../catalog/snapshot.ts';
import { parseCvrf, type CvrfSummary } from '../catalog/cvrf.ts';
import { cvrfMonthsFor, enrichWithCvrf } from '../catalog/enrich-cvrf.ts';
import { readWsusscn2 } from '../catalog/read-wsusscn2.ts';
import { PatchdiscError } from '../errors.ts';
import { latestSnapshot, saveSnapshot } from '../ledger/catalog-snapshots.ts';
import type { BuildContext } from './build-context.ts';
import { addUpdateCatalogExtras } from './update-catalog-extras.ts';

export interface SyncResult {
  snapshotId: number;
  snapshot: CatalogSnapshot;
  /** False when the server answered 304 or sent the same bytes as last time. */
  changed: boolean;
}

/**
 * Fetches wsusscn2.cab with a conditional GET, reads it in-process and stores the snapshot. A 304 (or
 * identical bytes) keeps the last snapshot. The cabinet is written to a partial name and renamed only
 * when complete and parsed.
 */
export async function syncCatalog(ctx: BuildContext, options: { persist?: boolean } = {}): Promise<SyncResult> {
  const persist = options.persist ?? true;
  const url = ctx.config.upstream.wsusscn2Url;
  const last = await latestSnapshot(ctx.ledger, 'wsusscn2');
  const headers: Record<string, string> = {};
  if (last?.etag) headers['if-none-match'] = last.etag;
  if (last?.lastModified) headers['if-modified-since'] = last.lastModified;
  let res;
  try {
    res = await undiciFetch(url, {
      headers,
      ...(ctx.dispatcher ? { dispatcher: ctx.dispatcher } : {}),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
  } catch (cause) {
    throw new PatchdiscError('NETWORK_ERROR', `Cannot sync the catalog from ${url}: ${describeCause(cause)}; check the network or upstream.wsusscn2Url`, {
      cause,
    });
  }
  if (res.status === 304 && last) {
    ctx.events.log('info', 'catalog not modified (304); keeping the last snapshot', { url, snapshotId: last.id });
    return { snapshotId: last.id, snapshot: last.snapshot, changed: false };
  }
  if (res.status !== 200 || !res.body) {
    throw new PatchdiscError('HTTP_ERROR', `Cannot sync the catalog from ${url}: HTTP ${res.status}; rerun later`, {
      details: { status: res.status, url },
    });
  }
  // A dry run writes nothing under the data dir: its cabinet goes to a temp folder.
  const dir = persist ? join(ctx.dataDir, 'catalog') : await mkdtemp(join(tmpdir(), 'patchdisc-preview-'));
  await mkdir(dir, { recursive: true });
  const partial = join(dir, 'wsusscn2.cab.partial');
  const final = join(dir, 'wsusscn2.cab');
  const hash = createHash('sha256');
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      cb(null, chunk);
    },
  });
  await pipeline(
    Readable.fromWeb(res.body as WebReadableStream<Uint8Array>),
    counter,
    createWriteStream(partial),
    ...(ctx.signal ? [{ signal: ctx.signal }] : []),
  );
  const declared = res.headers.get('content-length');
  if (declared !== null && Number(declared) !== bytes) {
    await rm(partial, { force: true });
    throw new PatchdiscError('SIZE_MISMATCH', `Cannot sync the catalog from ${url}: received ${bytes} of ${declared} bytes; rerun sync`);
  }
  const cabSha256 = hash.digest('hex');
  if (last && last.cabSha256 === cabSha256) {
    if (persist) await rename(partial, final);
    else await rm(dir, { recursive: true, force: true });
    return { snapshotId: last.id, snapshot: last.snapshot, changed: false };
  }
  let snapshot: CatalogSnapshot;
  try {
    snapshot = await readWsusscn2(partial, {
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      onWarning: (w) => ctx.events.log('warn', w),
    });
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
  if (!persist) {
    await rm(dir, { recursive: true, force: true });
    return { snapshotId: -1, snapshot: await enrichFromCvrf(ctx, await addUpdateCatalogExtras(ctx, snapshot)), changed: true };
  }
  await rename(partial, final);
  snapshot = await enrichFromCvrf(ctx, await addUpdateCatalogExtras(ctx, snapshot));
  const snapshotId = await saveSnapshot(ctx.ledger, {
    source: 'wsusscn2',
    packageId: snapshot.packageId,
    creationDate: snapshot.creationDate,
    etag: res.headers.get('etag'),
    lastModified: res.headers.get('last-modified'),
    cabSha256,
    snapshot,
    now: ctx.now(),
  });
  ctx.events.log('info', `catalog ${snapshot.packageId} read: ${snapshot.bundles.length} bundles`, { snapshotId, bytes });
  return { snapshotId, snapshot, changed: true };
}

function describeCause(cause: unknown): string {
  const c = cause as { cause?: { code?: string; message?: string }; message?: string };
  return c.cause?.code ?? c.cause?.message ?? c.message ?? String(cause);
}

/**
 * CVEs and severity from MSRC's CVRF documents for the months of the current updates. Enrichment only:
 * a document that cannot be had or read is a warning, never a failed build.
 */
async function enrichFromCvrf(ctx: BuildContext, snapshot: CatalogSnapshot): Promise<CatalogSnapshot> {
  const docs: CvrfSummary[] = [];
  for (const id of cvrfMonthsFor(snapshot)) {
    const url = `${ctx.config.upstream.cvrfUrl.replace(/\/+$/, '')}/cvrf/${id}`;
    try {
      const res = await undiciFetch(url, {
        headers: { accept: 'application/xml' },
        ...(ctx.dispatcher ? { dispatcher: ctx.dispatcher } : {}),
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      if (res.status !== 200) {
        ctx.events.log('warn', `CVRF ${id}: HTTP ${res.status} from ${url}; CVEs for that month are left out`);
        continue;
      }
      docs.push(parseCvrf(await res.text()));
    } catch (err) {
      ctx.events.log('warn', `CVRF ${id}: ${err instanceof Error ? err.message : String(err)}; CVEs for that month are left out`);
    }
  }
  return docs.length === 0 ? snapshot : enrichWithCvrf(snapshot, docs);
}
