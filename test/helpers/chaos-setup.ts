import { randomInt } from 'node:crypto';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { generateSigningKey } from '../../src/disc/keys.ts';
import { openLedger } from '../../src/ledger/open-ledger.ts';
import { addSubscriber } from '../../src/ledger/subscribers.ts';

/** The repo's demo pipeline (Windows 10/11 x64 on DVD), used by every chaos data dir. */
export const DEMO_PIPELINE = resolve(import.meta.dirname, '../../pipelines/demo.yaml');
export const CHAOS_PASSPHRASE = 'chaos-test-only';
export const CHAOS_SUBSCRIBERS = ['CHAOS-CD-001', 'CHAOS-DVD-002'] as const;

export interface ChaosKey {
  keyPath: string;
  certPath: string;
}

export interface ChaosDataDir {
  dataDir: string;
  /** URL of wsusscn2.cab (may be served by another server than the payloads). */
  wsusscn2Url: string;
  /** Base URL of the embedded upstream (CVRF, Update Catalog). */
  upstreamUrl: string;
  /** Hosts allowed for downloads, "host:port". */
  allowHosts: string[];
  key: ChaosKey;
  retries?: number;
}

/**
 * The seed for a chaos test: PATCHDISC_CHAOS_SEED when set (to replay a failure), else random.
 * Printed so a failing run can be repeated.
 */
export function chaosSeed(label: string): number {
  const env = process.env['PATCHDISC_CHAOS_SEED'];
  const seed = env !== undefined && /^\d+$/.test(env) ? Number(env) : randomInt(1, 2 ** 31 - 1);
  console.log(`[chaos] ${label}: seed ${seed} (replay with PATCHDISC_CHAOS_SEED=${seed})`);
  return seed;
}

/** mulberry32: a small deterministic PRNG, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Integer in [lo, hi] from `random`. */
export function pickInt(random: () => number, lo: number, hi: number): number {
  return lo + Math.floor(random() * (hi - lo + 1));
}

export function pickOne<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pickOne: empty list');
  return item;
}

/** One RSA signing key for a whole test file (generation takes a second or two). */
export async function makeChaosKey(dir: string): Promise<ChaosKey> {
  const key = await generateSigningKey({ name: 'patchdisc CHAOS test key', passphrase: CHAOS_PASSPHRASE, keyDir: dir, now: new Date('2026-01-01T00:00:00Z') });
  return { keyPath: key.keyPath, certPath: key.certPath };
}

/**
 * A data dir as `patchdisc demo` lays it out, but pointing at the given servers: patchdisc.yaml,
 * pipelines/demo.yaml and a ledger with two active subscribers (CD and DVD) of the demo pipeline.
 */
export async function writeChaosDataDir(o: ChaosDataDir): Promise<void> {
  mkdirSync(join(o.dataDir, 'pipelines'), { recursive: true });
  copyFileSync(DEMO_PIPELINE, join(o.dataDir, 'pipelines', 'demo.yaml'));
  const config = {
    vendor: 'patchdisc CHAOS vendor',
    upstream: { wsusscn2Url: o.wsusscn2Url, updateCatalogUrl: o.upstreamUrl, cvrfUrl: `${o.upstreamUrl}/cvrf/v3.0` },
    allowHosts: o.allowHosts,
    signing: { key: o.key.keyPath, certificate: o.key.certPath, demoPassphrase: CHAOS_PASSPHRASE },
    timeZone: 'Asia/Shanghai',
    download: { concurrency: 4, perHost: 4, retries: o.retries ?? 3 },
    prices: [
      { kind: 'disc', medium: 'cd', fen: 800, effectiveFrom: '2020-01-01' },
      { kind: 'disc', medium: 'dvd', fen: 1500, effectiveFrom: '2020-01-01' },
      { kind: 'postage', fen: 1200, effectiveFrom: '2020-01-01' },
    ],
  };
  writeFileSync(join(o.dataDir, 'patchdisc.yaml'), stringify(config));
  const ledger = await openLedger(join(o.dataDir, 'patchdisc.db'));
  try {
    for (const [i, code] of CHAOS_SUBSCRIBERS.entries()) {
      await addSubscriber(
        ledger,
        {
          code,
          name: `混沌测试客户 ${i + 1}`,
          organisation: 'patchdisc chaos',
          contact: '李四',
          phone: '010-12345678',
          province: '北京市',
          city: '北京市',
          district: '海淀区',
          street: '中关村大街 1 号',
          postcode: '100080',
          medium: i === 0 ? 'cd' : 'dvd',
          copies: 1,
          serviceStart: '2025-01-01',
          serviceEnd: '2027-12-31',
          pipelines: ['demo'],
        },
        { knownPipelines: ['demo'], now: new Date('2026-01-01T00:00:00Z'), actor: 'chaos-test' },
      );
    }
  } finally {
    await ledger.close();
  }
}
