import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig, loadPipelines } from '../config/load-config.ts';
import { generateSigningKey, loadCertificate } from '../disc/keys.ts';
import { PatchdiscError } from '../errors.ts';
import { openLedger } from '../ledger/open-ledger.ts';
import { addSubscriber, getSubscriber } from '../ledger/subscribers.ts';
import { startUpstream } from '../upstream/start-upstream.ts';
import type { BuildEvents } from './build-context.ts';
import type { WeekReport } from './report.ts';
import { runWeek } from './run-week.ts';
import { addWeeks, weekMonday, weekOf } from './week.ts';

/** The repo's demo pipeline, copied into the demo data dir. */
const DEMO_PIPELINE = resolve(import.meta.dirname, '../../pipelines/demo.yaml');
const DEMO_MARKER = '# patchdisc demo data dir';
const DEMO_PASSPHRASE = 'demo-only-not-secret';
const DEMO_DOWNLOAD_BASE = 'http://download.windowsupdate.com';

export interface DemoOptions {
  dataDir: string;
  /** First of the two weeks; default: last week (so the second is the current one). */
  startWeek?: string;
  seed?: number;
  now?: () => Date;
  events: BuildEvents;
  /** Built-in upstream payload scale; 1 keeps a week under ~40 MB. */
  payloadScale?: number;
}

export interface DemoSummary {
  certificate: string;
  fingerprint: string;
  upstream: string;
  weeks: {
    week: string;
    upToDate: boolean;
    discs: { subscriber: string; sequence: number; disc: number; of: number; iso: string; bytes: number; sha256: string; volumeId: string }[];
    shipments: { id: number; subscriber: string; status: string }[];
    /** KBs new to the pipeline's current set since the previous week, and KBs they superseded. */
    newKbs: string[];
    supersededKbs: string[];
  }[];
}

interface DemoState {
  port: number;
  keyPath: string;
  certPath: string;
}

/**
 * The complete weekly flow on the embedded upstream: a demo data dir (config, pipeline, a DEMO signing
 * key, three subscribers — CD, DVD, and one whose service has ended), then two consecutive weekly builds
 * where the second week brings new and superseding updates. Rerunning it changes nothing.
 */
