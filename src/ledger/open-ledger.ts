/**
 * Opening the ledger: one SQLite file in WAL mode behind a typed Kysely layer, migrated on open.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { PatchdiscError } from '../errors.ts';
import { applyMigrations, pendingMigrations } from './migrations.ts';
import type { Database } from './schema.ts';

/** Wait this long for another writer's lock before failing with SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 10_000;

export interface Ledger {
  db: Kysely<Database>;
  sqlite: BetterSqlite3.Database;
  path: string;
  close(): Promise<void>;
}

export interface OpenLedgerOptions {
  /**
   * For previews (`build --dry-run`): nothing is ever written. An existing ledger is opened read-only
   * (it must be fully migrated); an absent one is an empty in-memory ledger, and no file is created.
   */
  readOnly?: boolean;
}

/**
 * Opens (creating when absent, with its directories) the ledger at `dbPath` and applies pending
 * migrations. Throws LEDGER_ERROR when the file cannot be opened or is newer than this code.
 */
export async function openLedger(dbPath: string, options: OpenLedgerOptions = {}): Promise<Ledger> {
  const readOnly = options.readOnly === true;
  const memory = readOnly && !existsSync(dbPath);
  let sqlite: BetterSqlite3.Database;
  try {
    if (memory) {
      sqlite = new BetterSqlite3(':memory:');
    } else if (readOnly) {
      sqlite = new BetterSqlite3(dbPath, { readonly: true, fileMustExist: true });
    } else {
      mkdirSync(dirname(dbPath), { recursive: true });
      sqlite = new BetterSqlite3(dbPath);
      sqlite.pragma('journal_mode = WAL');
    }
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
    if (readOnly && !memory) await requireMigrated(sqlite, dbPath);
    else await applyMigrations(db, dbPath);
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

/** A read-only ledger cannot be migrated: it must already have every migration this code knows. */
async function requireMigrated(sqlite: BetterSqlite3.Database, dbPath: string): Promise<void> {
  let applied: Set<number>;
  try {
    const rows = sqlite.prepare('SELECT id FROM schema_migrations').all() as { id: number }[];
    applied = new Set(rows.map((r) => Number(r.id)));
  } catch (cause) {
    throw new PatchdiscError('LEDGER_ERROR', `Cannot read ledger ${dbPath}: ${(cause as Error).message}; run a command that opens it for writing (e.g. patchdisc status) first`, { cause });
  }
  const pending = pendingMigrations(applied, dbPath).map((m) => m.id);
  if (pending.length > 0) {
    throw new PatchdiscError(
      'LEDGER_ERROR',
      `Cannot read ledger ${dbPath} without changing it: it needs schema migration ${pending.join(', ')}; run patchdisc status once to migrate it, then preview again`,
      { details: { path: dbPath, pending } },
    );
  }
}
