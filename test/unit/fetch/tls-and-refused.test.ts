import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPatchdiscError } from '../../../src/errors.ts';
import { ContentStore } from '../../../src/fetch/content-store.ts';
import { downloadFile, type DownloadOptions } from '../../../src/fetch/download-file.ts';
import { rejection } from '../../helpers/rejection.ts';
import { makeTempDir, requireTools } from '../../helpers/tools.ts';

const body = randomBytes(2_500_000);
const sha1 = createHash('sha1').update(body).digest('hex');
const sha256 = createHash('sha256').update(body).digest('hex');

/** Files under the store's sha1/ tree: a failed download must leave none. */
function stored(storeDir: string): string[] {
  try {
    return readdirSync(join(storeDir, 'sha1'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
  } catch {
    return [];
  }
}

/** A port on 127.0.0.1 that nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = createTcpServer();
  await new Promise<void>((done) => s.listen(0, '127.0.0.1', done));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((done) => s.close(() => done()));
  return port;
}

const hasOpenssl = requireTools('openssl');

describe('downloadFile() over TLS', () => {
  const tmp = makeTempDir();
  let server: Server;
  let origin = '';
  let cert: Buffer;
  beforeAll(async () => {
    if (!hasOpenssl) return;
    // A throwaway self-signed certificate for 127.0.0.1, made with openssl for this test only.
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(tmp.dir, 'key.pem'), '-out', join(tmp.dir, 'cert.pem'),
      '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    cert = readFileSync(join(tmp.dir, 'cert.pem'));
    server = createHttpsServer({ key: readFileSync(join(tmp.dir, 'key.pem')), cert }, (req, res) => {
      res.writeHead(200, { 'content-length': String(body.length), etag: '"tls1"', 'content-type': 'application/octet-stream' });
      res.end(body);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    if (server) await new Promise<void>((done) => server.close(() => done()));
    tmp.remove();
  });

  const options = (storeDir: string, extra: Partial<DownloadOptions> = {}): DownloadOptions => ({
    store: new ContentStore(storeDir),
    allowHosts: [new URL(origin).host],
    sleep: async () => {},
    retries: 2,
    ...extra,
  });

  it.skipIf(!hasOpenssl)('downloads and verifies a file from a server whose certificate the dispatcher trusts', async () => {
    const storeDir = join(tmp.dir, 'trusted');
    const dispatcher = new Agent({ connect: { ca: cert } });
    try {
      const r = await downloadFile({ url: `${origin}/kb.msu`, sha1, sha256, size: body.length }, options(storeDir, { dispatcher }));
      expect(r).toMatchObject({ sha1, sha256, bytes: body.length, attempts: 1 });
      expect(createHash('sha256').update(readFileSync(r.path)).digest('hex')).toBe(sha256);
    } finally {
      await dispatcher.close();
    }
  });

  it.skipIf(!hasOpenssl)('refuses an untrusted certificate at once, with one clear error and nothing stored', async () => {
    const storeDir = join(tmp.dir, 'untrusted');
    const err = await rejection(downloadFile({ url: `${origin}/kb.msu`, sha1, sha256, size: body.length }, options(storeDir)));
    expect(isPatchdiscError(err, 'NETWORK_ERROR')).toBe(true);
    expect((err as Error).message).toMatch(/TLS certificate is not trusted \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)\)/);
    expect(stored(storeDir)).toEqual([]);
  });
});

describe('downloadFile() against a refused connection', () => {
  it('retries, then gives up with RETRIES_EXHAUSTED naming the refusal, and stores nothing', async () => {
    const tmp = makeTempDir();
    try {
      const port = await closedPort();
      const storeDir = join(tmp.dir, 'store');
      const sleeps: number[] = [];
      const err = await rejection(downloadFile({ url: `http://127.0.0.1:${port}/kb.msu`, sha1, size: body.length }, {
        store: new ContentStore(storeDir),
        allowHosts: [`127.0.0.1:${port}`],
        sleep: async (ms) => {
          sleeps.push(ms);
        },
        retries: 2,
      }));
      expect(isPatchdiscError(err, 'RETRIES_EXHAUSTED')).toBe(true);
      expect((err as Error).message).toMatch(/ECONNREFUSED/);
      expect(sleeps.length).toBe(2);
      expect(stored(storeDir)).toEqual([]);
    } finally {
      tmp.remove();
    }
  });
});
