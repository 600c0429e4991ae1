import Database from 'better-sqlite3';

/** Shipments per subscriber code and week, read straight from a ledger file (no product code). */
export function shipmentsPerSubscriberWeek(dbPath: string): { code: string; week: string; n: number }[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db
      .prepare('SELECT s.code AS code, sh.week AS week, count(*) AS n FROM shipments sh JOIN subscribers s ON s.id = sh.subscriber_id GROUP BY s.code, sh.week ORDER BY 1, 2')
      .all() as { code: string; week: string; n: number }[];
  } finally {
    db.close();
  }
}
