import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WeekReport } from '../../src/pipeline/report.ts';
import { startUpstream, WSUSSCN2_PATH, type Upstream } from '../../src/upstream/start-upstream.ts';
import type { FaultSpec } from '../../src/upstream/faults.ts';
import { checkIsoAgainstTruth, checkStore, clearErrorProblems, listFiles, listIsos, payloadTruth } from '../helpers/chaos-checks.ts';
import { CHAOS_SUBSCRIBERS, chaosSeed, makeChaosKey, seededRandom, writeChaosDataDir, type ChaosKey } from '../helpers/chaos-setup.ts';
import { demoFiles, editedScanCabinet, randomFaults, startTrapServer, win11Cumulative } from '../helpers/chaos-upstream.ts';
import { runCli, type CliResult } from '../helpers/run-cli.ts';
import { makeTempDir, requireTools } from '../helpers/tools.ts';

const WEEK = '2026-W40';
const ROUNDS = Number(process.env['PATCHDISC_CHAOS_ROUNDS'] ?? 4);
const BUILD_TIMEOUT_MS = 240_000;
const tools = requireTools('7z');

function build(dataDir: string): Promise<CliResult> {
  return runCli(['build', '--data', dataDir, '--week', WEEK, '--json'], { timeoutMs: BUILD_TIMEOUT_MS });
}

function report(r: CliResult): WeekReport {
  return JSON.parse(r.stdout) as WeekReport;
}

/** Every ISO in the data dir: extracted by 7z, each payload equal to upstream's bytes. Returns the ISO count. */
function expectDiscsClean(dataDir: string, scratch: string, upstream: Upstream): number {
  const truth = payloadTruth([upstream.model()]);
  const isos = listIsos(dataDir);
  isos.forEach(({ iso }, i) => {
    const { problems } = checkIsoAgainstTruth(iso, join(scratch, `x${i}`), truth);
    expect(problems).toEqual([]);
  });
  expect(checkStore(dataDir).problems).toEqual([]);
  return isos.length;
}

