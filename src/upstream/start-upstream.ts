import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PatchdiscError } from '../errors.ts';
import { buildScanCabinet } from './build-scan-cabinet.ts';
import { downloadDialogPage, searchPage } from './catalog-pages.ts';
import { buildCatalogModel, type CatalogFile, type CatalogModel } from './catalog-model.ts';
import { assertWeek } from './catalog-timeline.ts';
import { cvrfDocumentXml, cvrfUpdatesJson } from './cvrf-document.ts';
import { CATALOG_FAULTS, FaultInjector, type FaultKind, type FaultSpec } from './faults.ts';
import { payloadRange } from './payload-content.ts';
import { serveEntity, type Entity } from './serve-entity.ts';

export interface UpstreamOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  seed?: number;
  /** Catalog state index (default 0). */
  week?: number;
  /** Multiplies payload sizes (default 1). */
  payloadScale?: number;
  faults?: FaultSpec[];
  /**
   * Prefix written before download paths in FileLocation@Url and DownloadDialog; defaults to this
   * server's own URL. Set e.g. http://download.windowsupdate.com to serve Microsoft-looking URLs
   * that a configured mirror maps back here.
   */
  downloadBase?: string;
}

export interface UpstreamRequest {
  method: string;
  path: string;
  status: number;
  headers: Record<string, string>;
}

export interface Upstream {
  url: string;
  host: string;
  port: number;
  readonly week: number;
  setWeek(n: number): void;
  advanceWeek(): void;
  /** The model of the current week, for comparisons in tests. */
  model(): CatalogModel;
  requests: UpstreamRequest[];
  close(): Promise<void>;
}

export const WSUSSCN2_PATH = '/microsoftupdate/v6/wsusscan/wsusscn2.cab';
const STATUS_FAULTS: readonly FaultKind[] = ['status503', 'notFound', 'redirectForeign'];
const BODY_FAULTS: readonly FaultKind[] = ['reset', 'stall', 'trickle', 'wrongBytes', 'lyingLength'];
const FOREIGN_ORIGIN = 'http://evil.example.invalid';
const MAX_FORM_BYTES = 1_000_000;

interface WeekState {
  model: CatalogModel;
  files: Map<string, CatalogFile>;
  cab?: Buffer;
  malformedCab?: Buffer;
}

