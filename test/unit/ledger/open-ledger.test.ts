import { existsSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { describe, expect, it } from 'vitest';
import { isPatchdiscError } from '../../../src/errors.ts';
import { MIGRATIONS, applyMigrations } from '../../../src/ledger/migrations.ts';
import { openLedger } from '../../../src/ledger/open-ledger.ts';
import type { Database } from '../../../src/ledger/schema.ts';
import { makeTempDir } from '../../helpers/tools.ts';

const TABLES = [
  'batches', 'build_stages', 'builds', 'catalog_snapshots', 'disc_set_items', 'disc_sets', 'discs', 'files', 'keys',
  'prices', 'schema_migrations', 'shipment_discs', 'shipment_events', 'shipment_state', 'shipment_totals', 'shipments',
  'subscriber_events', 'subscribers', 'subscriptions',
];

describe('openLedger()', () => {
  it('creates the directories, applies every migration and sets WAL, busy_timeout and foreign keys', async () => {
    const tmp = makeTempDir();
    try {
      const ledger = await openLedger(join(tmp.dir, 'a', 'b', 'patchdisc.db'));
      const tables = ledger.sqlite
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .pluck()
        .all();
      expect(tables).toEqual(TABLES);
      expect(ledger.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(ledger.sqlite.pragma('busy_timeout', { simple: true })).toBe(10000);
      expect(ledger.sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
      const applied = ledger.sqlite.prepare('SELECT id, name FROM schema_migrations').all();
      expect(applied).toEqual(MIGRATIONS.map((m) => ({ id: m.id, name: m.name })));
      await ledger.close();
    } finally {
      tmp.remove();
    }
  });

  it('is idempotent on reopen: nothing is applied twice and data survives', async () => {
    const tmp = makeTempDir();
    try {
      const path = join(tmp.dir, 'patchdisc.db');
      const first = await openLedger(path);
      await first.db.insertInto('batches').values({ week: '2025-W03', created_at: 'x' }).execute();
      await first.close();
      const second = await openLedger(path);
      expect(second.sqlite.prepare('SELECT count(*) FROM schema_migrations').pluck().get()).toBe(MIGRATIONS.length);
      expect(second.sqlite.prepare('SELECT week FROM batches').pluck().all()).toEqual(['2025-W03']);
      expect(await applyMigrations(second.db, path)).toEqual([]);
      await second.close();
    } finally {
      tmp.remove();
    }
  });

  it('refuses a ledger written by a newer patchdisc with LEDGER_ERROR', async () => {
    const tmp = makeTempDir();
    try {
      const path = join(tmp.dir, 'patchdisc.db');
      await (await openLedger(path)).close();
      const raw = new BetterSqlite3(path);
      raw.prepare("INSERT INTO schema_migrations (id, name, applied_at) VALUES (999, 'future', 'x')").run();
      raw.close();
      const err = await openLedger(path).catch((e: unknown) => e);
      expect(isPatchdiscError(err, 'LEDGER_ERROR')).toBe(true);
      expect((err as Error).message).toContain('999');
    } finally {
      tmp.remove();
    }
  });

  it('rolls back a failing migration and reports LEDGER_ERROR naming it', async () => {
    const tmp = makeTempDir();
    try {
      const ledger = await openLedger(join(tmp.dir, 'patchdisc.db'));
      const latest = Math.max(...MIGRATIONS.map((m) => m.id));
      const broken = [
        ...MIGRATIONS,
        {
          id: latest + 1,
          name: 'broken',
          up: async (db: Parameters<(typeof MIGRATIONS)[number]['up']>[0]) => {
            await db.schema.createTable('half_done').addColumn('x', 'integer').execute();
            await db.schema.createTable('batches').addColumn('x', 'integer').execute(); // exists: fails
          },
        },
      ];
      const err = await applyMigrations(ledger.db, 'test.db', broken).catch((e: unknown) => e);
      expect(isPatchdiscError(err, 'LEDGER_ERROR')).toBe(true);
      expect((err as Error).message).toContain(`migration ${latest + 1} (broken)`);
      expect(ledger.sqlite.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'").pluck().get()).toBe(0);
      expect(ledger.sqlite.prepare('SELECT max(id) FROM schema_migrations').pluck().get()).toBe(latest);
      await ledger.close();
    } finally {
      tmp.remove();
    }
  });

  describe('read-only (previews)', () => {
    it('opens an absent ledger as an empty in-memory one and creates no file', async () => {
      const tmp = makeTempDir();
      try {
        const path = join(tmp.dir, 'none', 'patchdisc.db');
        const ledger = await openLedger(path, { readOnly: true });
        const count = ledger.sqlite.prepare('SELECT count(*) FROM subscribers').pluck().get();
        expect(count).toBe(0);
        await ledger.close();
        expect(existsSync(join(tmp.dir, 'none'))).toBe(false);
      } finally {
        tmp.remove();
      }
    });

    it('refuses any write to an existing ledger', async () => {
      const tmp = makeTempDir();
      try {
        const path = join(tmp.dir, 'patchdisc.db');
        await (await openLedger(path)).close();
        const ledger = await openLedger(path, { readOnly: true });
        try {
          expect(() => ledger.sqlite.prepare("INSERT INTO prices (kind, fen, effective_from) VALUES ('postage', 1, '2020-01-01')").run()).toThrow(/readonly/);
        } finally {
          await ledger.close();
        }
      } finally {
        tmp.remove();
      }
    });

    it('refuses a ledger written by a newer patchdisc, as a read-write open does', async () => {
      const tmp = makeTempDir();
      try {
        const path = join(tmp.dir, 'patchdisc.db');
        const ledger = await openLedger(path);
        ledger.sqlite.prepare("INSERT INTO schema_migrations (id, name, applied_at) VALUES (99, 'future', '2030-01-01')").run();
        await ledger.close();
        const err = await openLedger(path, { readOnly: true }).catch((e: unknown) => e);
        expect(isPatchdiscError(err, 'LEDGER_ERROR')).toBe(true);
        expect((err as Error).message).toMatch(/schema migration 99 that this patchdisc does not know/);
      } finally {
        tmp.remove();
      }
    });

    it('refuses a ledger that still needs a migration, naming it, instead of migrating it', async () => {
      const tmp = makeTempDir();
      try {
        const path = join(tmp.dir, 'patchdisc.db');
        const sqlite = new BetterSqlite3(path);
        const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
        await applyMigrations(db, path, MIGRATIONS.filter((m) => m.id === 1));
        await db.destroy();
        const err = await openLedger(path, { readOnly: true }).catch((e: unknown) => e);
        expect(isPatchdiscError(err, 'LEDGER_ERROR')).toBe(true);
        expect((err as Error).message).toMatch(/needs schema migration 2; run patchdisc status once/);
        const check = new BetterSqlite3(path, { readonly: true });
        expect(check.prepare('SELECT id FROM schema_migrations').pluck().all()).toEqual([1]);
        check.close();
      } finally {
        tmp.remove();
      }
    });
  });
});
