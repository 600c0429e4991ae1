import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCabinet } from '../../src/cab/open-cabinet.ts';
import { writeCabinet, type CabinetMember } from '../../src/cab/write-cabinet.ts';
import { parseCvrf } from '../../src/catalog/cvrf.ts';
import { readWsusscn2 } from '../../src/catalog/read-wsusscn2.ts';
import { parseDownloadDialog, parseSearchPage } from '../../src/catalog/update-catalog.ts';
import { appConfigSchema } from '../../src/config/app-config-schema.ts';
import { parseYamlText } from '../../src/config/load-yaml.ts';
import { pipelineSchema } from '../../src/config/pipeline-schema.ts';
import { openLedger, type Ledger } from '../../src/ledger/open-ledger.ts';
import { exportSubscribersCsv, importSubscribersCsv } from '../../src/ledger/subscriber-csv.ts';
import { buildScanCabinet } from '../../src/upstream/build-scan-cabinet.ts';
import { buildCatalogModel, type CatalogModel } from '../../src/upstream/catalog-model.ts';
import { downloadDialogPage, searchPage } from '../../src/upstream/catalog-pages.ts';
import { cvrfDocumentXml } from '../../src/upstream/cvrf-document.ts';
import { packageXml } from '../../src/upstream/package-xml.ts';
import { PatchdiscError } from '../../src/errors.ts';
import { hashImage } from '../../src/iso/export-image.ts';
import { planIsoLayout, tailReserveFor, tailSectorsUsed } from '../../src/iso/layout.ts';
import { openIso } from '../../src/iso/read-iso.ts';
import { planFromMaster } from '../../src/iso/rebase-layout.ts';
import { writeIsoPatch } from '../../src/iso/write-iso-patch.ts';
import { writeIso } from '../../src/iso/write-iso.ts';
import { fuzz, type FuzzOutcome, type FuzzStats } from '../helpers/chaos-fuzz.ts';
import { DEMO_PIPELINE, chaosSeed, seededRandom, writeChaosDataDir } from '../helpers/chaos-setup.ts';
import { FIXTURES, makeTempDir } from '../helpers/tools.ts';

/** Time per fuzz target; small by default so the chaos suite stays within its budget. */
const BUDGET_MS = Number(process.env['PATCHDISC_FUZZ_MS'] ?? 10_000);
const BASE = 'http://127.0.0.1:8080';

function filesUnder(dir: string, ext: string): Buffer[] {
  const out: Buffer[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith(ext)) out.push(readFileSync(join(e.parentPath, e.name)));
  }
  return out;
}

/** Config files may only fail with CONFIG_INVALID naming the file; any other error is a failure. */
function configOnly(parse: () => unknown): FuzzOutcome {
  try {
    parse();
    return 'accepted';
  } catch (err) {
    if (err instanceof PatchdiscError && err.code === 'CONFIG_INVALID' && /^Cannot load (patchdisc|demo)\.yaml: /.test(err.message)) return 'rejected';
    throw new Error(`not a CONFIG_INVALID error: ${String(err)}`);
  }
}

function expectNoFailures(s: FuzzStats): void {
  expect(s.failures).toEqual([]);
  expect(s.inputs).toBeGreaterThan(0);
}

