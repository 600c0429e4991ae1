/**
 * Subscribers to and from the clerk's spreadsheet. An import is all-or-nothing: every row is checked
 * first and every problem reported with its line; only a clean file changes the ledger. A row whose
 * code exists updates that subscriber, so export → edit in Excel → import round-trips.
 */
import { PatchdiscError } from '../errors.ts';
import type { Ledger } from './open-ledger.ts';
import { parseCsv, restoreCell, toCsv } from './csv.ts';
import { withPipelines } from './subscriber-row.ts';
import { validateSubscriber, type SubscriberValues } from './subscriber-input.ts';
import { saveSubscriberIn } from './subscribers.ts';
import { writeTransaction } from './write-transaction.ts';

/** CSV column → Subscriber field, in export order. */
export const SUBSCRIBER_CSV_COLUMNS = [
  ['code', 'code'],
  ['name', 'name'],
  ['organisation', 'organisation'],
  ['contact', 'contact'],
  ['phone', 'phone'],
  ['email', 'email'],
  ['province', 'province'],
  ['city', 'city'],
  ['district', 'district'],
  ['street', 'street'],
  ['postcode', 'postcode'],
  ['medium', 'medium'],
  ['copies', 'copies'],
  ['service_start', 'serviceStart'],
  ['service_end', 'serviceEnd'],
  ['price_plan', 'pricePlan'],
  ['notes', 'notes'],
  ['suspended', 'suspended'],
  ['pipelines', 'pipelines'],
] as const;

const REQUIRED = ['code', 'name', 'organisation', 'contact', 'phone', 'province', 'city', 'street', 'postcode', 'medium', 'service_start', 'service_end'];

export interface CsvLineError {
  line: number;
  field: string;
  message: string;
}

/** All subscribers as CSV (header row first), ordered by code. */
export async function exportSubscribersCsv(ledger: Ledger): Promise<string> {
  const rows = await ledger.db.selectFrom('subscribers').selectAll().orderBy('code').execute();
  const subscribers = await withPipelines(ledger.db, rows);
  return toCsv([
    SUBSCRIBER_CSV_COLUMNS.map(([column]) => column),
    ...subscribers.map((s) =>
      SUBSCRIBER_CSV_COLUMNS.map(([, field]) => {
        const v = s[field];
        if (Array.isArray(v)) return v.join(';');
        if (typeof v === 'boolean') return v ? '1' : '0';
        return String(v);
      }),
    ),
  ]);
}

function toBoolean(cell: string): boolean | string {
  const v = cell.trim().toLowerCase();
  if (['', '0', 'no', 'false', '否'].includes(v)) return false;
  if (['1', 'yes', 'true', '是'].includes(v)) return true;
  return cell;
}

/**
 * Imports subscribers from CSV text with a header row naming columns as exported. Throws VALIDATION
 * with details.errors (line, field, message) listing every problem; nothing is written then.
 */
export async function importSubscribersCsv(
  ledger: Ledger,
  csvText: string,
  opts: { knownPipelines: readonly string[]; now: Date; actor?: string },
): Promise<{ added: number; updated: number }> {
  const records = parseCsv(csvText, 'subscriber CSV');
  const [header, ...body] = records;
  if (!header) throw importError([{ line: 1, field: 'header', message: 'the file is empty' }]);
  const names = header.cells.map((c) => c.trim().toLowerCase());
  const errors: CsvLineError[] = [];
  const known = new Map<string, string>(SUBSCRIBER_CSV_COLUMNS.map(([c, f]) => [c, f]));
  for (const n of names) if (!known.has(n)) errors.push({ line: header.line, field: n, message: 'unknown column' });
  for (const r of REQUIRED) if (!names.includes(r)) errors.push({ line: header.line, field: r, message: 'missing column' });
  if (errors.length > 0) throw importError(errors);

  const existing = new Map<string, { id: number; pipelines: string[] }>();
  for (const s of await withPipelines(ledger.db, await ledger.db.selectFrom('subscribers').selectAll().execute())) {
    existing.set(s.code, { id: s.id, pipelines: s.pipelines });
  }
  const seen = new Map<string, number>();
  const valid: { line: number; value: SubscriberValues }[] = [];
  for (const rec of body) {
    if (rec.cells.length !== names.length) {
      errors.push({ line: rec.line, field: 'row', message: `has ${rec.cells.length} cells, the header has ${names.length}` });
      continue;
    }
    const input: Record<string, unknown> = {};
    names.forEach((n, i) => {
      const field = known.get(n) as string;
      const cell = restoreCell(rec.cells[i] ?? '');
      if (field === 'copies') input[field] = cell.trim() === '' ? undefined : Number(cell.trim());
      else if (field === 'suspended') input[field] = toBoolean(cell);
      else if (field === 'pipelines') input[field] = cell.split(/[;,\s]+/).filter((p) => p !== '');
      else input[field] = field === 'code' ? cell.trim() : cell;
    });
    const code = String(input['code'] ?? '');
    const firstLine = seen.get(code);
    if (firstLine !== undefined) {
      errors.push({ line: rec.line, field: 'code', message: `${code} is repeated (first on line ${firstLine})` });
      continue;
    }
    seen.set(code, rec.line);
    const checked = validateSubscriber(input, opts.knownPipelines, existing.get(code)?.pipelines ?? []);
    if (checked.ok) valid.push({ line: rec.line, value: checked.value });
    else for (const i of checked.issues) errors.push({ line: rec.line, field: i.field, message: i.message });
  }
  if (errors.length > 0) throw importError(errors);

  const at = opts.now.toISOString();
  const actor = opts.actor ?? 'import';
  let added = 0;
  let updated = 0;
  await writeTransaction(ledger, async (trx) => {
    for (const { line, value } of valid) {
      // Looked up again inside the transaction: another clerk may have added the code meanwhile.
      const old = await trx.selectFrom('subscribers').select('id').where('code', '=', value.code).executeTakeFirst();
      await saveSubscriberIn(trx, value, {
        ...(old ? { existingId: old.id } : {}),
        at,
        actor,
        action: old ? 'import-update' : 'import-add',
        detail: `line ${line}`,
      });
      if (old) updated++;
      else added++;
    }
  });
  return { added, updated };
}

function importError(errors: CsvLineError[]): PatchdiscError {
  const list = errors.map((e) => `line ${e.line} ${e.field}: ${e.message}`).join('; ');
  return new PatchdiscError('VALIDATION', `Cannot import subscribers: ${errors.length} problem(s), nothing imported: ${list}`, {
    details: { errors },
  });
}
