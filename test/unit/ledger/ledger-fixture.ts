/** Shared set-up for ledger tests: a fresh ledger in its own temp dir, and rows inserted directly. */
import { join } from 'node:path';
import { openLedger, type Ledger } from '../../../src/ledger/open-ledger.ts';
import type { RecordedSet } from '../../../src/ledger/record-week.ts';
import type { SubscriberInput } from '../../../src/ledger/subscriber-input.ts';
import { makeTempDir } from '../../helpers/tools.ts';

export async function withLedger(run: (ledger: Ledger, dir: string) => Promise<void>): Promise<void> {
  const tmp = makeTempDir('patchdisc-ledger-');
  const ledger = await openLedger(join(tmp.dir, 'data', 'patchdisc.db'));
  try {
    await run(ledger, tmp.dir);
  } finally {
    await ledger.close();
    tmp.remove();
  }
}

export const NOW = new Date('2025-01-15T08:00:00Z');

/** Inserts a subscriber row (and its subscriptions) without validation; returns its id. */
export async function insertSubscriber(
  ledger: Ledger,
  code: string,
  o: {
    pipelines?: string[];
    name?: string;
    organisation?: string;
    medium?: string;
    copies?: number;
    start?: string;
    end?: string;
    suspended?: boolean;
    createdAt?: string;
  } = {},
): Promise<number> {
  const row = await ledger.db
    .insertInto('subscribers')
    .values({
      code,
      name: o.name ?? `Name ${code}`,
      organisation: o.organisation ?? `Org ${code}`,
      contact: '张三',
      phone: '13800138000',
      email: '',
      province: '北京市',
      city: '北京市',
      district: '海淀区',
      street: '中关村大街 1 号',
      postcode: '100080',
      medium: o.medium ?? 'dvd',
      copies: o.copies ?? 1,
      service_start: o.start ?? '2025-01-01',
      service_end: o.end ?? '2025-12-31',
      price_plan: 'standard',
      notes: '',
      suspended: o.suspended ? 1 : 0,
      created_at: o.createdAt ?? NOW.toISOString(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const pipelines = o.pipelines ?? ['win11'];
  if (pipelines.length > 0) {
    await ledger.db.insertInto('subscriptions').values(pipelines.map((p) => ({ subscriber_id: row.id, pipeline: p }))).execute();
  }
  return row.id;
}

/** A disc set of `discs` discs with two items, sequence `sequence`. */
export function discSet(subscriberId: number, sequence: number, o: { pipeline?: string; discs?: number; manifest?: string } = {}): RecordedSet {
  const n = o.discs ?? 1;
  return {
    subscriberId,
    pipeline: o.pipeline ?? 'win11',
    sequence,
    contentKey: `ck-${o.pipeline ?? 'win11'}`,
    manifestSha256: o.manifest ?? `${subscriberId}-${sequence}`.padEnd(64, '0'),
    quiet: false,
    items: [
      { revisionId: 100, kb: '5034441', sha1: 'a'.repeat(40) },
      { revisionId: 101, sha1: 'b'.repeat(40) },
    ],
    discs: Array.from({ length: n }, (_, i) => ({
      number: i + 1,
      of: n,
      volumeId: `PATCHDISC_${i + 1}`,
      isoPath: `/out/${subscriberId}-${sequence}-${i + 1}.iso`,
      bytes: 1_000_000,
      sha256: 'c'.repeat(64),
    })),
  };
}

/** Row counts of every ledger table. */
export async function countAll(ledger: Ledger): Promise<Record<string, number>> {
  const tables = ledger.sqlite
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .all() as { name: string }[];
  const counts: Record<string, number> = {};
  for (const { name } of tables) {
    counts[name] = (ledger.sqlite.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number }).n;
  }
  return counts;
}

/** Valid input for addSubscriber. */
export function sample(code: string, over: Partial<SubscriberInput> = {}): SubscriberInput {
  return {
    code,
    name: '示例单位',
    organisation: '某某研究所',
    contact: '李四',
    phone: '010-62345678',
    email: 'it@example.cn',
    province: '北京市',
    city: '北京市',
    district: '海淀区',
    street: '学院路 30 号',
    postcode: '100083',
    medium: 'dvd',
    copies: 2,
    serviceStart: '2025-01-01',
    serviceEnd: '2025-12-31',
    pipelines: ['win11'],
    ...over,
  };
}
