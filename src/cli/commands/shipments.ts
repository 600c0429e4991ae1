import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { loadCertificate, type LoadedCertificate } from '../../disc/keys.ts';
import { PatchdiscError } from '../../errors.ts';
import { formatYuan } from '../../ledger/billing.ts';
import { markShipment, reship } from '../../ledger/mark-shipment.ts';
import type { ShipmentStatus } from '../../ledger/schema.ts';
import { listShipments, SHIPMENT_STATUSES, type ShipmentFilter, type ShipmentRow } from '../../ledger/shipments.ts';
import { activeSigningKey } from '../../ledger/signing-keys.ts';
import { weekMonday } from '../../ledger/week-date.ts';
import type { CliIo, GlobalOptions } from '../cli-io.ts';
import { openWorkspace, type Workspace } from '../workspace.ts';
import { renderPackingSlips, type PackingSlip } from './packing-slips.ts';
import { cliActor } from './subscribers.ts';

export interface ShipmentsListOptions extends GlobalOptions {
  week?: string;
  month?: string;
  subscriber?: string;
  status?: string;
}

export interface ShipmentsMarkOptions extends GlobalOptions {
  burned?: boolean;
  mailed?: boolean;
  delivered?: boolean;
  returned?: boolean;
  lost?: boolean;
  tracking?: string;
  at?: string;
  note?: string;
}

export interface ShipmentsSlipsOptions extends GlobalOptions {
  week?: string;
  out?: string;
}

/** The shape of one shipment in `shipments list --json`: these keys and no others. */
export interface ShipmentJson {
  id: number;
  week: string;
  subscriber: string;
  status: ShipmentStatus;
  discs: number;
  medium: string;
  feeFen: number;
  tracking: string | null;
}

export function shipmentJson(r: ShipmentRow): ShipmentJson {
  return { id: r.id, week: r.week, subscriber: r.subscriber, status: r.status, discs: r.discs, medium: r.medium, feeFen: r.feeFen, tracking: r.tracking };
}

/** listShipments pages at most 1000 rows; the CLI prints them all. */
const PAGE = 1000;

function parseId(raw: string, action: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || !Number.isSafeInteger(Number(raw))) {
    throw new PatchdiscError('USAGE', `Cannot ${action} shipment "${raw}": a shipment id is a positive whole number (see patchdisc shipments list)`);
  }
  return Number(raw);
}

/** `patchdisc shipments list [--week W] [--month M] [--subscriber C] [--status S] [--json]`, newest first. */
export async function shipmentsListCommand(opts: ShipmentsListOptions, io: CliIo): Promise<number> {
  const filter: ShipmentFilter = {
    ...(opts.week !== undefined ? { week: opts.week } : {}),
    ...(opts.month !== undefined ? { month: opts.month } : {}),
    ...(opts.subscriber !== undefined ? { subscriber: opts.subscriber } : {}),
    ...(opts.status !== undefined ? { status: opts.status as ShipmentStatus } : {}),
  };
  const ws = await openWorkspace(opts, io);
  try {
    const rows: ShipmentRow[] = [];
    let total = 0;
    let totalFeeFen = 0;
    for (let offset = 0; ; offset += PAGE) {
      const page = await listShipments(ws.ledger, { ...filter, limit: PAGE, offset });
      rows.push(...page.rows);
      ({ total, totalFeeFen } = page);
      if (page.rows.length < PAGE) break;
    }
    if (ws.reporter.json) ws.reporter.result(rows.map(shipmentJson));
    else {
      for (const r of rows) {
        const extra = [r.tracking ? `tracking ${r.tracking}` : '', r.reshipOf !== null ? `reship of #${r.reshipOf}` : ''].filter((x) => x).join('  ');
        ws.reporter.line(
          `#${String(r.id).padEnd(6)} ${r.week}  ${r.subscriber.padEnd(14)} ${r.status.padEnd(9)} ${r.medium}  ${r.discs} disc(s)  ¥${formatYuan(r.feeFen)}${extra ? `  ${extra}` : ''}`,
        );
      }
      ws.reporter.line(`${total} shipment(s), fees ¥${formatYuan(totalFeeFen)}`);
    }
    return 0;
  } finally {
    await ws.close();
  }
}

