import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isPatchdiscError } from '../../../src/errors.ts';
import { ContentStore } from '../../../src/fetch/content-store.ts';
import { downloadFile } from '../../../src/fetch/download-file.ts';
import { makeTempDir } from '../../helpers/tools.ts';
import { startFileServer } from './file-server.ts';
import type { FileServer } from './file-server.ts';
import { rejection } from '../../helpers/rejection.ts';

describe('downloadFile() redirects and the host allow-list', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let allowed: FileServer;
  let mirror: FileServer;
  let foreign: FileServer;
  let store: ContentStore;
  const body = randomBytes(50_000);
  const sha1 = createHash('sha1').update(body).digest('hex');

  beforeEach(async () => {
    temp = makeTempDir();
    allowed = await startFileServer('127.0.0.1');
    mirror = await startFileServer('127.0.0.1');
    // Another loopback address: reachable, but not in the allow-list.
    foreign = await startFileServer('127.0.0.2');
    foreign.serve('/a.cab', { body });
    mirror.serve('/a.cab', { body });
    store = new ContentStore(join(temp.dir, 'store'));
  });
  afterEach(async () => {
    await Promise.all([allowed.close(), mirror.close(), foreign.close()]);
    temp.remove();
  });

  it('refuses a redirect to a host that is not allowed before connecting to it', async () => {
    allowed.serve('/a.cab', { body }, () => ({ status: 302, headers: { location: `${foreign.origin}/a.cab` } }));
    const err = await rejection(downloadFile({ url: `${allowed.origin}/a.cab`, sha1 }, { store, allowHosts: [allowed.hostPort] }));
    expect(isPatchdiscError(err, 'HOST_NOT_ALLOWED')).toBe(true);
    expect((err as { details: object }).details).toMatchObject({ url: `${foreign.origin}/a.cab`, from: `${allowed.origin}/a.cab` });
    expect(foreign.connections).toBe(0);
    expect(allowed.requests).toHaveLength(1);
    expect(await store.has(sha1)).toBe(false);
    expect(await readdir(store.partialDir)).toEqual([]);
  });

  it('refuses a host allowed on another port only', async () => {
    allowed.serve('/a.cab', { body }, () => ({ status: 301, headers: { location: `${mirror.origin}/a.cab` } }));
    const err = await rejection(downloadFile({ url: `${allowed.origin}/a.cab`, sha1 }, { store, allowHosts: [allowed.hostPort] }));
    expect(isPatchdiscError(err, 'HOST_NOT_ALLOWED')).toBe(true);
    expect(mirror.connections).toBe(0);
  });

  it('refuses a URL on a host that is not allowed without any connection', async () => {
    const err = await rejection(downloadFile({ url: `${foreign.origin}/a.cab`, sha1 }, { store, allowHosts: [allowed.hostPort] }));
    expect(isPatchdiscError(err, 'HOST_NOT_ALLOWED')).toBe(true);
    expect(foreign.connections).toBe(0);
  });

  it('refuses loopback unless configured and schemes other than http(s)', async () => {
    const loopback = await rejection(downloadFile({ url: `${mirror.origin}/a.cab`, sha1 }, { store }));
    expect(isPatchdiscError(loopback, 'HOST_NOT_ALLOWED')).toBe(true);
    const ftp = await rejection(downloadFile({ url: 'ftp://download.microsoft.com/a.cab', sha1 }, { store }));
    expect(isPatchdiscError(ftp, 'HOST_NOT_ALLOWED')).toBe(true);
    expect(mirror.connections).toBe(0);
  });

  it('follows relative and absolute redirects between allowed hosts', async () => {
    allowed.serve('/start', { body }, () => ({ status: 302, headers: { location: '/hop' } }));
    allowed.serve('/hop', { body }, () => ({ status: 307, headers: { location: `${mirror.origin}/a.cab` } }));
    const result = await downloadFile({ url: `${allowed.origin}/start`, sha1 }, { store, allowHosts: [allowed.hostPort, mirror.hostPort] });
    expect(result).toMatchObject({ sha1, bytes: body.length, attempts: 1 });
    expect(allowed.requests.map((r) => r.url)).toEqual(['/start', '/hop']);
    expect(mirror.requests).toHaveLength(1);
  });

  it('gives up after five redirect hops', async () => {
    allowed.serve('/loop', { body }, () => ({ status: 302, headers: { location: '/loop' } }));
    const err = await rejection(downloadFile({ url: `${allowed.origin}/loop`, sha1 }, { store, allowHosts: [allowed.hostPort] }));
    expect(isPatchdiscError(err, 'HTTP_ERROR')).toBe(true);
    expect(allowed.requests).toHaveLength(6);
  });
});
