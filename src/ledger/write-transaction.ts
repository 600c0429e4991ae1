/**
 * Read-then-write work in one SQLite transaction that takes the write lock up front.
 *
 * Kysely's transaction() issues a deferred BEGIN: a transaction that reads first and then writes
 * fails at once with SQLITE_BUSY when another process committed meanwhile (busy_timeout cannot help
 * a stale read snapshot). BEGIN IMMEDIATE waits for the lock (up to busy_timeout) before reading.
 * This is the one SQLite-specific statement of the query layer.
 */
import { sql, type Kysely } from 'kysely';
import type { Ledger } from './open-ledger.ts';
import type { Database } from './schema.ts';

/** Runs `work` in a BEGIN IMMEDIATE transaction; commits when it resolves, rolls back when it throws. */
export async function writeTransaction<T>(ledger: Ledger, work: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  return ledger.db.connection().execute(async (conn) => {
    await sql`BEGIN IMMEDIATE`.execute(conn);
    try {
      const result = await work(conn);
      await sql`COMMIT`.execute(conn);
      return result;
    } catch (err) {
      if (ledger.sqlite.inTransaction) await sql`ROLLBACK`.execute(conn);
      throw err;
    }
  });
}
