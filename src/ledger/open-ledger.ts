/**
 * Opening the ledger: one SQLite file in WAL mode behind a typed Kysely layer, migrated on open.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { PatchdiscError } from '../errors.ts';
import { applyMigrations } from './migrations.ts';
import type { Database } from './schema.ts';

/** Wait this long for another writer's lock before failing with SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 10_000;

export interface Ledger {
  db: Kysely<Database>;
  sqlite: BetterSqlite3.Database;
  path: string;
  close(): Promise<void>;
}

/**
 * Opens (creating when absent, with its directories) the ledger at `dbPath` and applies pending
 * migrations. Throws LEDGER_ERROR when the file cannot be opened or is newer than this code.
 */
export async function openLedger(dbPath: string): Promise<Ledger> {
  let sqlite: BetterSqlite3.Database;
  try {
    mkdirSync(dirname(dbPath), { recursive: true });
    sqlite = new BetterSqlite3(dbPath);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    sqlite.pragma('foreign_keys = ON');
  } catch (cause) {
    throw new PatchdiscError(
      'LEDGER_ERROR',
      `Cannot open ledger ${dbPath}: ${(cause as Error).message}; check the path and its permissions`,
      { cause, details: { path: dbPath } },
    );
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  try {
    await applyMigrations(db, dbPath);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return {
    db,
    sqlite,
    path: dbPath,
    close: () => db.destroy(),
  };
}
