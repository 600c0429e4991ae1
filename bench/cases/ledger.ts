/**
 * ledger: recordWeek of a 10,000-subscriber weekly batch (one disc set of 12 updates and one disc
 * each) on a ledger that already holds 1,000,000 shipments, and the shipment log (listShipments)
 * over those shipments: p95 of 50 queries with varied filters. The ledger is seeded once per run
 * with raw INSERT … SELECT over recursive CTEs; each recordWeek run gets a fresh copy of it.
 */
import { copyFile, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchCase, CaseResult, Measurement } from '../lib/bench-case.ts';
import { measureSideBySide, runChildTask, childSample, type Subject } from '../lib/measure.ts';
import { median, percentile, verdictAtMost } from '../lib/stats.ts';
import { srcAvailability } from '../lib/tools.ts';
import { Xorshift128 } from '../lib/tree.ts';

const SUBSCRIBERS = 10_000;
const SHIPMENT_WEEKS = 100;
const ITEMS_PER_SET = 12;
const QUERIES = 50;
const WEEK_GOAL_SECONDS = 2;
const QUERY_GOAL_MS = 100;
/** 10× the goal: a filter shape this slow twice is not run again. */
const SLOW_QUERY_MS = 1000;
const RECORDED_WEEK = '2025-W02';
const MEDIA = ['cd', 'dvd', 'dvd-dl', 'bd25', 'bd50'] as const;

/** 2023-W01 … 2024-W48: 100 ISO weeks (2023 and 2024 both have 52). */
export function seededWeeks(count = SHIPMENT_WEEKS): string[] {
  return Array.from({ length: count }, (_, i) => (i < 52 ? `2023-W${String(i + 1).padStart(2, '0')}` : `2024-W${String(i - 51).padStart(2, '0')}`));
}

/** Seeds subscribers, prices, batches, shipments and their events straight in SQL. */
async function seed(dbPath: string): Promise<void> {
  const { openLedger } = await import('../../src/ledger/open-ledger.ts');
  const { setPrice } = await import('../../src/ledger/prices.ts');
  const ledger = await openLedger(dbPath);
  try {
    for (const [i, medium] of MEDIA.entries()) await setPrice(ledger, { kind: 'disc', medium, fen: 500 + i * 300, effectiveFrom: '2020-01-01' });
    await setPrice(ledger, { kind: 'postage', fen: 1200, effectiveFrom: '2020-01-01' });
    const db = ledger.sqlite;
    const weeks = seededWeeks();
    // Seeding only: no fsync, and a cache large enough for the index b-trees (default is 2 MB).
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -1000000');
    db.exec('BEGIN');
    db.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${SUBSCRIBERS})
      INSERT INTO subscribers (id, code, name, organisation, contact, phone, email, province, city, district, street, postcode,
        medium, copies, service_start, service_end, price_plan, notes, suspended, created_at)
      SELECT i, printf('SUB-%05d', i), printf('Subscriber %d', i), printf('Organisation %d', i % 997), 'Contact', '010-12345678',
        printf('s%d@example.cn', i), 'Beijing', 'Beijing', 'Haidian', printf('%d Road', i), '100080',
        CASE i % 5 WHEN 0 THEN 'cd' WHEN 1 THEN 'dvd' WHEN 2 THEN 'dvd-dl' WHEN 3 THEN 'bd25' ELSE 'bd50' END,
        1 + (i % 3), '2020-01-01', '2030-12-31', 'standard', '', 0, '2020-01-01T00:00:00.000Z' FROM n`);
    db.exec(`INSERT INTO subscriptions (subscriber_id, pipeline) SELECT id, 'win10' FROM subscribers`);
    const addBatch = db.prepare('INSERT INTO batches (id, week, created_at) VALUES (?, ?, ?)');
    weeks.forEach((w, i) => addBatch.run(i + 1, w, '2024-01-01T00:00:00.000Z'));
    db.exec(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${weeks.length * SUBSCRIBERS - 1})
      INSERT INTO shipments (id, batch_id, subscriber_id, week, medium, copies, disc_count, fee_fen, postage_fen, reship_of, created_at)
      SELECT i + 1, b.id, 1 + i % ${SUBSCRIBERS}, b.week, u.medium, u.copies, u.copies * (1 + i % 2), 1200 + 800 * u.copies * (1 + i % 2), 1200, NULL, '2024-01-01T00:00:00.000Z'
      FROM n JOIN batches b ON b.id = 1 + i / ${SUBSCRIBERS} JOIN subscribers u ON u.id = 1 + i % ${SUBSCRIBERS}`);
    // Event ids grow in insert order, so the latest event (the status) is the last inserted here.
    db.exec(`INSERT INTO shipment_events (shipment_id, status, at, actor) SELECT id, 'prepared', created_at, 'build' FROM shipments`);
    db.exec(`INSERT INTO shipment_events (shipment_id, status, at, actor, tracking)
      SELECT id, 'mailed', created_at, 'clerk', printf('SF%010d', id) FROM shipments WHERE batch_id <= ${weeks.length - 2}`);
    db.exec(`INSERT INTO shipment_events (shipment_id, status, at, actor)
      SELECT id, CASE WHEN id % 97 = 0 THEN 'lost' WHEN id % 89 = 0 THEN 'returned' ELSE 'delivered' END, created_at, 'clerk'
      FROM shipments WHERE batch_id <= ${weeks.length - 4}`);
    db.exec('COMMIT');
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.exec('ANALYZE');
  } finally {
    await ledger.close();
  }
}