function pickStatus(id: string, o: ShipmentsMarkOptions): Exclude<ShipmentStatus, 'prepared'> {
  const chosen = SHIPMENT_STATUSES.filter((s): s is Exclude<ShipmentStatus, 'prepared'> => s !== 'prepared' && o[s] === true);
  if (chosen.length !== 1 || chosen[0] === undefined) {
    throw new PatchdiscError('USAGE', `Cannot mark shipment ${id}: give exactly one of --burned, --mailed, --delivered, --returned, --lost`);
  }
  return chosen[0];
}

function parseAt(id: string, raw: string | undefined): Date {
  if (raw === undefined) return new Date();
  // A bare date means midnight UTC of that day; anything else must be an ISO 8601 time.
  const at = /^\d{4}-\d{2}-\d{2}$/.test(raw) ? new Date(`${raw}T00:00:00Z`) : /^\d{4}-\d{2}-\d{2}T/.test(raw) ? new Date(raw) : new Date(NaN);
  if (Number.isNaN(at.getTime())) {
    throw new PatchdiscError('USAGE', `Cannot mark shipment ${id}: --at "${raw}" is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)`);
  }
  return at;
}

/** `patchdisc shipments mark ID --mailed --tracking NO [--at DATE]` (or --burned/--delivered/--returned/--lost). */
export async function shipmentsMarkCommand(rawId: string, opts: ShipmentsMarkOptions, io: CliIo): Promise<number> {
  const status = pickStatus(rawId, opts);
  const id = parseId(rawId, `mark ${status}`);
  if (status === 'mailed' && !opts.tracking) {
    throw new PatchdiscError('USAGE', `Cannot mark shipment ${id} mailed: --tracking NO is required (the courier's tracking number)`);
  }
  if (status !== 'mailed' && opts.tracking !== undefined) {
    throw new PatchdiscError('USAGE', `Cannot mark shipment ${id} ${status}: --tracking goes with --mailed only`);
  }
  const at = parseAt(rawId, opts.at);
  const ws = await openWorkspace(opts, io);
  try {
    const r = await markShipment(ws.ledger, id, {
      status,
      at,
      actor: cliActor(),
      ...(opts.tracking !== undefined ? { tracking: opts.tracking } : {}),
      ...(opts.note !== undefined ? { note: opts.note } : {}),
    });
    if (ws.reporter.json) ws.reporter.result({ id: r.id, status: r.status, at: at.toISOString(), tracking: opts.tracking ?? null });
    else ws.reporter.line(`shipment #${r.id} is now ${r.status}${opts.tracking ? ` (tracking ${opts.tracking})` : ''}`);
    return 0;
  } finally {
    await ws.close();
  }
}

/** `patchdisc shipments reship ID`: a free new shipment with the same discs for a returned or lost one. */
export async function shipmentsReshipCommand(rawId: string, opts: GlobalOptions, io: CliIo): Promise<number> {
  const id = parseId(rawId, 'reship');
  const ws = await openWorkspace(opts, io);
  try {
    const created = await reship(ws.ledger, id, cliActor(), new Date());
    if (ws.reporter.json) ws.reporter.result({ id: created, reshipOf: id, status: 'prepared' });
    else ws.reporter.line(`shipment #${created} prepared as a reship of #${id} (no charge)`);
    return 0;
  } finally {
    await ws.close();
  }
}

