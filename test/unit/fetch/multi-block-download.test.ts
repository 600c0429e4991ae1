import { createHash, randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isPatchdiscError } from '../../../src/errors.ts';
import { ContentStore } from '../../../src/fetch/content-store.ts';
import { downloadFile } from '../../../src/fetch/download-file.ts';
import type { DownloadOptions } from '../../../src/fetch/download-file.ts';
import { HASH_BLOCK_SIZE } from '../../../src/fetch/hash-pool.ts';
import { makeTempDir } from '../../helpers/tools.ts';
import { startFileServer } from './file-server.ts';
import type { FileServer } from './file-server.ts';

function digest(algorithm: 'sha1' | 'sha256', data: Buffer): string {
  return createHash(algorithm).update(data).digest('hex');
}

/** Files of several hash blocks: the paths where bytes are gathered, written and hashed in blocks. */
describe('downloadFile() with files larger than a hash block', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let server: FileServer;
  let store: ContentStore;
  // Not a multiple of the block size, so the last block is a short one.
  const body = randomBytes(3 * HASH_BLOCK_SIZE + 12_345);
  const sha1 = digest('sha1', body);
  const sha256 = digest('sha256', body);
  const options = (extra: Partial<DownloadOptions> = {}): DownloadOptions => ({
    store,
    allowHosts: [server.hostPort],
    sleep: async () => undefined,
    ...extra,
  });

  beforeEach(async () => {
    temp = makeTempDir();
    server = await startFileServer();
    store = new ContentStore(join(temp.dir, 'store'));
  });
  afterEach(async () => {
    await server.close();
    temp.remove();
  });

  it('stores every byte in order with both digests right', async () => {
    server.serve('/big.cab', { body, etag: '"v1"' });
    const result = await downloadFile({ url: `${server.origin}/big.cab`, sha1, sha256, size: body.length }, options());
    expect(result).toMatchObject({ sha1, sha256, bytes: body.length, attempts: 1, cached: false });
    expect((await readFile(result.path)).equals(body)).toBe(true);
  });

  it('keeps the bytes gathered in an unwritten block when the connection drops, resuming at the exact byte', async () => {
    // The cut falls inside the second block: its first part was only gathered, never written.
    const cut = HASH_BLOCK_SIZE + 300_001;
    server.serve('/big.cab', { body, etag: '"v1"' }, (n) => (n === 0 ? { cutAfter: cut } : undefined));
    const result = await downloadFile({ url: `${server.origin}/big.cab`, sha1, sha256, size: body.length }, options());
    expect(result).toMatchObject({ sha1, sha256, attempts: 2 });
    expect(result.bytesFetched).toBe(body.length);
    expect(server.requests[1]?.headers['range']).toBe(`bytes=${cut}-`);
    expect((await readFile(result.path)).equals(body)).toBe(true);
  });

  it('re-hashes a multi-block partial left by an earlier run and resumes after it', async () => {
    const cut = 2 * HASH_BLOCK_SIZE + 77;
    server.serve('/big.cab', { body, etag: '"v1"' }, (n) => (n === 0 ? { cutAfter: cut } : n === 1 ? { status: 503 } : undefined));
    const first = await downloadFile({ url: `${server.origin}/big.cab`, sha1, size: body.length }, options({ retries: 0 })).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isPatchdiscError(first, 'RETRIES_EXHAUSTED')).toBe(true);
    expect((await stat(store.partialPathFor(sha1).data)).size).toBe(cut);
    const result = await downloadFile({ url: `${server.origin}/big.cab`, sha1, sha256, size: body.length }, options());
    expect(result).toMatchObject({ sha1, sha256, attempts: 1, bytesFetched: body.length - cut });
    expect(server.requests[2]?.headers['range']).toBe(`bytes=${cut}-`);
  });

  it('quarantines a multi-block file whose last block differs', async () => {
    const bad = Buffer.from(body);
    bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 0xff;
    server.serve('/big.cab', { body: bad, etag: '"v1"' });
    const err = await downloadFile({ url: `${server.origin}/big.cab`, sha1, size: body.length }, options()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isPatchdiscError(err, 'HASH_MISMATCH')).toBe(true);
    expect((err as { details: Record<string, unknown> }).details['actual']).toBe(digest('sha1', bad));
    expect(await store.has(sha1)).toBe(false);
  });
});