export const childWarmups = {
  async recordWeek(): Promise<void> {
    await import('../../src/ledger/open-ledger.ts');
    await import('../../src/ledger/record-week.ts');
  },
  async queries(): Promise<void> {
    await import('../../src/ledger/open-ledger.ts');
    await import('../../src/ledger/shipments.ts');
  },
};

export const childTasks = {
  /** recordWeek of one set per subscriber. */
  async recordWeek(args: { db: string }): Promise<number> {
    const { openLedger } = await import('../../src/ledger/open-ledger.ts');
    const { recordWeek } = await import('../../src/ledger/record-week.ts');
    const ledger = await openLedger(args.db);
    try {
      const items = Array.from({ length: ITEMS_PER_SET }, (_, k) => ({ revisionId: 20_000_000 + k, kb: String(5_030_000 + k), sha1: k.toString(16).padStart(40, '0') }));
      const sets = Array.from({ length: SUBSCRIBERS }, (_, i) => ({
        subscriberId: i + 1,
        pipeline: 'win10',
        sequence: 1,
        contentKey: `win10-${RECORDED_WEEK}`,
        manifestSha256: (i + 1).toString(16).padStart(64, '0'),
        quiet: false,
        items,
        discs: [{ number: 1, of: 1, volumeId: 'PD_2025W02_1', isoPath: `out/${i + 1}/disc1.iso`, bytes: 4_000_000_000, sha256: (i + 7).toString(16).padStart(64, '0') }],
      }));
      const r = await recordWeek(ledger, { week: RECORDED_WEEK, buildId: null, now: new Date('2025-01-06T08:00:00Z'), sets });
      if (r.shipments.length !== SUBSCRIBERS) throw new Error(`Cannot record week: ${r.shipments.length} shipments, expected ${SUBSCRIBERS}`);
      return r.shipments.length;
    } finally {
      await ledger.close();
    }
  },
  /** 50 listShipments calls over 7 filter shapes; returns each call's milliseconds. */
  async queries(args: { db: string }): Promise<{ ms: number[]; skipped: number; shapeMedians: string; worst: string }> {
    const { openLedger } = await import('../../src/ledger/open-ledger.ts');
    const { listShipments } = await import('../../src/ledger/shipments.ts');
    const ledger = await openLedger(args.db);
    try {
      const rng = new Xorshift128(42);
      const weeks = seededWeeks();
      const statuses = ['prepared', 'mailed', 'delivered', 'returned', 'lost'] as const;
      const shapes = ['week', 'subscriber', 'status', 'month', 'week+status', 'subscriber+status', 'no filter'];
      const filters = Array.from({ length: QUERIES }, (_, i) => {
        const week = weeks[rng.int(0, weeks.length - 1)] as string;
        const subscriber = `SUB-${String(rng.int(1, SUBSCRIBERS)).padStart(5, '0')}`;
        const status = statuses[rng.int(0, statuses.length - 1)] as (typeof statuses)[number];
        const month = `${rng.int(2023, 2024)}-${String(rng.int(1, 11)).padStart(2, '0')}`;
        const page = { limit: 100, offset: rng.int(0, 5) * 100 };
        const filter = [{ week, ...page }, { subscriber }, { status, ...page }, { month, ...page }, { week, status }, { subscriber, status }, page][i % 7];
        return { shape: shapes[i % 7] as string, filter: filter as Record<string, unknown> };
      });
      const ms: number[] = [];
      const byShape: Record<string, number[]> = {};
      let skipped = 0;
      let worst = { ms: 0, filter: '' };
      for (const { shape, filter } of filters) {
        const seen = (byShape[shape] ??= []);
        // A shape already twice over SLOW_QUERY_MS is not run again (it would take minutes): it is
        // counted at its fastest time so far, which makes the reported p95 a lower bound.
        if (seen.filter((t) => t > SLOW_QUERY_MS).length >= 2) {
          ms.push(Math.min(...seen));
          skipped += 1;
          continue;
        }
        const start = process.hrtime.bigint();
        await listShipments(ledger, filter);
        const t = Number(process.hrtime.bigint() - start) / 1e6;
        ms.push(t);
        seen.push(t);
        if (t > worst.ms) worst = { ms: t, filter: JSON.stringify(filter) };
      }
      const shapeMedians = Object.entries(byShape).map(([k, v]) => `${k} ${median(v).toFixed(0)}`).join(', ');
      return { ms, skipped, shapeMedians, worst: `${worst.ms.toFixed(0)} ms for ${worst.filter}` };
    } finally {
      await ledger.close();
    }
  },
};

