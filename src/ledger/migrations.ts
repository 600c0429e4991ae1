/**
 * The ledger's numbered migrations, applied in order at open and recorded in schema_migrations.
 * A migration, once released, is never edited: change the schema with a new, higher-numbered one.
 */
import { sql, type Kysely } from 'kysely';
import { PatchdiscError } from '../errors.ts';
import { up as initial } from './migrations/001-initial.ts';
import { up as shipmentState } from './migrations/002-shipment-state.ts';
import type { Database } from './schema.ts';

export interface Migration {
  id: number;
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration sees the schema of its own time, not today's Database type
  up(db: Kysely<any>): Promise<void>;
}

export const MIGRATIONS: readonly Migration[] = [
  { id: 1, name: 'initial', up: initial },
  { id: 2, name: 'shipment-state', up: shipmentState },
];

/**
 * The migrations a database with `applied` still needs, in order. Throws LEDGER_ERROR when it has one
 * this code lacks (it was written by a newer patchdisc).
 */
export function pendingMigrations(applied: ReadonlySet<number>, path: string, migrations = MIGRATIONS): Migration[] {
  const known = new Set(migrations.map((m) => m.id));
  const unknown = [...applied].filter((id) => !known.has(id)).sort((a, b) => a - b);
  if (unknown.length > 0) {
    throw new PatchdiscError(
      'LEDGER_ERROR',
      `Cannot open ledger ${path}: it has schema migration ${unknown.join(', ')} that this patchdisc does not know; upgrade patchdisc`,
      { details: { path, unknown } },
    );
  }
  return migrations.filter((m) => !applied.has(m.id)).sort((a, b) => a.id - b.id);
}

/**
 * Applies every migration newer than the database's, each in its own transaction. Throws
 * LEDGER_ERROR when the database was written by a newer patchdisc (a migration id this code lacks).
 * Returns the ids applied.
 */
export async function applyMigrations(db: Kysely<Database>, path: string, migrations = MIGRATIONS): Promise<number[]> {
  await sql`CREATE TABLE IF NOT EXISTS schema_migrations (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`.execute(db);
  const rows = await db.selectFrom('schema_migrations').select(['id']).execute();
  const applied = new Set(rows.map((r) => Number(r.id)));
  const done: number[] = [];
  for (const m of pendingMigrations(applied, path, migrations)) {
    try {
      await db.transaction().execute(async (trx) => {
        await m.up(trx);
        await trx
          .insertInto('schema_migrations')
          .values({ id: m.id, name: m.name, applied_at: new Date().toISOString() })
          .execute();
      });
    } catch (cause) {
      throw new PatchdiscError(
        'LEDGER_ERROR',
        `Cannot migrate ledger ${path}: migration ${m.id} (${m.name}) failed: ${(cause as Error).message}; the ledger is unchanged by it, restore a backup if this repeats`,
        { cause, details: { path, migration: m.id } },
      );
    }
    done.push(m.id);
  }
  return done;
}