/** Starts the simulator on 127.0.0.1 (by default) and resolves once it listens. */
export async function startUpstream(options: UpstreamOptions = {}): Promise<Upstream> {
  const host = options.host ?? '127.0.0.1';
  const seed = options.seed ?? 1;
  const payloadScale = options.payloadScale ?? 1;
  if (!(payloadScale > 0)) throw new PatchdiscError('VALIDATION', `Cannot start upstream: payloadScale must be above 0, got ${payloadScale}`);
  let week = options.week ?? 0;
  assertWeek(week);
  const faults = new FaultInjector(options.faults ?? []);
  const weeks = new Map<number, WeekState>();
  const requests: UpstreamRequest[] = [];
  let url = '';

  const state = (): WeekState => {
    let s = weeks.get(week);
    if (s === undefined) {
      const model = buildCatalogModel(seed, week, { payloadScale });
      s = { model, files: new Map(model.files.map((f) => [f.urlPath, f])) };
      weeks.set(week, s);
    }
    return s;
  };
  const downloadBase = (): string => options.downloadBase ?? url;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target = new URL(req.url ?? '/', 'http://upstream.invalid');
    const path = target.pathname.replace(/^\/v7\/site\//i, '/');
    const method = req.method ?? 'GET';
    const s = state();
    if (path === WSUSSCN2_PATH && (method === 'GET' || method === 'HEAD')) {
      const fault = method === 'GET' ? faults.take(path, CATALOG_FAULTS) : undefined;
      let bytes: Buffer;
      if (fault?.kind === 'malformedXml') {
        s.malformedCab ??= buildScanCabinet(s.model, { downloadBase: downloadBase(), malformedXml: true }).bytes;
        bytes = s.malformedCab;
      } else {
        s.cab ??= buildScanCabinet(s.model, { downloadBase: downloadBase() }).bytes;
        bytes = s.cab;
      }
      const etag = `"${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}"`;
      const served = fault?.kind === 'truncatedCatalog' ? bytes.subarray(0, Math.floor(bytes.length / 2)) : bytes;
      const entity: Entity = {
        size: served.length,
        etag,
        lastModified: new Date(s.model.creationDate),
        contentType: 'application/vnd.ms-cab-compressed',
        read: (start, end) => [served.subarray(start, end)],
      };
      await serveEntity(req, res, entity);
      return;
    }
    const file = s.files.get(path);
    if (file !== undefined && (method === 'GET' || method === 'HEAD')) {
      const statusFault = method === 'GET' ? faults.take(path, STATUS_FAULTS) : undefined;
      if (statusFault !== undefined) return sendStatusFault(res, statusFault, path);
      const spec = { seed, key: file.contentKey, size: file.size };
      const entity: Entity = {
        size: file.size,
        etag: `"${file.sha1Hex}"`,
        lastModified: new Date(file.modified),
        contentType: 'application/octet-stream',
        read: (start, end) => payloadRange(spec, start, end),
      };
      await serveEntity(req, res, entity, { bodyFault: () => faults.take(path, BODY_FAULTS) });
      return;
    }
    if (/^\/search\.aspx$/i.test(path) && method === 'GET') {
      return sendText(res, 200, 'text/html; charset=utf-8', searchPage(s.model, target.searchParams.get('q') ?? ''));
    }
    if (/^\/downloaddialog\.aspx$/i.test(path) && method === 'POST') {
      const form = new URLSearchParams(await readBody(req));
      return sendText(res, 200, 'text/html; charset=utf-8', downloadDialogPage(s.model, parseUpdateIds(form.get('updateIDs')), downloadBase()));
    }
    if (path === '/cvrf/v3.0/updates' && method === 'GET') {
      return sendText(res, 200, 'application/json; charset=utf-8', cvrfUpdatesJson(s.model, url));
    }
    const cvrf = /^\/cvrf\/v3\.0\/cvrf\/([0-9]{4}-[A-Za-z]{3})$/.exec(path);
    if (cvrf !== null && method === 'GET') {
      const xml = cvrfDocumentXml(s.model, cvrf[1] ?? '');
      if (xml !== undefined) return sendText(res, 200, 'application/xml; charset=utf-8', xml);
    }
    sendText(res, 404, 'text/plain; charset=utf-8', `Not found: ${path}\n`);
  };

  const server = createServer((req, res) => {
    const entry: UpstreamRequest = { method: req.method ?? '', path: req.url ?? '', status: 0, headers: flattenHeaders(req) };
    const record = (): void => {
      if (entry.status === 0) {
        entry.status = res.statusCode;
        requests.push(entry);
      }
    };
    res.on('finish', record);
    res.on('close', record);
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendText(res, 500, 'text/plain; charset=utf-8', `Internal error: ${String(err)}\n`);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    url,
    host,
    port,
    get week() {
      return week;
    },
    setWeek(n: number) {
      assertWeek(n);
      week = n;
    },
    advanceWeek() {
      week += 1;
    },
    model: () => state().model,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err === undefined ? resolve() : reject(err)));
        server.closeAllConnections();
      }),
  };
}

function sendStatusFault(res: ServerResponse, fault: FaultSpec, path: string): void {
  if (fault.kind === 'status503') {
    res.setHeader('Retry-After', '1');
    return sendText(res, 503, 'text/plain; charset=utf-8', 'Service Unavailable\n');
  }
  if (fault.kind === 'redirectForeign') {
    res.setHeader('Location', `${FOREIGN_ORIGIN}${path}`);
    return sendText(res, 302, 'text/plain; charset=utf-8', 'Found\n');
  }
  sendText(res, 404, 'text/plain; charset=utf-8', 'Not Found\n');
}

function sendText(res: ServerResponse, status: number, contentType: string, body: string): void {
  const bytes = Buffer.from(body, 'utf8');
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', String(bytes.length));
  res.end(bytes);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > MAX_FORM_BYTES) throw new PatchdiscError('VALIDATION', `Cannot read form: body exceeds ${MAX_FORM_BYTES} bytes`);
    parts.push(chunk);
  }
  return Buffer.concat(parts).toString('utf8');
}

function parseUpdateIds(field: string | null): string[] {
  if (field === null) return [];
  try {
    const parsed: unknown = JSON.parse(field);
    if (!Array.isArray(parsed)) return [];
    return parsed.flatMap((x: unknown) => (typeof x === 'object' && x !== null && typeof (x as { updateID?: unknown }).updateID === 'string' ? [(x as { updateID: string }).updateID] : []));
  } catch {
    return [];
  }
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