export const benchCase: BenchCase = {
  name: 'ledger',
  goal: `week ≤ ${WEEK_GOAL_SECONDS} s; log p95 ≤ ${QUERY_GOAL_MS} ms`,
  async run(ctx): Promise<CaseResult[]> {
    const template = join(ctx.tmp, 'ledger-template.db');
    const working = join(ctx.tmp, 'ledger-run.db');
    const weekGoal = `≤ ${WEEK_GOAL_SECONDS} s`;
    const queryGoal = `p95 ≤ ${QUERY_GOAL_MS} ms`;
    if (srcAvailability('ledger/open-ledger.ts', 'ledger/prices.ts', 'ledger/record-week.ts') !== 'ok') {
      const na: Measurement = { label: 'ours', status: 'not available', seconds: [] };
      return [{ name: 'ledger:week', goal: weekGoal, ours: na, refs: [], verdict: 'n/a', notes: [] }];
    }
    const start = process.hrtime.bigint();
    await seed(template);
    ctx.log(`  seeded ${SUBSCRIBERS} subscribers, ${SUBSCRIBERS * SHIPMENT_WEEKS} shipments in ${(Number(process.hrtime.bigint() - start) / 1e9).toFixed(1)} s`);
    const removeWorking = async (): Promise<void> => {
      for (const suffix of ['', '-wal', '-shm']) await rm(`${working}${suffix}`, { force: true });
    };
    const subjects: Subject[] = [
      {
        label: 'ours',
        availability: 'ok',
        before: async () => {
          await removeWorking();
          await copyFile(template, working);
          // Flushed now, so the measured run's first fsync does not pay for writing this copy.
          const fh = await open(working, 'r+');
          await fh.sync();
          await fh.close();
        },
        run: childSample('cases/ledger.ts', 'recordWeek', { db: working }),
      },
    ];
    const [week] = await measureSideBySide(subjects, ctx.runs, ctx.log);
    await removeWorking();
    const results: CaseResult[] = [
      {
        name: 'ledger:week',
        goal: weekGoal,
        ours: week!,
        refs: [],
        verdict: week?.status === 'ok' ? verdictAtMost(week.median, WEEK_GOAL_SECONDS) : 'n/a',
        notes: [`${SUBSCRIBERS} subscribers × 1 set of ${ITEMS_PER_SET} updates and 1 disc, on a ledger holding ${SUBSCRIBERS * SHIPMENT_WEEKS} shipments`],
      },
    ];

    const log: Measurement = { label: 'ours', status: srcAvailability('ledger/shipments.ts'), seconds: [] };
    const p95s: number[] = [];
    let worst = '';
    let skipped = 0;
    if (log.status === 'ok') {
      try {
        // One pass of 50 queries is the sample (p95 of 50); more passes add little and can take minutes.
        const rep = await runChildTask('cases/ledger.ts', 'queries', { db: template });
        const r = rep.result as { ms: number[]; skipped: number; shapeMedians: string; worst: string };
        p95s.push(percentile(r.ms, 95));
        log.seconds.push(r.ms.reduce((s, x) => s + x, 0) / 1000);
        worst = `${r.worst}; median ms per filter: ${r.shapeMedians}`;
        skipped = r.skipped;
        ctx.log(`  queries: p95 ${percentile(r.ms, 95).toFixed(1)} ms, median ${median(r.ms).toFixed(1)} ms; worst ${r.worst}`);
        log.median = median(log.seconds);
      } catch (err) {
        log.status = 'failed';
        log.note = (err as Error).message;
      }
    }
    const p95 = p95s.length === 0 ? undefined : median(p95s);
    results.push({
      name: 'ledger:shipment-log',
      goal: queryGoal,
      ours: log,
      refs: [],
      verdict: log.status === 'ok' ? verdictAtMost(p95, QUERY_GOAL_MS) : 'n/a',
      notes: p95 === undefined ? [] : [
            `time = all ${QUERIES} queries; p95 ${skipped > 0 ? '≥ ' : ''}${p95.toFixed(1)} ms${skipped > 0 ? ` (${skipped} queries of filters already twice over ${SLOW_QUERY_MS} ms not run, counted at their fastest)` : ''}`,
            `slowest: ${worst}`,
          ],
    });
    for (const suffix of ['', '-wal', '-shm']) await rm(`${template}${suffix}`, { force: true });
    return results;
  },
};
