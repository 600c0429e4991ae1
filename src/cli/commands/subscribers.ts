import { readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { isPatchdiscError, PatchdiscError } from '../../errors.ts';
import { formatYuan } from '../../ledger/billing.ts';
import { listShipments } from '../../ledger/shipments.ts';
import { exportSubscribersCsv, importSubscribersCsv, type CsvLineError } from '../../ledger/subscriber-csv.ts';
import type { SubscriberInput } from '../../ledger/subscriber-input.ts';
import type { Subscriber } from '../../ledger/subscriber-row.ts';
import { addSubscriber, editSubscriber, getSubscriber, listSubscribers, setSuspended } from '../../ledger/subscribers.ts';
import type { CliIo, GlobalOptions } from '../cli-io.ts';
import { EXIT_USAGE } from '../exit-codes.ts';
import { openWorkspace, type Workspace } from '../workspace.ts';

/** The subscriber fields as flags of `subscribers add` and `subscribers edit`. */
export interface SubscriberFieldOptions extends GlobalOptions {
  code?: string;
  name?: string;
  organisation?: string;
  contact?: string;
  phone?: string;
  email?: string;
  province?: string;
  city?: string;
  district?: string;
  street?: string;
  postcode?: string;
  medium?: string;
  copies?: string;
  pipeline?: string[];
  start?: string;
  end?: string;
  pricePlan?: string;
  notes?: string;
}

export interface SubscribersListOptions extends GlobalOptions {
  search?: string;
  pipeline?: string;
  active?: boolean;
}

export interface SubscribersExportOptions extends GlobalOptions {
  out?: string;
}

/** Who the ledger records as having made a change from this command line. */
export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/** The fields the user gave, as SubscriberInput; a flag not given is left out (edit keeps its value). */
function inputFromFlags(o: SubscriberFieldOptions): Partial<SubscriberInput> {
  const out: Record<string, unknown> = {};
  const text = ['name', 'organisation', 'contact', 'phone', 'email', 'province', 'city', 'district', 'street', 'postcode', 'medium', 'notes'] as const;
  for (const k of text) if (o[k] !== undefined) out[k] = o[k];
  if (o.copies !== undefined) {
    // A non-number stays a string so validation names the field instead of storing NaN.
    out['copies'] = /^\d+$/.test(o.copies.trim()) ? Number(o.copies.trim()) : o.copies;
  }
  if (o.pipeline !== undefined) out['pipelines'] = o.pipeline;
  if (o.start !== undefined) out['serviceStart'] = o.start;
  if (o.end !== undefined) out['serviceEnd'] = o.end;
  if (o.pricePlan !== undefined) out['pricePlan'] = o.pricePlan;
  return out as Partial<SubscriberInput>;
}

function context(ws: Workspace) {
  return { knownPipelines: ws.pipelines.map((p) => p.name), now: new Date(), actor: cliActor() };
}

/** "北京市 北京市 海淀区 学院路 30 号 100083": the address in Chinese order, postcode last. */
export function formatAddress(s: Pick<Subscriber, 'province' | 'city' | 'district' | 'street' | 'postcode'>): string {
  return [s.province, s.city, s.district, s.street, s.postcode].filter((p) => p !== '').join(' ');
}

function printSubscriber(ws: Workspace, s: Subscriber): void {
  const r = ws.reporter;
  r.line(`${s.code}  ${s.name}${s.suspended ? '  [suspended]' : ''}`);
  r.line(`  organisation  ${s.organisation}`);
  r.line(`  contact       ${s.contact}, ${s.phone}${s.email ? `, ${s.email}` : ''}`);
  r.line(`  address       ${formatAddress(s)}`);
  r.line(`  medium        ${s.medium} × ${s.copies}`);
  r.line(`  pipelines     ${s.pipelines.join(', ') || '(none)'}`);
  r.line(`  service       ${s.serviceStart} – ${s.serviceEnd}, plan ${s.pricePlan}`);
  if (s.notes) r.line(`  notes         ${s.notes}`);
}

/** `patchdisc subscribers add --code … --name … …`: a new subscriber; invalid fields exit 2 naming each. */
export async function subscribersAddCommand(opts: SubscriberFieldOptions, io: CliIo): Promise<number> {
  const ws = await openWorkspace(opts, io);
  try {
    const s = await addSubscriber(ws.ledger, { code: opts.code ?? '', ...inputFromFlags(opts) } as SubscriberInput, context(ws));
    if (ws.reporter.json) ws.reporter.result(s);
    else {
      ws.reporter.line(`added subscriber ${s.code}`);
      printSubscriber(ws, s);
    }
    return 0;
  } finally {
    await ws.close();
  }
}

/** `patchdisc subscribers edit CODE --field value …`: changes only the fields given. */
export async function subscribersEditCommand(code: string, opts: SubscriberFieldOptions, io: CliIo): Promise<number> {
  const patch = inputFromFlags(opts);
  if (Object.keys(patch).length === 0) {
    throw new PatchdiscError('USAGE', `Cannot edit subscriber ${code}: no field given; pass e.g. --phone or --street (see --help)`);
  }
  const ws = await openWorkspace(opts, io);
  try {
    const s = await editSubscriber(ws.ledger, code, patch, context(ws));
    if (ws.reporter.json) ws.reporter.result(s);
    else {
      ws.reporter.line(`changed subscriber ${s.code}`);
      printSubscriber(ws, s);
    }
    return 0;
  } finally {
    await ws.close();
  }
}

/** Every subscriber matching the filter, read page by page (listSubscribers caps a page). */
async function allSubscribers(ws: Workspace, o: SubscribersListOptions): Promise<Subscriber[]> {
  const page = 1000;
  const out: Subscriber[] = [];
  for (let offset = 0; ; offset += page) {
    const rows = await listSubscribers(ws.ledger, {
      ...(o.search !== undefined ? { search: o.search } : {}),
      ...(o.pipeline !== undefined ? { pipeline: o.pipeline } : {}),
      includeSuspended: o.active !== true,
      limit: page,
      offset,
    });
    out.push(...rows);
    if (rows.length < page) return out;
  }
}

/** `patchdisc subscribers list [--search T] [--pipeline P] [--active] [--json]`. */
export async function subscribersListCommand(opts: SubscribersListOptions, io: CliIo): Promise<number> {
  const ws = await openWorkspace(opts, io);
  try {
    const rows = await allSubscribers(ws, opts);
    if (ws.reporter.json) ws.reporter.result(rows);
    else {
      for (const s of rows) {
        const state = s.suspended ? 'suspended' : `until ${s.serviceEnd}`;
        ws.reporter.line(`${s.code.padEnd(14)} ${s.name}  (${s.organisation})  ${s.medium}×${s.copies}  ${s.pipelines.join(',') || '-'}  ${state}`);
      }
      ws.reporter.line(`${rows.length} subscriber(s)`);
    }
    return 0;
  } finally {
    await ws.close();
  }
}

/** `patchdisc subscribers show CODE`: the subscriber, its history and its shipments. */
export async function subscribersShowCommand(code: string, opts: GlobalOptions, io: CliIo): Promise<number> {
  const ws = await openWorkspace(opts, io);
  try {
    const s = await getSubscriber(ws.ledger, code);
    if (!s) throw new PatchdiscError('NOT_FOUND', `Cannot show subscriber ${code}: no such subscriber; check the code with "patchdisc subscribers list"`);
    const history = await ws.ledger.db
      .selectFrom('subscriber_events')
      .select(['at', 'actor', 'action', 'detail'])
      .where('subscriber_id', '=', s.id)
      .orderBy('id')
      .execute();
    const shipments = (await listShipments(ws.ledger, { subscriber: code, limit: 1000 })).rows;
    if (ws.reporter.json) ws.reporter.result({ subscriber: s, history, shipments });
    else {
      printSubscriber(ws, s);
      ws.reporter.line('history:');
      for (const h of history) ws.reporter.line(`  ${h.at}  ${h.action}${h.detail ? ` (${h.detail})` : ''}  by ${h.actor}`);
      ws.reporter.line(`shipments (${shipments.length}):`);
      for (const r of shipments) {
        const tracking = r.tracking ? `  tracking ${r.tracking}` : '';
        ws.reporter.line(`  #${r.id}  ${r.week}  ${r.status}  ${r.discs} disc(s)  ¥${formatYuan(r.feeFen)}${tracking}${r.reshipOf !== null ? `  reship of #${r.reshipOf}` : ''}`);
      }
    }
    return 0;
  } finally {
    await ws.close();
  }
}

/** `patchdisc subscribers suspend CODE` / `resume CODE`. */
export async function subscribersSuspendCommand(code: string, suspended: boolean, opts: GlobalOptions, io: CliIo): Promise<number> {
  const ws = await openWorkspace(opts, io);
  try {
    await setSuspended(ws.ledger, code, suspended, cliActor(), new Date());
    if (ws.reporter.json) ws.reporter.result({ code, suspended });
    else ws.reporter.line(`subscriber ${code} ${suspended ? 'suspended: it gets no discs until resumed' : 'resumed'}`);
    return 0;
  } finally {
    await ws.close();
  }
}

/**
 * `patchdisc subscribers import FILE.csv`: all or nothing. On invalid rows every problem is printed
 * on its own line (`line N field: message`) and the command exits 2 with the ledger unchanged.
 */
export async function subscribersImportCommand(file: string, opts: GlobalOptions, io: CliIo): Promise<number> {
  const path = resolve(io.cwd, file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new PatchdiscError('NOT_FOUND', `Cannot import subscribers from ${file}: ${(cause as Error).message}`, { cause });
  }
  const ws = await openWorkspace(opts, io);
  try {
    const { added, updated } = await importSubscribersCsv(ws.ledger, text, context(ws));
    if (ws.reporter.json) ws.reporter.result({ added, updated });
    else ws.reporter.line(`imported ${file}: ${added} added, ${updated} updated`);
    return 0;
  } catch (err) {
    const errors = isPatchdiscError(err, 'VALIDATION') ? (err.details['errors'] as CsvLineError[] | undefined) : undefined;
    if (!errors) throw err;
    io.stderr(`patchdisc: Cannot import subscribers from ${file}: ${errors.length} problem(s), nothing imported\n`);
    for (const e of errors) io.stderr(`  line ${e.line} ${e.field}: ${e.message}\n`);
    if (ws.reporter.json) ws.reporter.result({ added: 0, updated: 0, errors });
    return EXIT_USAGE;
  } finally {
    await ws.close();
  }
}

/** `patchdisc subscribers export [--out FILE]`: CSV (UTF-8 BOM, CRLF) to stdout or FILE. */
export async function subscribersExportCommand(opts: SubscribersExportOptions, io: CliIo): Promise<number> {
  const ws = await openWorkspace(opts, io);
  try {
    const csv = await exportSubscribersCsv(ws.ledger);
    if (opts.out === undefined) io.stdout(csv);
    else {
      const path = resolve(io.cwd, opts.out);
      await writeFile(path, csv, 'utf8');
      ws.reporter.line(`wrote ${path}`);
    }
    return 0;
  } finally {
    await ws.close();
  }
}