/** The certificate recipients check: signing.certificate from the config, else the active key's. */
async function signingCertificate(ws: Workspace): Promise<LoadedCertificate> {
  if (ws.config.signing.certificate) return loadCertificate(resolve(ws.dataDir, ws.config.signing.certificate));
  const active = await activeSigningKey(ws.ledger);
  if (!active) {
    throw new PatchdiscError('NOT_FOUND', 'Cannot print packing slips: no signing key yet, so there is no fingerprint to check; run patchdisc keys generate --name "…"');
  }
  return loadCertificate(active.certPath);
}

/** Every shipment of `week` with its subscriber's address and its discs, ordered by subscriber code. */
async function slipData(ws: Workspace, week: string): Promise<PackingSlip[]> {
  const db = ws.ledger.db;
  const shipments = await db
    .selectFrom('shipments as s')
    .innerJoin('subscribers as u', 'u.id', 's.subscriber_id')
    .select(['s.id', 's.reship_of', 's.medium', 's.copies', 'u.code', 'u.name', 'u.organisation', 'u.contact', 'u.phone', 'u.province', 'u.city', 'u.district', 'u.street', 'u.postcode'])
    .where('s.week', '=', week)
    .orderBy('u.code')
    .orderBy('s.id')
    .execute();
  const discs = await db
    .selectFrom('shipment_discs as sd')
    .innerJoin('shipments as s', 's.id', 'sd.shipment_id')
    .innerJoin('discs as d', 'd.id', 'sd.disc_id')
    .innerJoin('disc_sets as ds', 'ds.id', 'd.disc_set_id')
    .select(['sd.shipment_id', 'ds.pipeline', 'ds.sequence', 'd.number', 'd.of_count', 'd.volume_id', 'd.sha256'])
    .where('s.week', '=', week)
    .orderBy('ds.pipeline')
    .orderBy('d.number')
    .execute();
  const byShipment = new Map<number, PackingSlip['discs']>();
  for (const d of discs) {
    const list = byShipment.get(d.shipment_id) ?? [];
    list.push({ pipeline: d.pipeline, sequence: d.sequence, number: d.number, of: d.of_count, volumeId: d.volume_id, sha256: d.sha256 });
    byShipment.set(d.shipment_id, list);
  }
  return shipments.map((s) => ({
    shipmentId: s.id,
    reshipOf: s.reship_of,
    code: s.code,
    name: s.name,
    organisation: s.organisation,
    contact: s.contact,
    phone: s.phone,
    province: s.province,
    city: s.city,
    district: s.district,
    street: s.street,
    postcode: s.postcode,
    medium: s.medium,
    copies: s.copies,
    discs: byShipment.get(s.id) ?? [],
  }));
}

/** `patchdisc shipments slips --week W --out FILE.html`: printable A4 packing slips, one per parcel. */
export async function shipmentsSlipsCommand(opts: ShipmentsSlipsOptions, io: CliIo): Promise<number> {
  if (!opts.week || !opts.out) throw new PatchdiscError('USAGE', 'Cannot print packing slips: --week YYYY-Www and --out FILE.html are required');
  weekMonday(opts.week);
  const ws = await openWorkspace(opts, io);
  try {
    const slips = await slipData(ws, opts.week);
    if (slips.length === 0) {
      throw new PatchdiscError('NOT_FOUND', `Cannot print packing slips for ${opts.week}: no shipments recorded that week; check with patchdisc shipments list --week ${opts.week}`);
    }
    const cert = await signingCertificate(ws);
    const html = renderPackingSlips({ week: opts.week, vendor: ws.config.vendor, keyId: cert.keyId, certificateSubject: cert.subject, slips });
    const path = resolve(io.cwd, opts.out);
    await writeFile(path, html, 'utf8');
    if (ws.reporter.json) ws.reporter.result({ week: opts.week, out: path, slips: slips.length, keyId: cert.keyId });
    else ws.reporter.line(`wrote ${slips.length} packing slip(s) for ${opts.week} to ${path}`);
    return 0;
  } finally {
    await ws.close();
  }
}
