/**
 * A small HTTP file server on 127.0.0.1 for the download case: serves a directory with ETag,
 * Last-Modified, Content-Length and single `bytes=N-`/`bytes=N-M` ranges (with If-Range). With
 * `?cut=1` a request without Range gets its full headers but the socket is destroyed after half the
 * body, to measure how much a resumed download fetches again.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize, sep } from 'node:path';

export interface FileServer {
  /** e.g. http://127.0.0.1:40123 */
  origin: string;
  /** 'host:port' for the downloader's allowHosts. */
  hostPort: string;
  /** Body bytes sent since start (or the last reset). */
  bytesSent(): number;
  resetCounters(): void;
  close(): Promise<void>;
}

const RANGE = /^bytes=(\d+)-(\d*)$/;
const HIGH_WATER_MARK = 1 << 20;

/** Starts a server for `root` on an ephemeral loopback port. */
export async function startFileServer(root: string): Promise<FileServer> {
  let sent = 0;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const rel = normalize(decodeURIComponent(url.pathname)).replace(/^[/\\]+/, '');
    if (rel.split(sep).includes('..')) {
      res.writeHead(400).end();
      return;
    }
    const path = join(root, rel);
    const st = await stat(path).catch(() => undefined);
    if (st === undefined || !st.isFile()) {
      res.writeHead(404).end();
      return;
    }
    const etag = `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
    const lastModified = st.mtime.toUTCString();
    let start = 0;
    let end = st.size - 1;
    let status = 200;
    const range = RANGE.exec(req.headers.range ?? '');
    const ifRange = req.headers['if-range'];
    if (range !== null && (ifRange === undefined || ifRange === etag || ifRange === lastModified)) {
      start = Number(range[1]);
      if (range[2] !== '') end = Math.min(end, Number(range[2]));
      if (start >= st.size) {
        res.writeHead(416, { 'content-range': `bytes */${st.size}` }).end();
        return;
      }
      status = 206;
    }
    const length = end - start + 1;
    const headers: Record<string, string | number> = {
      'content-length': length,
      'content-type': 'application/octet-stream',
      'accept-ranges': 'bytes',
      etag,
      'last-modified': lastModified,
    };
    if (status === 206) headers['content-range'] = `bytes ${start}-${end}/${st.size}`;
    res.writeHead(status, headers);
    if (req.method === 'HEAD' || length === 0) {
      res.end();
      return;
    }
    const cutAt = url.searchParams.get('cut') === '1' && status === 200 ? Math.floor(st.size / 2) : undefined;
    const body = createReadStream(path, { start, end: cutAt === undefined ? end : start + cutAt - 1, highWaterMark: HIGH_WATER_MARK });
    body.on('data', (chunk) => {
      sent += chunk.length;
    });
    body.on('error', () => res.destroy());
    if (cutAt === undefined) {
      body.pipe(res);
    } else {
      body.on('data', (chunk) => {
        if (!res.write(chunk)) body.pause();
      });
      res.on('drain', () => body.resume());
      // Half the body went out: drop the connection as a flaky link would.
      body.on('end', () => res.socket?.destroy());
    }
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    hostPort: `127.0.0.1:${port}`,
    bytesSent: () => sent,
    resetCounters: () => {
      sent = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
