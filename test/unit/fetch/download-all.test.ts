import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isPatchdiscError } from '../../../src/errors.ts';
import { ContentStore } from '../../../src/fetch/content-store.ts';
import { downloadAll } from '../../../src/fetch/download-all.ts';
import type { DownloadRequest } from '../../../src/fetch/download-file.ts';
import { makeTempDir } from '../../helpers/tools.ts';
import { startFileServer } from './file-server.ts';
import type { FileServer } from './file-server.ts';
import { rejection } from '../../helpers/rejection.ts';

function sha1Of(data: Buffer): string {
  return createHash('sha1').update(data).digest('hex');
}

describe('downloadAll()', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let server: FileServer;
  let other: FileServer;
  let store: ContentStore;
  const noSleep = async (): Promise<void> => undefined;

  function serveFiles(target: FileServer, count: number, holdMs: number): DownloadRequest[] {
    return Array.from({ length: count }, (_, i) => {
      const body = randomBytes(20_000 + i);
      target.serve(`/f${i}.cab`, { body, etag: `"e${i}"` }, () => ({ holdMs }));
      return { url: `${target.origin}/f${i}.cab`, sha1: sha1Of(body), size: body.length };
    });
  }

  beforeEach(async () => {
    temp = makeTempDir();
    server = await startFileServer();
    other = await startFileServer();
    store = new ContentStore(join(temp.dir, 'store'));
  });
  afterEach(async () => {
    await Promise.all([server.close(), other.close()]);
    temp.remove();
  });

  it('never exceeds the per-host limit and uses the pool across hosts', async () => {
    const reqs = [...serveFiles(server, 10, 150), ...serveFiles(other, 10, 150)];
    const doneUrls: string[] = [];
    const result = await downloadAll(reqs, {
      store,
      allowHosts: [server.hostPort, other.hostPort],
      concurrency: 5,
      perHost: 2,
      onFileDone: (r) => doneUrls.push(r.sha1),
    });
    expect(result.failed).toEqual([]);
    expect(result.done).toHaveLength(20);
    expect(doneUrls).toHaveLength(20);
    expect(server.maxActive).toBe(2);
    expect(other.maxActive).toBe(2);
  });

  it('never exceeds the total concurrency', async () => {
    const reqs = serveFiles(server, 12, 150);
    await downloadAll(reqs, { store, allowHosts: [server.hostPort], concurrency: 3, perHost: 8 });
    expect(server.maxActive).toBe(3);
  });

  it('lists a pulled file as failed and downloads the rest', async () => {
    const reqs = serveFiles(server, 3, 0);
    const pulled: DownloadRequest = { url: `${server.origin}/pulled.cab`, sha1: 'a'.repeat(40) };
    const failedUrls: string[] = [];
    const result = await downloadAll([...reqs, pulled], {
      store,
      allowHosts: [server.hostPort],
      sleep: noSleep,
      onFileFailed: (req) => failedUrls.push(req.url),
    });
    expect(result.done).toHaveLength(3);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]?.error.code).toBe('HTTP_ERROR');
    expect(failedUrls).toEqual([pulled.url]);
  });

  it('downloads a SHA-1 listed twice only once', async () => {
    const [req] = serveFiles(server, 1, 0);
    if (req === undefined) throw new Error('no request');
    const result = await downloadAll([req, { ...req, sha1: Buffer.from(req.sha1, 'hex').toString('base64') }], { store, allowHosts: [server.hostPort] });
    expect(result.done).toHaveLength(1);
    expect(server.requests).toHaveLength(1);
  });

  it('refuses to start when the store lacks room for the files', async () => {
    const reqs = serveFiles(server, 1, 0).map((r) => ({ ...r, size: Number.MAX_SAFE_INTEGER }));
    const err = await rejection(downloadAll(reqs, { store, allowHosts: [server.hostPort] }));
    expect(isPatchdiscError(err, 'DISK_FULL')).toBe(true);
    expect(server.requests).toHaveLength(0);
  });

  it('stops the batch with DISK_FULL when a write fails with ENOSPC, keeping the partial record', async () => {
    const reqs = serveFiles(server, 1, 0);
    const first = reqs[0];
    if (first === undefined) throw new Error('no request');
    await store.ensureDirs();
    // /dev/full fails every write with ENOSPC: a disk that fills up under the download.
    await mkdir(store.partialDir, { recursive: true });
    await symlink('/dev/full', store.partialPathFor(first.sha1).data);
    const err = await rejection(downloadAll(reqs, { store, allowHosts: [server.hostPort], sleep: noSleep }));
    expect(isPatchdiscError(err, 'DISK_FULL')).toBe(true);
    expect(await store.has(first.sha1)).toBe(false);
    expect(JSON.parse(await readFile(store.partialPathFor(first.sha1).meta, 'utf8'))).toMatchObject({ url: first.url, etag: '"e0"' });
    expect(server.requests).toHaveLength(1);
  });

  it('throws ABORTED when the caller aborts, without marking files good', async () => {
    const reqs = serveFiles(server, 4, 300);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const err = await rejection(downloadAll(reqs, { store, allowHosts: [server.hostPort], concurrency: 2, signal: controller.signal }));
    expect(isPatchdiscError(err, 'ABORTED')).toBe(true);
    for (const req of reqs) expect(await store.has(req.sha1)).toBe(false);
    expect(server.requests.length).toBeLessThanOrEqual(2);
  });
});
