/**
 * The vendor's signing keys as the ledger knows them: where the files are, which one signs now.
 * The private key itself never enters the database.
 */
import type { Ledger } from './open-ledger.ts';
import { writeTransaction } from './write-transaction.ts';

export interface SigningKeyRecord {
  keyId: string;
  name: string;
  certPath: string;
  keyPath: string;
  createdAt: string;
  notAfter: string;
  active: boolean;
}

/** Records a key; with `activate`, it becomes the only active one. */
export async function recordSigningKey(
  ledger: Ledger,
  k: { keyId: string; name: string; certPath: string; keyPath: string; createdAt: Date; notAfter: Date; activate: boolean },
): Promise<void> {
  await writeTransaction(ledger, async (trx) => {
    if (k.activate) await trx.updateTable('keys').set({ active: 0 }).where('active', '=', 1).execute();
    await trx
      .insertInto('keys')
      .values({
        key_id: k.keyId,
        name: k.name,
        cert_path: k.certPath,
        key_path: k.keyPath,
        created_at: k.createdAt.toISOString(),
        not_after: k.notAfter.toISOString(),
        active: k.activate ? 1 : 0,
      })
      .onConflict((oc) => oc.column('key_id').doUpdateSet({ active: k.activate ? 1 : 0 }))
      .execute();
  });
}

/** Every key, newest first. */
export async function listSigningKeys(ledger: Ledger): Promise<SigningKeyRecord[]> {
  const rows = await ledger.db.selectFrom('keys').selectAll().orderBy('id', 'desc').execute();
  return rows.map((r) => ({
    keyId: r.key_id,
    name: r.name,
    certPath: r.cert_path,
    keyPath: r.key_path,
    createdAt: r.created_at,
    notAfter: r.not_after,
    active: r.active === 1,
  }));
}

/** The key that signs new discs, if any. */
export async function activeSigningKey(ledger: Ledger): Promise<SigningKeyRecord | undefined> {
  return (await listSigningKeys(ledger)).find((k) => k.active);
}
