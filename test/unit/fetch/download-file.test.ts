import { createHash, randomBytes } from 'node:crypto';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isPatchdiscError } from '../../../src/errors.ts';
import { ContentStore } from '../../../src/fetch/content-store.ts';
import { downloadFile } from '../../../src/fetch/download-file.ts';
import type { DownloadOptions } from '../../../src/fetch/download-file.ts';
import { makeTempDir } from '../../helpers/tools.ts';
import { startFileServer } from './file-server.ts';
import type { FileServer } from './file-server.ts';
import { rejection } from '../../helpers/rejection.ts';

function digest(algorithm: 'sha1' | 'sha256', data: Buffer): string {
  return createHash(algorithm).update(data).digest('hex');
}

async function listTree(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { recursive: true })).sort();
  } catch {
    return [];
  }
}

describe('downloadFile()', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let server: FileServer;
  let store: ContentStore;
  const body = randomBytes(300_000);
  const sha1 = digest('sha1', body);
  const sha256 = digest('sha256', body);
  const sleeps: number[] = [];
  const options = (extra: Partial<DownloadOptions> = {}): DownloadOptions => ({
    store,
    allowHosts: [server.hostPort],
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...extra,
  });

  beforeEach(async () => {
    temp = makeTempDir();
    server = await startFileServer();
    store = new ContentStore(join(temp.dir, 'store'));
    sleeps.length = 0;
  });
  afterEach(async () => {
    await server.close();
    temp.remove();
  });

  it('stores a file under sha1/<2>/<40> with SHA-1 checked and SHA-256 recorded', async () => {
    server.serve('/a.cab', { body, etag: '"v1"' });
    const base64 = Buffer.from(sha1, 'hex').toString('base64');
    const result = await downloadFile({ url: `${server.origin}/a.cab`, sha1: base64, size: body.length, sha256 }, options());
    expect(result).toMatchObject({ bytes: body.length, sha1, sha256, attempts: 1, bytesFetched: body.length, cached: false });
    expect(result.path).toBe(join(temp.dir, 'store', 'sha1', sha1.slice(0, 2), sha1));
    expect((await readFile(result.path)).equals(body)).toBe(true);
    expect(await store.info(sha1)).toMatchObject({ sha1, sha256, size: body.length, url: `${server.origin}/a.cab` });
    expect(await listTree(store.partialDir)).toEqual([]);
    expect(server.requests[0]?.headers['accept-encoding']).toBe('identity');
  });

  it('answers a second call from the store without a request', async () => {
    server.serve('/a.cab', { body });
    await downloadFile({ url: `${server.origin}/a.cab`, sha1 }, options());
    const again = await downloadFile({ url: `${server.origin}/a.cab`, sha1, sha256 }, options());
    expect(again).toMatchObject({ cached: true, attempts: 0, bytesFetched: 0, sha256, bytes: body.length });
    expect(server.requests).toHaveLength(1);
  });

  it('quarantines a file whose SHA-1 differs and stores nothing', async () => {
    const tampered = Buffer.from(body);
    tampered[1000] = (tampered[1000] ?? 0) ^ 0xff;
    server.serve('/a.cab', { body: tampered, etag: '"v1"' });
    const err = await rejection(downloadFile({ url: `${server.origin}/a.cab`, sha1, size: body.length }, options()));
    expect(isPatchdiscError(err, 'HASH_MISMATCH')).toBe(true);
    expect((err as { details: object }).details).toMatchObject({ url: `${server.origin}/a.cab`, expected: sha1, actual: digest('sha1', tampered) });
    expect(await store.has(sha1)).toBe(false);
    expect(await listTree(join(temp.dir, 'store', 'sha1'))).toEqual([]);
    expect(await listTree(store.partialDir)).toEqual([]);
    const quarantined = await readdir(store.quarantineDir);
    expect(quarantined).toHaveLength(1);
    expect((await readFile(join(store.quarantineDir, quarantined[0] ?? ''))).equals(tampered)).toBe(true);
  });

  it('rejects a file whose SHA-256 differs from the catalog even when SHA-1 matches', async () => {
    server.serve('/a.cab', { body });
    const err = await rejection(downloadFile({ url: `${server.origin}/a.cab`, sha1, sha256: 'ab'.repeat(32) }, options()));
    expect(isPatchdiscError(err, 'HASH_MISMATCH')).toBe(true);
    expect(await store.has(sha1)).toBe(false);
  });

  it('reports a 404 as a pulled file without retrying', async () => {
    const err = await rejection(downloadFile({ url: `${server.origin}/gone.cab`, sha1 }, options()));
    expect(isPatchdiscError(err, 'HTTP_ERROR')).toBe(true);
    expect((err as { details: object }).details).toMatchObject({ status: 404 });
    expect((err as Error).message).toMatch(/pulled or not found/);
    expect(server.requests).toHaveLength(1);
    expect(await listTree(store.partialDir)).toEqual([]);
  });

  it('waits as long as Retry-After says on 503, then succeeds', async () => {
    server.serve('/a.cab', { body }, (n) => (n < 2 ? { status: 503, headers: { 'retry-after': String(n + 3) } } : undefined));
    const result = await downloadFile({ url: `${server.origin}/a.cab`, sha1 }, options());
    expect(result.attempts).toBe(3);
    expect(sleeps).toEqual([3000, 4000]);
  });

  it('backs off exponentially with jitter and gives up after the retries', async () => {
    server.serve('/a.cab', { body }, () => ({ status: 500 }));
    const err = await rejection(downloadFile({ url: `${server.origin}/a.cab`, sha1 }, options({ retries: 3, backoffMs: 100, random: () => 0 })));
    expect(isPatchdiscError(err, 'RETRIES_EXHAUSTED')).toBe(true);
    expect((err as { details: object }).details).toMatchObject({ attempts: 4, status: 500 });
    expect(sleeps).toEqual([50, 100, 200]);
    expect(server.requests).toHaveLength(4);
  });

  it('resumes with Range and If-Range after the connection is reset mid-body', async () => {
    server.serve('/a.cab', { body, etag: '"v1"' }, (n) => (n === 0 ? { cutAfter: 200_000 } : undefined));
    const result = await downloadFile({ url: `${server.origin}/a.cab`, sha1, size: body.length }, options());
    expect(result).toMatchObject({ sha1, sha256, attempts: 2 });
    expect(result.bytesFetched).toBe(body.length); // every byte before the reset was kept
    const second = server.requests[1]?.headers;
    expect(second?.['if-range']).toBe('"v1"');
    expect(second?.['range']).toMatch(/^bytes=\d+-$/);
    expect(Number(/\d+/.exec(second?.['range'] ?? '')?.[0])).toBeGreaterThan(100_000);
  });

  it('restarts cleanly when a range request is answered with the whole file (200)', async () => {
    server.serve('/a.cab', { body, etag: '"v1"' }, (n) => (n === 0 ? { cutAfter: 150_000 } : { ignoreRange: true }));
    const result = await downloadFile({ url: `${server.origin}/a.cab`, sha1, size: body.length }, options());
    expect(result).toMatchObject({ sha1, attempts: 2, bytes: body.length });
    expect(server.requests[1]?.headers['range']).toBeDefined();
    expect((await readFile(result.path)).equals(body)).toBe(true);
  });

  it('cuts a stalled body and resumes it', async () => {
    server.serve('/a.cab', { body, etag: '"v1"' }, (n) => (n === 0 ? { stallAfter: 100_000 } : undefined));
    const started = Date.now();
    const result = await downloadFile({ url: `${server.origin}/a.cab`, sha1, size: body.length }, options({ stallTimeoutMs: 1000 }));
    expect(result).toMatchObject({ sha1, attempts: 2 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(server.requests[1]?.headers['range']).toMatch(/^bytes=\d+-$/);
  });

  it('resumes a partial left by an earlier run, re-hashing its bytes', async () => {
    // A cut that made progress does not use up a retry; the 503 after it does.
    server.serve('/a.cab', { body, etag: '"v1"' }, (n) => (n === 0 ? { cutAfter: 200_000 } : n === 1 ? { status: 503 } : undefined));
    const first = await rejection(downloadFile({ url: `${server.origin}/a.cab`, sha1, size: body.length }, options({ retries: 0 })));
    expect(isPatchdiscError(first, 'RETRIES_EXHAUSTED')).toBe(true);
    const kept = (await stat(store.partialPathFor(sha1).data)).size;
    expect(kept).toBeGreaterThan(0);
    const result = await downloadFile({ url: `${server.origin}/a.cab`, sha1, size: body.length, sha256 }, options());
    expect(result).toMatchObject({ sha1, sha256, attempts: 1, bytesFetched: body.length - kept });
    expect(server.requests[2]?.headers['range']).toBe(`bytes=${kept}-`);
  });

  it('finishes when a lying Content-Length promised more bytes than the file has', async () => {
    server.serve('/a.cab', { body, etag: '"v1"' }, (n) => (n === 0 ? { contentLength: body.length + 5000, cutAfter: body.length } : undefined));
    const result = await downloadFile({ url: `${server.origin}/a.cab`, sha1, size: body.length }, options());
    expect(result).toMatchObject({ sha1, bytes: body.length, bytesFetched: body.length });
  });

  it('fetches the rest with a range request when a 200 answer ends early', async () => {
    server.serve('/a.cab', { body, etag: '"v1"' }, (n) => (n === 0 ? { body: body.subarray(0, 120_000) } : undefined));
    const result = await downloadFile({ url: `${server.origin}/a.cab`, sha1, size: body.length }, options());
    expect(result).toMatchObject({ sha1, attempts: 2, bytesFetched: body.length });
    expect(server.requests[1]?.headers['range']).toBe('bytes=120000-');
  });

  it('stops at the catalog size when the server sends more than it should', async () => {
    const longer = Buffer.concat([body, randomBytes(50_000)]);
    server.serve('/a.cab', { body: longer });
    const err = await rejection(downloadFile({ url: `${server.origin}/a.cab`, sha1, size: body.length }, options()));
    expect(isPatchdiscError(err, 'SIZE_MISMATCH')).toBe(true);
    expect((err as { details: object }).details).toMatchObject({ url: `${server.origin}/a.cab`, expected: body.length });
    expect(await store.has(sha1)).toBe(false);
    expect(await readdir(store.quarantineDir)).toHaveLength(1);
  });
  it('refetches in full once when resumed bytes fail the hash, quarantining the bad partial', async () => {
    server.serve('/a.cab', { body, etag: '"v1"' });
    await store.ensureDirs();
    const paths = store.partialPathFor(sha1);
    await writeFile(paths.data, randomBytes(100_000));
    await writeFile(paths.meta, JSON.stringify({ url: `${server.origin}/a.cab`, etag: '"v1"' }));
    const result = await downloadFile({ url: `${server.origin}/a.cab`, sha1, size: body.length }, options());
    expect(result).toMatchObject({ sha1, attempts: 2, bytesFetched: body.length - 100_000 + body.length });
    expect(server.requests.map((r) => r.headers['range'])).toEqual(['bytes=100000-', undefined]);
    expect(await readdir(store.quarantineDir)).toHaveLength(1);
  });

  it('retries when no answer arrives within the connect timeout', async () => {
    server.serve('/a.cab', { body }, (n) => (n === 0 ? { holdMs: 5000 } : undefined));
    const result = await downloadFile({ url: `${server.origin}/a.cab`, sha1 }, options({ connectTimeoutMs: 1000 }));
    expect(result).toMatchObject({ sha1, attempts: 2 });
  });

  it('reports progress and ABORTED when the caller aborts, keeping the partial', async () => {
    server.serve('/a.cab', { body, etag: '"v1"' }, () => ({ stallAfter: 100_000 }));
    const controller = new AbortController();
    const seen: number[] = [];
    const err = await rejection(
      downloadFile(
        { url: `${server.origin}/a.cab`, sha1, size: body.length },
        options({
          signal: controller.signal,
          onProgress: (p) => {
            seen.push(p.received);
            expect(p.total).toBe(body.length);
            if (p.received >= 100_000) controller.abort();
          },
        }),
      ),
    );
    expect(isPatchdiscError(err, 'ABORTED')).toBe(true);
    expect(seen.at(-1)).toBe(100_000);
    expect((await stat(store.partialPathFor(sha1).data)).size).toBe(100_000);
    expect(await store.has(sha1)).toBe(false);
  });
  it('lets two concurrent calls for one file share a single download', async () => {
    server.serve('/a.cab', { body }, () => ({ holdMs: 100 }));
    const req = { url: `${server.origin}/a.cab`, sha1, size: body.length };
    const [a, b] = await Promise.all([downloadFile(req, options()), downloadFile(req, options())]);
    expect([a.cached, b.cached].sort()).toEqual([false, true]);
    expect(server.requests).toHaveLength(1);
  });
});
