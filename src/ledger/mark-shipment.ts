/**
 * Recording what happens to a parcel: burned, mailed (with tracking), delivered, returned or lost,
 * as appended events; and reshipping a returned or lost parcel.
 */
import type { Kysely } from 'kysely';
import { PatchdiscError } from '../errors.ts';
import type { Ledger } from './open-ledger.ts';
import type { Database, ShipmentStatus } from './schema.ts';
import { writeTransaction } from './write-transaction.ts';

/**
 * Allowed next statuses. mailed → mailed records a corrected tracking number; delivered, returned
 * and lost are final (a returned or lost parcel is reshipped as a new shipment).
 */
export const NEXT_STATUS: Readonly<Record<ShipmentStatus, readonly ShipmentStatus[]>> = {
  prepared: ['burned', 'mailed'],
  burned: ['mailed'],
  mailed: ['mailed', 'delivered', 'returned', 'lost'],
  delivered: [],
  returned: [],
  lost: [],
};

async function latestStatus(trx: Kysely<Database>, id: number, action: string): Promise<ShipmentStatus> {
  const row = await trx
    .selectFrom('shipment_events')
    .select('status')
    .where('shipment_id', '=', id)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!row) {
    throw new PatchdiscError('NOT_FOUND', `Cannot ${action} shipment ${id}: no such shipment; check the id in the shipment log`, {
      details: { shipmentId: id },
    });
  }
  return row.status;
}

/**
 * Appends a status event to shipment `id`. Throws NOT_FOUND for an unknown shipment and VALIDATION
 * for a transition NEXT_STATUS does not allow (or mailed → mailed without a new tracking number).
 */
export async function markShipment(
  ledger: Ledger,
  id: number,
  e: { status: Exclude<ShipmentStatus, 'prepared'>; tracking?: string; at: Date; actor: string; note?: string },
): Promise<{ id: number; status: ShipmentStatus }> {
  const tracking = e.tracking?.trim() || null;
  if (tracking !== null && !/^[\w-]{4,40}$/.test(tracking)) {
    throw new PatchdiscError('VALIDATION', `Cannot mark shipment ${id} ${e.status}: tracking "${tracking}" is not 4–40 letters, digits or -`, {
      details: { shipmentId: id, tracking },
    });
  }
  return writeTransaction(ledger, async (trx) => {
    const current = await latestStatus(trx, id, `mark ${e.status}`);
    const allowed = NEXT_STATUS[current];
    if (!allowed.includes(e.status) || (current === 'mailed' && e.status === 'mailed' && tracking === null)) {
      const hint = allowed.length > 0 ? `it can become ${allowed.join(' or ')}` : 'that is final; reship it instead';
      throw new PatchdiscError('VALIDATION', `Cannot mark shipment ${id} ${e.status}: it is ${current}; ${hint}`, {
        details: { shipmentId: id, from: current, to: e.status },
      });
    }
    await trx
      .insertInto('shipment_events')
      .values({ shipment_id: id, status: e.status, at: e.at.toISOString(), actor: e.actor, tracking, note: e.note ?? null })
      .execute();
    return { id, status: e.status };
  });
}

/**
 * Creates a new shipment with the same discs for a returned or lost one, linked by reship_of and
 * free of charge (fee and postage 0: the original shipment carries the charge). Returns its id.
 * Throws VALIDATION when the shipment is not returned/lost or was reshipped already.
 */
export async function reship(ledger: Ledger, id: number, actor: string, now: Date): Promise<number> {
  return writeTransaction(ledger, async (trx) => {
    const status = await latestStatus(trx, id, 'reship');
    if (status !== 'returned' && status !== 'lost') {
      throw new PatchdiscError('VALIDATION', `Cannot reship shipment ${id}: it is ${status}; only a returned or lost shipment is reshipped`, {
        details: { shipmentId: id, status },
      });
    }
    const already = await trx.selectFrom('shipments').select('id').where('reship_of', '=', id).executeTakeFirst();
    if (already) {
      throw new PatchdiscError('VALIDATION', `Cannot reship shipment ${id}: it was reshipped as shipment ${already.id}`, {
        details: { shipmentId: id, reshipId: already.id },
      });
    }
    const s = await trx.selectFrom('shipments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const at = now.toISOString();
    const created = await trx
      .insertInto('shipments')
      .values({
        batch_id: s.batch_id,
        subscriber_id: s.subscriber_id,
        week: s.week,
        medium: s.medium,
        copies: s.copies,
        disc_count: s.disc_count,
        fee_fen: 0,
        postage_fen: 0,
        reship_of: id,
        created_at: at,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const discs = await trx.selectFrom('shipment_discs').select('disc_id').where('shipment_id', '=', id).execute();
    if (discs.length > 0) {
      await trx.insertInto('shipment_discs').values(discs.map((d) => ({ shipment_id: created.id, disc_id: d.disc_id }))).execute();
    }
    await trx
      .insertInto('shipment_events')
      .values({ shipment_id: created.id, status: 'prepared', at, actor, tracking: null, note: `reship of ${id}` })
      .execute();
    return created.id;
  });
}