describe('weekly build against a faulty upstream (issue 8)', () => {
  const tmp = makeTempDir('patchdisc-chaos-faults-');
  let key: ChaosKey;
  beforeAll(async () => {
    key = await makeChaosKey(join(tmp.dir, 'keys'));
  });
  afterAll(() => tmp.remove());

  it.skipIf(!tools)('random faults: each build ends complete or with one clear error, no unverified byte reaches a disc, and a clean rerun completes', async () => {
    const seed = chaosSeed('upstream faults');
    const random = seededRandom(seed);
    const started = Date.now();
    for (let round = 0; round < ROUNDS; round++) {
      const probe = await startUpstream({ port: 0, seed: 1, week: 0 });
      const files = demoFiles(probe.model());
      await probe.close();
      const faults = randomFaults(random, files);
      const label = `round ${round} faults ${JSON.stringify(faults)}`;
      console.log(`[chaos] upstream faults ${label}`);
      const dataDir = join(tmp.dir, `round-${round}`);
      let upstream = await startUpstream({ port: 0, seed: 1, week: 0, faults });
      try {
        await writeChaosDataDir({
          dataDir,
          wsusscn2Url: `${upstream.url}${WSUSSCN2_PATH}`,
          upstreamUrl: upstream.url,
          allowHosts: [`${upstream.host}:${upstream.port}`],
          key,
        });
        const r = await build(dataDir);
        const firstLine = r.stderr.split('\n').find((l) => l.startsWith('patchdisc: '));
        console.log(`[chaos] round ${round}: exit ${r.code}${r.code === 0 ? `, failed downloads ${report(r).pipelines.flatMap((p) => p.failedDownloads).length}` : `: ${firstLine ?? ''}`}`);
        if (r.code === 0) {
          const rep = report(r);
          // Anything that failed to download is reported, never silently dropped.
          for (const f of rep.pipelines.flatMap((p) => p.failedDownloads)) expect(f.message, label).toMatch(/^Cannot /);
        } else {
          expect(clearErrorProblems(r), label).toEqual([]);
        }
        expectDiscsClean(dataDir, join(tmp.dir, `x-${round}-a`), upstream);
        const port = upstream.port;
        await upstream.close();
        upstream = await startUpstream({ port, seed: 1, week: 0 });
        const again = await build(dataDir);
        expect(again.code, `${label}\n${again.stderr}`).toBe(0);
        const rep = report(again);
        if (r.code !== 0) {
          expect(rep.upToDate, label).toBe(false);
          expect(rep.pipelines.flatMap((p) => p.failedDownloads), label).toEqual([]);
          expect(rep.pipelines.flatMap((p) => p.sets.map((s) => s.subscriber)).sort(), label).toEqual([...CHAOS_SUBSCRIBERS]);
        }
        expect(expectDiscsClean(dataDir, join(tmp.dir, `x-${round}-b`), upstream), label).toBeGreaterThanOrEqual(2);
      } finally {
        await upstream.close();
      }
    }
    console.log(`[chaos] upstream faults: ${ROUNDS} rounds in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  it.skipIf(!tools)('a pulled KB (404) is reported as unavailable and the build goes on without it', async () => {
    const probe = await startUpstream({ port: 0, seed: 1, week: 0 });
    const { update, file } = win11Cumulative(probe.model());
    await probe.close();
    const faults: FaultSpec[] = [{ kind: 'notFound', match: file.fileName }];
    const upstream = await startUpstream({ port: 0, seed: 1, week: 0, faults });
    const dataDir = join(tmp.dir, 'pulled');
    try {
      await writeChaosDataDir({ dataDir, wsusscn2Url: `${upstream.url}${WSUSSCN2_PATH}`, upstreamUrl: upstream.url, allowHosts: [`${upstream.host}:${upstream.port}`], key });
      const r = await build(dataDir);
      expect(r.code, r.stderr).toBe(0);
      const p = report(r).pipelines[0]!;
      expect(p.failedDownloads.map((f) => f.url)).toEqual([expect.stringContaining(file.fileName)]);
      expect(p.failedDownloads[0]!.kbs).toContain(update.kb);
      expect(p.unavailable.map((u) => u.kb)).toContain(update.kb);
      // The others still ship, without the pulled file.
      expect(p.sets.map((s) => s.subscriber).sort()).toEqual([...CHAOS_SUBSCRIBERS]);
      for (const s of p.sets) expect(s.kbs).not.toContain(`KB${update.kb}`);
      const isos = expectDiscsClean(dataDir, join(tmp.dir, 'x-pulled'), upstream);
      expect(isos).toBe(2);
      const text = await runCli(['build', '--data', dataDir, '--week', WEEK]);
      expect(text.code).toBe(0);
    } finally {
      await upstream.close();
    }
  });

  it.skipIf(!tools)('hostile FileLocation URLs (.., backslash, encoded slash, foreign hosts) are never fetched and never reach a disc', async () => {
    const upstream = await startUpstream({ port: 0, seed: 1, week: 0 });
    const model = upstream.model();
    const files = demoFiles(model);
    expect(files.length).toBeGreaterThanOrEqual(4);
    // The trap serves the hostile catalog and doubles as the foreign host: any other request is a failure.
    let cab: Buffer = Buffer.alloc(0);
    const trap = await startTrapServer(WSUSSCN2_PATH, () => cab);
    const trapPort = trap.port;
    const hostile = new Map<string, string>([
      [files[0]!.sha1Base64, `${upstream.url}/d/msdownload/..\\..\\evil\\${files[0]!.fileName}`],
      [files[1]!.sha1Base64, `${upstream.url}/d/msdownload/..%2F..%2Fetc%2F${files[1]!.fileName}`],
      [files[2]!.sha1Base64, `http://127.0.0.1:${trapPort}${files[2]!.urlPath}`],
      [files[3]!.sha1Base64, `http://localhost:${trapPort}/..${files[3]!.urlPath}`],
    ]);
    cab = await editedScanCabinet(model, upstream.url, (xml) =>
      xml.replace(/<FileLocation Id="([^"]+)" Url="[^"]*" \/>/g, (whole, id: string) => {
        const url = hostile.get(id);
        return url === undefined ? whole : `<FileLocation Id="${id}" Url="${url.replace(/&/g, '&amp;')}" />`;
      }),
    );
    const dataDir = join(tmp.dir, 'hostile');
    try {
      await writeChaosDataDir({ dataDir, wsusscn2Url: `${trap.url}${WSUSSCN2_PATH}`, upstreamUrl: upstream.url, allowHosts: [`${upstream.host}:${upstream.port}`], key });
      const r = await build(dataDir);
      if (r.code !== 0) expect(clearErrorProblems(r)).toEqual([]);
      expect(trap.hits).toEqual([]);
      const odd = upstream.requests.filter((q) => /\.\.|\\|%5c|%2f|%2e%2e|\/evil\//i.test(q.path));
      expect(odd).toEqual([]);
      const hostileNames = new Set(files.slice(0, 4).map((f) => f.fileName.toLowerCase()));
      const truth = payloadTruth([model]);
      for (const [i, { iso }] of listIsos(dataDir).entries()) {
        const x = join(tmp.dir, `x-hostile-${i}`);
        expect(checkIsoAgainstTruth(iso, x, truth).problems).toEqual([]);
        const onDisc = [...listFiles(x).keys()].map((k) => k.slice(k.lastIndexOf('/') + 1).toLowerCase());
        expect(onDisc.filter((n) => hostileNames.has(n))).toEqual([]);
      }
      expect(checkStore(dataDir).problems).toEqual([]);
      if (r.code === 0) {
        const p = report(r).pipelines[0]!;
        const hostileKbs = new Set(files.slice(0, 4).map((f) => model.updates.find((u) => u.files.includes(f))!.kb));
        const reported = new Set([...p.unavailable.map((u) => u.kb), ...p.failedDownloads.flatMap((f) => f.kbs)]);
        console.log(`[chaos] hostile catalog: current ${JSON.stringify(p.current.map((u) => u.kb))}, unavailable ${JSON.stringify(p.unavailable)}, failed ${JSON.stringify(p.failedDownloads)}, sets ${JSON.stringify(p.sets.map((s) => s.kbs))}`);
        // A current KB whose payload location was refused must be named in the report, not vanish.
        for (const kb of hostileKbs) expect(reported.has(kb), `KB${kb} (hostile FileLocation) reported as unavailable or failed`).toBe(true);
      }
    } finally {
      await trap.close();
      await upstream.close();
    }
  });
});