describe('fuzzing every parser of outside input (issue 8)', () => {
  const tmp = makeTempDir('patchdisc-chaos-fuzz-');
  let random: () => number;
  let model: CatalogModel;
  beforeAll(() => {
    random = seededRandom(chaosSeed('fuzz'));
    model = buildCatalogModel(1, 0, { payloadScale: 1 });
    console.log(`[chaos] fuzz: ${BUDGET_MS} ms per target (PATCHDISC_FUZZ_MS)`);
  });
  afterAll(() => tmp.remove());

  it('cabinets: opening and reading every member of a mutated cabinet ends in data or a PatchdiscError, within 5 s', async () => {
    const seeds = [...filesUnder(join(FIXTURES, 'cab'), '.cab'), buildScanCabinet(model, { downloadBase: BASE }).bytes];
    const stats = await fuzz(
      'cab',
      seeds,
      async (input) => {
        const cab = await openCabinet(input, { label: 'fuzz.cab' });
        try {
          for (const m of cab.members) await cab.readMember(m.name);
        } finally {
          await cab.close();
        }
        return 'accepted';
      },
      { random, budgetMs: BUDGET_MS },
    );
    expectNoFailures(stats);
  });

  it('package.xml: readWsusscn2 on a scan cabinet with a mutated package.xml ends in a snapshot or a PatchdiscError', async () => {
    const good = await openCabinet(buildScanCabinet(model, { downloadBase: BASE }).bytes);
    const others: CabinetMember[] = [];
    for (const m of good.members) if (m.name !== 'package.cab') others.push({ name: m.name, data: await good.readMember(m.name), date: m.date });
    await good.close();
    const path = join(tmp.dir, 'wsusscn2.cab');
    const seeds = [Buffer.from(packageXml(model, { downloadBase: BASE }), 'utf8'), ...filesUnder(join(FIXTURES, 'wsus-package-xml'), '.xml')];
    const stats = await fuzz(
      'package.xml',
      seeds,
      async (xml) => {
        const pkg = writeCabinet([{ name: 'package.xml', data: xml }], { compression: 'mszip' });
        writeFileSync(path, writeCabinet([...others.slice(0, 1), { name: 'package.cab', data: pkg }, ...others.slice(1)], { compression: 'mszip' }));
        await readWsusscn2(path);
        return 'accepted';
      },
      { random, budgetMs: BUDGET_MS },
    );
    expectNoFailures(stats);
  });

  it('CVRF: parseCvrf on mutated MSRC documents ends in a summary or a PatchdiscError', async () => {
    const month = model.months[model.months.length - 1]!.cvrfId;
    const seeds = [...filesUnder(join(FIXTURES, 'cvrf'), '.xml'), Buffer.from(cvrfDocumentXml(model, month) ?? '', 'utf8')];
    const stats = await fuzz('cvrf', seeds, async (input) => (parseCvrf(input.toString('utf8')), 'accepted'), { random, budgetMs: BUDGET_MS });
    expectNoFailures(stats);
  });

  it('Update Catalog: mutated search pages and download dialogs end in a result or a PatchdiscError', async () => {
    const kb = model.updates[0]!.kb;
    const pages = [...filesUnder(join(FIXTURES, 'catalog-html'), '.html'), Buffer.from(searchPage(model, `KB${kb}`), 'utf8')];
    const search = await fuzz('search page', pages, async (input) => (parseSearchPage(input.toString('utf8')), 'accepted'), { random, budgetMs: BUDGET_MS / 2 });
    const dialogs = [Buffer.from(downloadDialogPage(model, model.updates.slice(0, 4).map((u) => u.updateId), BASE), 'utf8')];
    const dialog = await fuzz('download dialog', dialogs, async (input) => (parseDownloadDialog(input.toString('utf8')), 'accepted'), { random, budgetMs: BUDGET_MS / 2 });
    expectNoFailures(search);
    expectNoFailures(dialog);
  });

  it('config: mutated patchdisc.yaml and pipeline files end in a value or one CONFIG_INVALID error', async () => {
    const dir = join(tmp.dir, 'config');
    await writeChaosDataDir({ dataDir: dir, wsusscn2Url: `${BASE}/wsusscn2.cab`, upstreamUrl: BASE, allowHosts: ['127.0.0.1:8080'], key: { keyPath: '/k.pem', certPath: '/k.cer' } });
    const app = await fuzz('patchdisc.yaml', [readFileSync(join(dir, 'patchdisc.yaml'))], async (t) => configOnly(() => parseYamlText(t.toString('utf8'), 'patchdisc.yaml', appConfigSchema)), {
      random,
      budgetMs: BUDGET_MS / 2,
    });
    const pipe = await fuzz('pipeline yaml', [readFileSync(DEMO_PIPELINE)], async (t) => configOnly(() => parseYamlText(t.toString('utf8'), 'demo.yaml', pipelineSchema)), {
      random,
      budgetMs: BUDGET_MS / 2,
    });
    expectNoFailures(app);
    expectNoFailures(pipe);
  });

  it('subscriber CSV: importing a mutated export ends in an import or a VALIDATION error', async () => {
    const dir = join(tmp.dir, 'csv');
    await writeChaosDataDir({ dataDir: dir, wsusscn2Url: `${BASE}/wsusscn2.cab`, upstreamUrl: BASE, allowHosts: [], key: { keyPath: '/k.pem', certPath: '/k.cer' } });
    const ledger: Ledger = await openLedger(join(dir, 'patchdisc.db'));
    try {
      const csv = Buffer.from(await exportSubscribersCsv(ledger), 'utf8');
      const stats = await fuzz(
        'subscriber csv',
        [csv],
        async (input) => {
          await importSubscribersCsv(ledger, input.toString('utf8'), { knownPipelines: ['demo'], now: new Date('2026-10-01T00:00:00Z'), actor: 'fuzz' });
          return 'accepted';
        },
        { random, budgetMs: BUDGET_MS },
      );
      expectNoFailures(stats);
    } finally {
      await ledger.close();
    }
  });

  it('thin images: a mutated .iso.thin reads to its end through its master, or fails with a PatchdiscError', async () => {
    const dir = join(tmp.dir, 'thin');
    mkdirSync(dir, { recursive: true });
    const updates = Array.from({ length: 6 }, (_, i) => {
      const path = join(dir, `u${i}.msu`);
      writeFileSync(path, Buffer.alloc(5000 + i * 3000, i + 1));
      return { path: `updates/p/KB${500 + i}/u${i}.msu`, size: 5000 + i * 3000, source: { kind: 'file' as const, path } };
    });
    const inputs = (code: string) => [
      { path: 'MANIFEST.json', size: code.length * 40, source: { kind: 'buffer' as const, data: Buffer.from(code.repeat(40)) }, tail: true },
      ...updates,
    ];
    const options = { volumeId: 'FUZZ_1OF1', date: 1_750_000_000, tailSectors: tailReserveFor(tailSectorsUsed(inputs('SUBSCRIBER-LONGER-CODE'), { volumeId: 'FUZZ_1OF1', date: 1_750_000_000 })) };
    const masterLayout = planIsoLayout(inputs('A-1'), options);
    const master = await writeIso(masterLayout, join(dir, 'master.iso'), { durable: false });
    const thin = await writeIsoPatch({ path: join(dir, 'master.iso'), layout: masterLayout, sha256: master.sha256, ...(master.checkpoint ? { checkpoint: master.checkpoint } : {}) }, planFromMaster(masterLayout, inputs('B-22'), options), join(dir, 'seed.iso'), { share: 'thin', durable: false });
    const target = join(dir, 'fuzzed.iso.thin');
    const stats = await fuzz(
      'thin image',
      [readFileSync(thin.path)],
      async (input) => {
        writeFileSync(target, input);
        const { sha256 } = await hashImage(target);
        const iso = await openIso(target);
        await iso.close();
        return sha256 === thin.sha256 ? 'accepted' : 'rejected';
      },
      { random, budgetMs: BUDGET_MS / 2 },
    );
    expectNoFailures(stats);
  });
});
