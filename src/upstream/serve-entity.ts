import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultSpec } from './faults.ts';

/*
 * Serves one static entity (the catalog cabinet or a payload) with the HTTP semantics a resuming
 * downloader relies on (RFC 9110 §13 conditionals, §14 ranges): ETag, Last-Modified, If-None-Match,
 * If-Modified-Since, Range (one range), If-Range, HEAD. Body faults are applied while streaming.
 */

export interface Entity {
  size: number;
  etag: string;
  lastModified: Date;
  contentType: string;
  /** Bytes [start, end) in chunks. */
  read(start: number, end: number): Iterable<Buffer>;
}

const DEFAULT_STALL_MS = 5000;
const DEFAULT_TRICKLE_RATE = 64 * 1024;
const TRICKLE_PIECE = 4096;
const LYING_EXTRA_BYTES = 4096;

export interface ServeOptions {
  /** Applied only when a 200/206 body is sent. */
  bodyFault?: () => FaultSpec | undefined;
}

export async function serveEntity(req: IncomingMessage, res: ServerResponse, entity: Entity, options: ServeOptions = {}): Promise<void> {
  const lastModified = entity.lastModified.toUTCString();
  res.setHeader('ETag', entity.etag);
  res.setHeader('Last-Modified', lastModified);
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Content-Type', entity.contentType);

  if (notModified(req, entity)) {
    res.statusCode = 304;
    res.end();
    return;
  }
  let start = 0;
  let end = entity.size;
  const range = req.headers.range;
  if (req.method === 'GET' && range !== undefined && ifRangeHolds(req, entity, lastModified)) {
    const parsed = parseRange(range, entity.size);
    if (parsed === 'unsatisfiable') {
      res.statusCode = 416;
      res.setHeader('Content-Range', `bytes */${entity.size}`);
      res.end();
      return;
    }
    if (parsed !== undefined) {
      [start, end] = parsed;
      res.statusCode = 206;
      res.setHeader('Content-Range', `bytes ${start}-${end - 1}/${entity.size}`);
    }
  }
  const length = end - start;
  if (req.method === 'HEAD') {
    res.setHeader('Content-Length', String(length));
    res.end();
    return;
  }
  const fault = options.bodyFault?.();
  res.setHeader('Content-Length', String(fault?.kind === 'lyingLength' ? length + LYING_EXTRA_BYTES : length));
  await sendBody(res, entity.read(start, end), length, fault);
}

function notModified(req: IncomingMessage, entity: Entity): boolean {
  const inm = req.headers['if-none-match'];
  if (inm !== undefined) {
    const tags = inm.split(',').map((t) => t.trim().replace(/^W\//, ''));
    return tags.includes('*') || tags.includes(entity.etag);
  }
  const ims = req.headers['if-modified-since'];
  if (ims !== undefined) {
    const since = Date.parse(ims);
    return !Number.isNaN(since) && Math.floor(entity.lastModified.getTime() / 1000) * 1000 <= since;
  }
  return false;
}

function ifRangeHolds(req: IncomingMessage, entity: Entity, lastModified: string): boolean {
  const header = req.headers['if-range'];
  if (header === undefined) return true;
  const ifRange = Array.isArray(header) ? header.join(', ') : header;
  if (ifRange.startsWith('"') || ifRange.startsWith('W/')) return ifRange === entity.etag; // strong comparison only
  return ifRange === lastModified;
}

/** One `bytes=` range; undefined when the header should be ignored (serve 200). */
function parseRange(header: string, size: number): [number, number] | 'unsatisfiable' | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (m === null) return undefined;
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return undefined;
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0) return 'unsatisfiable';
    return [Math.max(0, size - suffix), size];
  }
  const first = Number(a);
  const last = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (b !== '' && Number(b) < first) return undefined;
  if (first >= size) return 'unsatisfiable';
  return [first, last + 1];
}

async function sendBody(res: ServerResponse, chunks: Iterable<Buffer>, length: number, fault: FaultSpec | undefined): Promise<void> {
  const half = Math.floor(length / 2);
  let sent = 0;
  for (const original of chunks) {
    if (res.destroyed) return;
    let chunk = original;
    if (fault?.kind === 'wrongBytes' && sent <= half && half < sent + chunk.length) {
      chunk = Buffer.from(chunk);
      chunk[half - sent] = (chunk[half - sent] ?? 0) ^ 0xff;
    }
    if ((fault?.kind === 'reset' || fault?.kind === 'stall') && sent < half && sent + chunk.length >= half) {
      await write(res, chunk.subarray(0, half - sent));
      if (fault.kind === 'reset') {
        await delay(50);
        res.destroy();
        return;
      }
      await delay(fault.ms ?? DEFAULT_STALL_MS);
      chunk = chunk.subarray(half - sent);
      sent = half;
    }
    if (fault?.kind === 'trickle') {
      const rate = fault.bytesPerSecond ?? DEFAULT_TRICKLE_RATE;
      for (let at = 0; at < chunk.length; at += TRICKLE_PIECE) {
        const piece = chunk.subarray(at, at + TRICKLE_PIECE);
        await write(res, piece);
        await delay((piece.length / rate) * 1000);
        if (res.destroyed) return;
      }
    } else {
      await write(res, chunk);
    }
    sent += chunk.length;
  }
  if (fault?.kind === 'lyingLength') {
    // The promised length is never reached: close the connection once the real bytes are out.
    await delay(50);
    res.destroy();
    return;
  }
  res.end();
}

function write(res: ServerResponse, chunk: Buffer): Promise<void> {
  if (res.destroyed) return Promise.resolve();
  if (res.write(chunk)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Unreferenced, so that a stalled response never keeps a finished test process alive. */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
