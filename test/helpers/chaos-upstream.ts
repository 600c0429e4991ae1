import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openCabinet } from '../../src/cab/open-cabinet.ts';
import { writeCabinet, type CabinetMember } from '../../src/cab/write-cabinet.ts';
import { buildScanCabinet } from '../../src/upstream/build-scan-cabinet.ts';
import type { CatalogFile, CatalogModel, CatalogUpdate } from '../../src/upstream/catalog-model.ts';
import type { FaultKind, FaultSpec } from '../../src/upstream/faults.ts';
import { packageXml } from '../../src/upstream/package-xml.ts';
import { pickInt, pickOne } from './chaos-setup.ts';

/** Updates the demo pipeline picks: current (not superseded) x64 updates for Windows 10 / 11. */
export function demoUpdates(model: CatalogModel): CatalogUpdate[] {
  return model.updates.filter(
    (u) => u.arch === 'x64' && u.supersededBy.length === 0 && u.products.some((p) => p === 'Windows 11' || p === 'Windows 10, version 1903 and later'),
  );
}

export function demoFiles(model: CatalogModel): CatalogFile[] {
  return demoUpdates(model).flatMap((u) => u.files);
}

/** The file of the Windows 11 cumulative update: on every demo disc of week 0. */
export function win11Cumulative(model: CatalogModel): { update: CatalogUpdate; file: CatalogFile } {
  const update = demoUpdates(model).find((u) => u.kind === 'cu' && u.products.includes('Windows 11'));
  const file = update?.files[0];
  if (update === undefined || file === undefined) throw new Error('the model has no Windows 11 cumulative update');
  return { update, file };
}

const RANDOM_KINDS: readonly FaultKind[] = ['reset', 'status503', 'notFound', 'stall', 'trickle', 'wrongBytes', 'lyingLength', 'redirectForeign', 'truncatedCatalog', 'malformedXml'];

/**
 * 1–3 random faults, each bounded so a build stays within seconds: stalls under the downloader's
 * stall timeout, trickles at 1–4 MB/s, most faults limited to a few hits, some aimed at one file.
 */
export function randomFaults(random: () => number, files: readonly CatalogFile[]): FaultSpec[] {
  const out: FaultSpec[] = [];
  const n = pickInt(random, 1, 3);
  for (let i = 0; i < n; i++) {
    const kind = pickOne(random, RANDOM_KINDS);
    const spec: FaultSpec = { kind };
    const catalog = kind === 'truncatedCatalog' || kind === 'malformedXml';
    if (!catalog && random() < 0.6) spec.match = pickOne(random, files).fileName.slice(-24);
    // Unlimited only when aimed at one file; otherwise a few hits.
    if (spec.match === undefined || random() < 0.5) spec.times = pickInt(random, 1, 4);
    if (kind === 'stall') spec.ms = pickInt(random, 300, 2500);
    if (kind === 'trickle') spec.bytesPerSecond = pickInt(random, 1, 4) * 1024 * 1024;
    out.push(spec);
  }
  return out;
}

/** wsusscn2.cab of `model` with package.xml rewritten by `edit` (the detail cabinets unchanged). */
export async function editedScanCabinet(model: CatalogModel, downloadBase: string, edit: (packageXml: string) => string): Promise<Buffer> {
  const normal = buildScanCabinet(model, { downloadBase }).bytes;
  const outer = await openCabinet(normal, { label: 'wsusscn2.cab' });
  const date = new Date(model.creationDate);
  const setId = parseInt(model.packageId.slice(0, 4), 16);
  const members: CabinetMember[] = [];
  try {
    for (const m of outer.members) {
      if (m.name === 'package.cab') {
        const xml = edit(packageXml(model, { downloadBase }));
        members.push({ name: m.name, data: writeCabinet([{ name: 'package.xml', data: Buffer.from(xml, 'utf8'), date }], { compression: 'mszip', setId }), date });
      } else {
        members.push({ name: m.name, data: await outer.readMember(m.name), date: m.date });
      }
    }
  } finally {
    await outer.close();
  }
  return writeCabinet(members, { compression: 'mszip', setId });
}

export interface TrapServer {
  url: string;
  port: number;
  /** Every request that reached it, except the one path it serves. */
  hits: string[];
  close(): Promise<void>;
}

/**
 * A tiny server that serves `cab()` at `cabPath` and records every other request (a download the
 * product should never have made).
 */
export async function startTrapServer(cabPath: string, cab: () => Buffer): Promise<TrapServer> {
  const hits: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    if (req.url === cabPath && req.method === 'GET') {
      const bytes = cab();
      res.writeHead(200, { 'content-type': 'application/vnd.ms-cab-compressed', 'content-length': String(bytes.length) });
      res.end(bytes);
      return;
    }
    hits.push(`${req.method ?? ''} ${req.url ?? ''}`);
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('trap\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
