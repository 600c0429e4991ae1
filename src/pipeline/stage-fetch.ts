import { join } from 'node:path';
import type { CatalogUpdate } from '../catalog/snapshot.ts';
import { PatchdiscError, isPatchdiscError } from '../errors.ts';
import { ContentStore } from '../fetch/content-store.ts';
import { downloadAll } from '../fetch/download-all.ts';
import type { DownloadRequest } from '../fetch/download-file.ts';
import { checkFreeSpace } from '../fetch/free-space.ts';
import { applyMirror, mirrorHosts } from '../fetch/mirror.ts';
import { recordFile } from '../ledger/files.ts';
import type { BuildContext } from './build-context.ts';

export interface FetchedFile {
  sha256: string;
  size: number;
}

export interface FetchOutput {
  files: Record<string, FetchedFile>;
  failed: { sha1: string; url: string; kbs: string[]; code: string; message: string }[];
}

/** Free space kept beyond the bytes a fetch needs. */
const FREE_SPACE_MARGIN = 256 * 1024 * 1024;

/** The content store of a data dir. */
export function contentStoreOf(dataDir: string): ContentStore {
  return new ContentStore(join(dataDir, 'store'));
}

/**
 * Downloads the union of the files the updates need into the content store, SHA-1 checked and SHA-256
 * computed in one pass. A file that cannot be had (a pulled KB, retries exhausted) is reported and the
 * build goes on without its update; a full disk or an abort stops the build.
 */
export async function fetchStage(ctx: BuildContext, updates: CatalogUpdate[]): Promise<FetchOutput> {
  const store = contentStoreOf(ctx.dataDir);
  const bySha1 = new Map<string, { req: DownloadRequest; sourceUrl: string; kbs: Set<string> }>();
  for (const u of updates) {
    for (const f of u.files) {
      let entry = bySha1.get(f.sha1);
      if (!entry) {
        const req: DownloadRequest = { url: applyMirror(f.url, ctx.config.mirrors), sha1: f.sha1 };
        if (f.size !== undefined) req.size = f.size;
        if (f.sha256 !== undefined) req.sha256 = f.sha256;
        entry = { req, sourceUrl: f.url, kbs: new Set() };
        bySha1.set(f.sha1, entry);
      }
      entry.kbs.add(u.kb ?? String(u.revisionId));
    }
  }
  const reqs = [...bySha1.values()].map((e) => e.req);
  const missing: DownloadRequest[] = [];
  for (const r of reqs) if (!(await store.has(r.sha1))) missing.push(r);
  const needed = missing.reduce((s, r) => s + (r.size ?? 0), 0);
  await checkFreeSpace(store.storeDir, needed, FREE_SPACE_MARGIN);

  const total = reqs.reduce((s, r) => s + (r.size ?? 0), 0);
  const received = new Map<string, number>();
  let filesDone = 0;
  const { done, failed } = await downloadAll(reqs, {
    store,
    allowHosts: [...ctx.config.allowHosts, ...mirrorHosts(ctx.config.mirrors)],
    retries: ctx.config.download.retries,
    concurrency: ctx.config.download.concurrency,
    perHost: ctx.config.download.perHost,
    ...(ctx.dispatcher ? { dispatcher: ctx.dispatcher } : {}),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    onProgress: (p) => {
      received.set(p.url, p.received);
      let sum = 0;
      for (const v of received.values()) sum += v;
      ctx.events.downloadProgress?.({ received: sum, total, files: filesDone, filesTotal: reqs.length });
    },
    onFileDone: (r) => {
      filesDone++;
      const url = bySha1.get(r.sha1)?.req.url ?? r.sha1;
      ctx.events.log('info', `${r.cached ? 'have' : 'fetched'} ${url.slice(url.lastIndexOf('/') + 1)} (${r.bytes} bytes)`, {
        sha1: r.sha1,
        attempts: r.attempts,
      });
    },
  });
  const files: Record<string, FetchedFile> = {};
  for (const r of done) {
    files[r.sha1] = { sha256: r.sha256, size: r.bytes };
    await recordFile(ctx.ledger, { sha1: r.sha1, sha256: r.sha256, size: r.bytes, url: bySha1.get(r.sha1)?.sourceUrl ?? '', fetchedAt: ctx.now() });
  }
  const failures = failed.map(({ req, error }) => {
    const e = isPatchdiscError(error) ? error : new PatchdiscError('INTERNAL', String(error));
    ctx.events.log('warn', `cannot fetch ${req.url}: ${e.message}`, { code: e.code });
    return { sha1: req.sha1, url: req.url, kbs: [...(bySha1.get(req.sha1)?.kbs ?? [])], code: e.code, message: e.message };
  });
  return { files, failed: failures };
}
