/**
 * The price list: a disc fee per medium and one postage fee per shipment, each with the date from
 * which it applies. A shipment is charged the prices in force on its week's Monday.
 */
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { MEDIA, type Medium } from '../config/pipeline-schema.ts';
import { PatchdiscError } from '../errors.ts';
import type { Ledger } from './open-ledger.ts';
import type { Database, PriceKind } from './schema.ts';
import { isIsoDate } from './week-date.ts';
import { writeTransaction } from './write-transaction.ts';

export interface Price {
  kind: PriceKind;
  medium: Medium | null;
  fen: number;
  effectiveFrom: string;
}

const priceSchema = z
  .object({
    kind: z.enum(['disc', 'postage']),
    medium: z.enum(MEDIA).optional(),
    fen: z.number().int().min(0).max(100_000_000),
    effectiveFrom: z.string().refine(isIsoDate, 'a date YYYY-MM-DD'),
  })
  .refine((p) => (p.kind === 'disc') === (p.medium !== undefined), {
    message: 'a disc price needs a medium; postage has none',
    path: ['medium'],
  });

/** Sets the price of `kind` (and `medium` for a disc) from `effectiveFrom` on, replacing one set for that same day. */
export async function setPrice(
  ledger: Ledger,
  input: { kind: PriceKind; medium?: Medium; fen: number; effectiveFrom: string },
): Promise<void> {
  const parsed = priceSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'price'}: ${i.message}`);
    throw new PatchdiscError('VALIDATION', `Cannot set price: ${issues.join('; ')}`, { details: { issues } });
  }
  const p = parsed.data;
  const medium = p.medium ?? null;
  await writeTransaction(ledger, async (trx) => {
    const r = await trx
      .updateTable('prices')
      .set({ fen: p.fen })
      .where('kind', '=', p.kind)
      .where((eb) => (medium === null ? eb('medium', 'is', null) : eb('medium', '=', medium)))
      .where('effective_from', '=', p.effectiveFrom)
      .executeTakeFirst();
    if (r.numUpdatedRows === 0n) {
      await trx.insertInto('prices').values({ kind: p.kind, medium, fen: p.fen, effective_from: p.effectiveFrom }).execute();
    }
  });
}

/** Every price, oldest first. */
export async function listPrices(db: Kysely<Database>): Promise<Price[]> {
  const rows = await db.selectFrom('prices').selectAll().orderBy('effective_from').orderBy('id').execute();
  return rows.map((r) => ({ kind: r.kind, medium: r.medium as Medium | null, fen: r.fen, effectiveFrom: r.effective_from }));
}

/** The fen of `kind` for `medium` (null for postage) in force on `date`, or undefined when none is set. */
export async function priceAt(ledger: Ledger, kind: PriceKind, medium: Medium | null, date: string): Promise<number | undefined> {
  return pickPrice(await listPrices(ledger.db), kind, medium, date);
}

/** The price in force on `date` from a loaded price list (latest effective_from not after `date`). */
export function pickPrice(prices: readonly Price[], kind: PriceKind, medium: Medium | null, date: string): number | undefined {
  let best: Price | undefined;
  for (const p of prices) {
    if (p.kind !== kind || p.medium !== (kind === 'postage' ? null : medium) || p.effectiveFrom > date) continue;
    if (!best || p.effectiveFrom >= best.effectiveFrom) best = p;
  }
  return best?.fen;
}

/** What is missing from the price list to charge `media` on `date` (empty when all is set): check before a build. */
export async function missingPrices(ledger: Ledger, opts: { date: string; media: readonly Medium[] }): Promise<string[]> {
  const prices = await listPrices(ledger.db);
  const missing = opts.media
    .filter((m) => pickPrice(prices, 'disc', m, opts.date) === undefined)
    .map((m) => `disc price for ${m}`);
  if (pickPrice(prices, 'postage', null, opts.date) === undefined) missing.push('postage');
  return missing;
}
