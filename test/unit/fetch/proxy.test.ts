import { createHash, randomBytes } from 'node:crypto';
import { createServer, request } from 'node:http';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContentStore } from '../../../src/fetch/content-store.ts';
import { downloadFile } from '../../../src/fetch/download-file.ts';
import { createProxyDispatcher } from '../../../src/fetch/proxy.ts';
import { makeTempDir } from '../../helpers/tools.ts';
import { startFileServer } from './file-server.ts';
import type { FileServer } from './file-server.ts';

/** A minimal HTTP proxy: CONNECT tunnels and absolute-URI forwarding, recording what it saw. */
async function startProxy(): Promise<{ url: string; seen: string[]; close: () => Promise<void> }> {
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const target = new URL(req.url ?? '');
    const upstream = request(
      { host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connect', (req, client: Socket, head: Buffer) => {
    seen.push(`CONNECT ${req.url}`);
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host ?? '', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [upstream, client]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('createProxyDispatcher()', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let server: FileServer;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let store: ContentStore;
  const body = randomBytes(40_000);
  const sha1 = createHash('sha1').update(body).digest('hex');

  beforeEach(async () => {
    temp = makeTempDir();
    server = await startFileServer();
    server.serve('/a.cab', { body });
    proxy = await startProxy();
    store = new ContentStore(join(temp.dir, 'store'));
  });
  afterEach(async () => {
    await Promise.all([server.close(), proxy.close()]);
    temp.remove();
  });

  it('returns undefined when no proxy variable is set', () => {
    expect(createProxyDispatcher({ PATH: '/usr/bin', NO_PROXY: 'example.com' })).toBeUndefined();
  });

  it('sends http:// downloads to HTTP_PROXY as absolute-URI requests', async () => {
    const dispatcher = createProxyDispatcher({ HTTP_PROXY: proxy.url });
    if (dispatcher === undefined) throw new Error('expected a dispatcher');
    try {
      const result = await downloadFile({ url: `${server.origin}/a.cab`, sha1 }, { store, allowHosts: [server.hostPort], dispatcher });
      expect(result.sha1).toBe(sha1);
      expect(proxy.seen).toEqual([`GET ${server.origin}/a.cab`]);
    } finally {
      await dispatcher.close();
    }
  });

  it('tunnels through CONNECT when asked to', async () => {
    const dispatcher = createProxyDispatcher({ http_proxy: proxy.url }, { tunnelHttp: true });
    if (dispatcher === undefined) throw new Error('expected a dispatcher');
    try {
      await downloadFile({ url: `${server.origin}/a.cab`, sha1 }, { store, allowHosts: [server.hostPort], dispatcher });
      expect(proxy.seen).toEqual([`CONNECT ${server.hostPort}`]);
      expect(server.requests).toHaveLength(1);
    } finally {
      await dispatcher.close();
    }
  });

  it('goes direct for hosts in NO_PROXY', async () => {
    const dispatcher = createProxyDispatcher({ HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' });
    if (dispatcher === undefined) throw new Error('expected a dispatcher');
    try {
      await downloadFile({ url: `${server.origin}/a.cab`, sha1 }, { store, allowHosts: [server.hostPort], dispatcher });
      expect(proxy.seen).toEqual([]);
      expect(server.requests).toHaveLength(1);
    } finally {
      await dispatcher.close();
    }
  });
});
