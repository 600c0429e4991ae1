import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A file the test server serves, with its validators. */
export interface ServedFile {
  body: Buffer;
  etag?: string;
  lastModified?: string;
}

/** How to answer one request (chosen per request by a plan); everything optional = correct answer. */
export interface Answer {
  /** Answer with this status and headers and no body instead of the file. */
  status?: number;
  headers?: Record<string, string>;
  /** Destroy the socket after this many body bytes. */
  cutAfter?: number;
  /** Send this many body bytes, then nothing more (until the server closes). */
  stallAfter?: number;
  /** Answer 200 with the whole file even to a range request. */
  ignoreRange?: boolean;
  /** Declare this Content-Length instead of the true one. */
  contentLength?: number;
  /** Serve these bytes instead of the file (validators unchanged). */
  body?: Buffer;
  /** Wait this long before answering. */
  holdMs?: number;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

export interface FileServer {
  host: string;
  port: number;
  /** "host:port", as an allow-list entry. */
  hostPort: string;
  origin: string;
  requests: RecordedRequest[];
  /** TCP connections accepted. */
  connections: number;
  /** Requests in progress now, and the most ever at once. */
  active: number;
  maxActive: number;
  /** Serve `file` at `path`; `plan(n)` picks the answer to the n-th (0-based) request for it. */
  serve(path: string, file: ServedFile, plan?: (n: number) => Answer | undefined): void;
  close(): Promise<void>;
}

/** Parses "bytes=first-" / "bytes=first-last" (RFC 9110 §14.1.2, one range only). */
function parseRange(header: string | undefined, size: number): { first: number; last: number } | 'unsatisfiable' | undefined {
  const match = /^bytes=(\d+)-(\d*)$/.exec(header ?? '');
  if (match === null) return undefined;
  const first = Number(match[1]);
  const last = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (first >= size || first > last) return 'unsatisfiable';
  return { first, last };
}

function answerFile(req: IncomingMessage, res: ServerResponse, file: ServedFile, answer: Answer): void {
  const body = answer.body ?? file.body;
  const headers: Record<string, string> = { 'accept-ranges': 'bytes', ...(answer.headers ?? {}) };
  if (file.etag !== undefined) headers['etag'] = file.etag;
  if (file.lastModified !== undefined) headers['last-modified'] = file.lastModified;
  const ifRange = req.headers['if-range'];
  const validatorOk = ifRange === undefined || ifRange === file.etag || ifRange === file.lastModified;
  const range = answer.ignoreRange === true || !validatorOk ? undefined : parseRange(req.headers['range'], body.length);
  if (range === 'unsatisfiable') {
    res.writeHead(416, { ...headers, 'content-range': `bytes */${body.length}` }).end();
    return;
  }
  const slice = range === undefined ? body : body.subarray(range.first, range.last + 1);
  if (range !== undefined) headers['content-range'] = `bytes ${range.first}-${range.last}/${body.length}`;
  headers['content-length'] = String(answer.contentLength ?? slice.length);
  res.writeHead(range === undefined ? 200 : 206, headers);
  if (answer.cutAfter !== undefined) {
    res.write(slice.subarray(0, answer.cutAfter), () => setTimeout(() => res.socket?.destroy(), 20));
    return;
  }
  if (answer.stallAfter !== undefined) {
    res.write(slice.subarray(0, answer.stallAfter));
    return;
  }
  res.end(slice);
}

/** A small HTTP/1.1 file server on `host` (127.0.0.1 by default) with per-request fault plans. */
export async function startFileServer(host = '127.0.0.1'): Promise<FileServer> {
  const routes = new Map<string, { file: ServedFile; plan: (n: number) => Answer | undefined; count: number }>();
  const server = createServer((req, res) => {
    state.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    state.active += 1;
    state.maxActive = Math.max(state.maxActive, state.active);
    res.on('close', () => {
      state.active -= 1;
    });
    const route = routes.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (route === undefined) {
      res.writeHead(404, { 'content-length': '0' }).end();
      return;
    }
    const answer = route.plan(route.count) ?? {};
    route.count += 1;
    const respond = (): void => {
      if (answer.status !== undefined) res.writeHead(answer.status, { 'content-length': '0', ...(answer.headers ?? {}) }).end();
      else answerFile(req, res, route.file, answer);
    };
    if (answer.holdMs === undefined) respond();
    else setTimeout(respond, answer.holdMs);
  });
  server.on('connection', () => {
    state.connections += 1;
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const state: FileServer = {
    host,
    port,
    hostPort: `${host}:${port}`,
    origin: `http://${host}:${port}`,
    requests: [],
    connections: 0,
    active: 0,
    maxActive: 0,
    serve(path, file, plan = () => undefined) {
      routes.set(path, { file, plan, count: 0 });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return state;
}
