/**
 * Shared set-up for the clerk page tests: a temp ledger seeded with prices, subscribers (two of them
 * with hostile names), two weeks of shipments, a build with its report, and one disc whose ISO
 * really exists with a MANIFEST.json on it.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildManifest } from '../../../src/disc/manifest.ts';
import { planIsoLayout } from '../../../src/iso/layout.ts';
import { writeIso } from '../../../src/iso/write-iso.ts';
import { completeStage, finishBuild, startBuild } from '../../../src/ledger/builds.ts';
import { openLedger, type Ledger } from '../../../src/ledger/open-ledger.ts';
import { setPrice } from '../../../src/ledger/prices.ts';
import { recordWeek, type RecordedSet } from '../../../src/ledger/record-week.ts';
import { makeTempDir } from '../../helpers/tools.ts';
import { insertSubscriber as insertLedgerSubscriber } from '../ledger/ledger-fixture.ts';

/** The clerk's clock: 2025-02-10, so a contract ending 2025-03-01 expires within 30 days. */
export const NOW = new Date('2025-02-10T02:00:00Z');
export const FORMULA_NAME = '=HYPERLINK("http://evil.example/","click")';
export const SCRIPT_NAME = '<script>alert(1)</script>';

export interface Seeded {
  ledger: Ledger;
  dir: string;
  /** Shipment ids: ACME-01/BETA-02/EVIL-03 in 2025-W03 (January), ACME-01 in 2025-W06 (February). */
  shipments: { acme3: number; beta3: number; evil3: number; acme6: number };
  /** Disc id of ACME-01's W03 disc (ISO on disk) and of BETA-02's W03 disc (ISO path gone). */
  discs: { withIso: number; withoutIso: number };
}

/** A subscriber of win11 as the clerk's tests need it, with the "add" event the CLI would record. */
async function insertSubscriber(ledger: Ledger, code: string, o: { name?: string; end?: string } = {}): Promise<number> {
  const id = await insertLedgerSubscriber(ledger, code, { ...o, organisation: `单位 ${code}`, createdAt: '2025-01-02T00:00:00.000Z' });
  await ledger.db
    .insertInto('subscriber_events')
    .values({ subscriber_id: id, at: '2025-01-02T00:00:00.000Z', actor: 'clerk', action: 'add', detail: '' })
    .execute();
  return id;
}

function set(subscriberId: number, sequence: number, isoPath: string, discs = 1): RecordedSet {
  return {
    subscriberId,
    pipeline: 'win11',
    sequence,
    contentKey: 'ck-win11',
    manifestSha256: `${subscriberId}${sequence}`.padEnd(64, '0'),
    quiet: false,
    items: [{ revisionId: 100, kb: '5034441', sha1: 'a'.repeat(40) }],
    discs: Array.from({ length: discs }, (_, i) => ({
      number: i + 1,
      of: discs,
      volumeId: `PD_${subscriberId}_${sequence}_${i + 1}`,
      isoPath,
      bytes: 3_000_000,
      sha256: 'c'.repeat(64),
    })),
  };
}

/** A small real ISO holding a MANIFEST.json for ACME-01, sequence 1. */
async function writeDiscIso(path: string): Promise<void> {
  const manifest = buildManifest({
    vendor: 'patchdisc test',
    subscriberId: 'ACME-01',
    sequence: 1,
    disc: 1,
    discs: 1,
    created: '2025-01-13T00:00:00Z',
    expires: '2025-04-13T00:00:00Z',
    signingKeySha256: 'd'.repeat(64),
    previousManifestSha256: null,
    pipeline: 'win11',
    week: '2025-W03',
    quietWeek: false,
    files: [
      {
        path: 'updates/windows11/KB5034441/windows11.0-kb5034441-x64.msu',
        size: 1234,
        sha256: 'e'.repeat(64),
        kb: 'KB5034441',
        title: '2025-01 累积更新 <b>x64</b>',
        severity: 'Critical',
        cves: ['CVE-2025-21333'],
      },
    ],
  });
  const layout = planIsoLayout([{ path: 'MANIFEST.json', size: manifest.length, source: { kind: 'buffer', data: manifest } }], {
    volumeId: 'PD_ACME_1',
    date: 1_736_726_400,
  });
  await writeIso(layout, path);
}

/** Runs `run` against a freshly seeded ledger in its own temp dir, then removes both. */
export async function withSeededLedger(run: (s: Seeded) => Promise<void>): Promise<void> {
  const tmp = makeTempDir('patchdisc-web-');
  const ledger = await openLedger(join(tmp.dir, 'data', 'patchdisc.db'));
  try {
    await setPrice(ledger, { kind: 'disc', medium: 'dvd', fen: 1234, effectiveFrom: '2024-01-01' });
    await setPrice(ledger, { kind: 'postage', fen: 500, effectiveFrom: '2024-01-01' });
    const acme = await insertSubscriber(ledger, 'ACME-01', { end: '2025-03-01' });
    const beta = await insertSubscriber(ledger, 'BETA-02', { name: FORMULA_NAME });
    const evil = await insertSubscriber(ledger, 'EVIL-03', { name: SCRIPT_NAME });
    const iso = join(tmp.dir, 'out', 'acme-1.iso');
    mkdirSync(join(tmp.dir, 'out'), { recursive: true });
    await writeDiscIso(iso);
    const build = await startBuild(ledger, { pipeline: 'win11', week: '2025-W03', now: NOW });
    const w3 = await recordWeek(ledger, {
      week: '2025-W03',
      buildId: build.id,
      now: NOW,
      sets: [set(acme, 1, iso), set(beta, 1, join(tmp.dir, 'out', 'gone.iso'), 2), set(evil, 1, join(tmp.dir, 'out', 'evil.iso'))],
    });
    await completeStage(
      ledger,
      build.id,
      'report',
      {
        pipeline: 'win11',
        current: [{ revisionId: 100, kb: '5034441', title: 't' }, { revisionId: 101, kb: '5034442', title: 't2' }],
        sets: [
          { subscriber: 'ACME-01', kbs: ['5034441'], bytes: 1_500_000_000, discs: [] },
          { subscriber: 'BETA-02', kbs: ['5034441', '5034442'], bytes: 2_500_000_000, discs: [] },
        ],
      },
      NOW,
    );
    await finishBuild(ledger, build.id, { status: 'done', now: NOW });
    const w6 = await recordWeek(ledger, { week: '2025-W06', buildId: null, now: NOW, sets: [set(acme, 2, join(tmp.dir, 'out', 'acme-2.iso'))] });
    const byCode = new Map(w3.shipments.map((s) => [s.subscriberCode, s.id]));
    const discRows = await ledger.db.selectFrom('discs').select(['id', 'iso_path']).orderBy('id').execute();
    await run({
      ledger,
      dir: tmp.dir,
      shipments: {
        acme3: byCode.get('ACME-01') as number,
        beta3: byCode.get('BETA-02') as number,
        evil3: byCode.get('EVIL-03') as number,
        acme6: w6.shipments[0]?.id as number,
      },
      discs: {
        withIso: discRows.find((d) => d.iso_path === iso)?.id as number,
        withoutIso: discRows.find((d) => d.iso_path.endsWith('gone.iso'))?.id as number,
      },
    });
  } finally {
    await ledger.close();
    tmp.remove();
  }
}