export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const now = options.now ?? (() => new Date());
  const { dataDir } = options;
  await mkdir(dataDir, { recursive: true });
  const configPath = join(dataDir, 'patchdisc.yaml');
  if (existsSync(configPath) && !(await readFile(configPath, 'utf8')).startsWith(DEMO_MARKER)) {
    throw new PatchdiscError('USAGE', `Cannot run the demo in ${dataDir}: it holds a real configuration; pass --data with an empty folder`);
  }
  const statePath = join(dataDir, 'demo.json');
  const state: Partial<DemoState> = existsSync(statePath) ? (JSON.parse(await readFile(statePath, 'utf8')) as DemoState) : {};

  // The simulated catalog names Microsoft's real download host, and the demo config mirrors that host to
  // the loopback upstream: disc contents do not depend on the port the upstream got.
  const upstreamOptions = { seed: options.seed ?? 1, week: 0, payloadScale: options.payloadScale ?? 1, downloadBase: DEMO_DOWNLOAD_BASE };
  const upstream = await startUpstream({ ...upstreamOptions, port: state.port ?? 0 }).catch(() => startUpstream({ ...upstreamOptions, port: 0 }));
  try {
    const keyDir = join(dataDir, 'keys');
    if (!state.keyPath || !existsSync(state.keyPath) || !state.certPath || !existsSync(state.certPath)) {
      const key = await generateSigningKey({ name: 'patchdisc DEMO signing key (not for real discs)', passphrase: DEMO_PASSPHRASE, keyDir, now: now() });
      state.keyPath = key.keyPath;
      state.certPath = key.certPath;
    }
    state.port = upstream.port;
    await writeFile(statePath, JSON.stringify(state, null, 2) + '\n');

    const startWeek = options.startWeek ?? addWeeks(weekOf(now(), 'Asia/Shanghai'), -1);
    const monday = weekMonday(startWeek);
    const config = {
      vendor: 'patchdisc DEMO vendor',
      upstream: {
        wsusscn2Url: `${upstream.url}/microsoftupdate/v6/wsusscan/wsusscn2.cab`,
        updateCatalogUrl: upstream.url,
        cvrfUrl: `${upstream.url}/cvrf/v3.0`,
      },
      mirrors: { [new URL(DEMO_DOWNLOAD_BASE).host]: upstream.url },
      signing: { key: state.keyPath, certificate: state.certPath, demoPassphrase: DEMO_PASSPHRASE },
      timeZone: 'Asia/Shanghai',
      prices: [
        { kind: 'disc', medium: 'cd', fen: 800, effectiveFrom: '2020-01-01' },
        { kind: 'disc', medium: 'dvd', fen: 1500, effectiveFrom: '2020-01-01' },
        { kind: 'disc', medium: 'dvd-dl', fen: 3000, effectiveFrom: '2020-01-01' },
        { kind: 'disc', medium: 'bd25', fen: 4000, effectiveFrom: '2020-01-01' },
        { kind: 'disc', medium: 'bd50', fen: 7000, effectiveFrom: '2020-01-01' },
        { kind: 'postage', fen: 1200, effectiveFrom: '2020-01-01' },
      ],
    };
    await writeFile(configPath, `${DEMO_MARKER} — rewritten by \`patchdisc demo\`; do not use for real discs\n${stringify(config)}`);
    await mkdir(join(dataDir, 'pipelines'), { recursive: true });
    await copyFile(DEMO_PIPELINE, join(dataDir, 'pipelines', 'demo.yaml'));

    const loaded = await loadConfig(dataDir);
    const pipelines = await loadPipelines(loaded.pipelinesDir);
    const ledger = await openLedger(join(dataDir, 'patchdisc.db'));
    try {
      const year = Number(monday.slice(0, 4));
      const subscribers = [
        { code: 'DEMO-CD-001', name: '示例客户一 (CD)', medium: 'cd', serviceStart: `${year - 1}-01-01`, serviceEnd: `${year + 1}-12-31`, city: '北京市', district: '海淀区', province: '北京市', street: '中关村大街 1 号', postcode: '100080' },
        { code: 'DEMO-DVD-002', name: '示例客户二 (DVD)', medium: 'dvd', serviceStart: `${year - 1}-01-01`, serviceEnd: `${year + 1}-12-31`, city: '上海市', district: '浦东新区', province: '上海市', street: '世纪大道 100 号', postcode: '200120' },
        { code: 'DEMO-OLD-003', name: '示例客户三 (合同已到期)', medium: 'dvd', serviceStart: `${year - 2}-01-01`, serviceEnd: `${year - 1}-06-30`, city: '广州市', district: '天河区', province: '广东省', street: '天河路 2 号', postcode: '510620' },
      ] as const;
      for (const s of subscribers) {
        if (await getSubscriber(ledger, s.code)) continue;
        await addSubscriber(
          ledger,
          {
            code: s.code,
            name: s.name,
            organisation: 'patchdisc demo',
            contact: '张三',
            phone: '010-12345678',
            email: `${s.code.toLowerCase()}@example.com`,
            province: s.province,
            city: s.city,
            district: s.district,
            street: s.street,
            postcode: s.postcode,
            medium: s.medium,
            copies: 1,
            serviceStart: s.serviceStart,
            serviceEnd: s.serviceEnd,
            pricePlan: 'standard',
            notes: 'demo subscriber',
            pipelines: ['demo'],
          },
          { knownPipelines: pipelines.map((p) => p.name), now: now(), actor: 'demo' },
        );
      }
      const weeks: WeekReport[] = [];
      for (let i = 0; i < 2; i++) {
        upstream.setWeek(i);
        const week = addWeeks(startWeek, i);
        weeks.push(
          await runWeek(
            { dataDir, config: loaded.config, pipelines, ledger, now, events: options.events, passphrase: undefined },
            week,
          ),
        );
      }
      const cert = await loadCertificate(state.certPath);
      return {
        certificate: state.certPath,
        fingerprint: cert.keyId,
        upstream: upstream.url,
        weeks: weeks.map((w) => ({
          week: w.week,
          upToDate: w.upToDate,
          discs: w.pipelines.flatMap((p) =>
            p.sets.flatMap((s) =>
              s.discs.map((d) => ({ subscriber: s.subscriber, sequence: s.sequence, disc: d.number, of: d.of, iso: d.iso, bytes: d.bytes, sha256: d.sha256, volumeId: d.volumeId })),
            ),
          ),
          shipments: w.pipelines.flatMap((p) => p.shipments),
          newKbs: [...new Set(w.pipelines.flatMap((p) => (p.changes?.added ?? []).flatMap((u) => (u.kb ? [u.kb] : []))))],
          supersededKbs: [...new Set(w.pipelines.flatMap((p) => (p.changes?.newlySuperseded ?? []).flatMap((u) => (u.kb ? [u.kb] : []))))],
        })),
      };
    } finally {
      await ledger.close();
    }
  } finally {
    await upstream.close();
  }
}
