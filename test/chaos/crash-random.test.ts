import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkStore } from '../helpers/chaos-checks.ts';
import { chaosSeed, pickInt, seededRandom } from '../helpers/chaos-setup.ts';
import { collect, runCli, spawnCli } from '../helpers/run-cli.ts';
import { makeTempDir } from '../helpers/tools.ts';
import { shipmentsPerSubscriberWeek } from '../helpers/ledger-counts.ts';

const WEEK1 = '2026-W40';
const KILLS = Number(process.env['PATCHDISC_CHAOS_KILLS'] ?? 20);

interface DemoJson {
  weeks: { week: string; discs: { subscriber: string; disc: number; sha256: string; iso: string }[] }[];
}

function discMap(d: DemoJson): Map<string, string> {
  return new Map(d.weeks.flatMap((w) => w.discs.map((x) => [`${w.week} ${x.subscriber} ${x.disc}`, x.sha256] as const)));
}

/** The first top-level MANIFEST.json field that differs between two runs' first differing disc (7z reads it). */
function manifestDiff(a: DemoJson, b: DemoJson): string {
  const read = (iso: string): Record<string, unknown> => JSON.parse(execFileSync('7z', ['e', '-so', iso, 'MANIFEST.json']).toString('utf8')) as Record<string, unknown>;
  const bIsos = new Map(b.weeks.flatMap((w) => w.discs.map((d) => [`${w.week} ${d.subscriber} ${d.disc}`, d] as const)));
  for (const w of a.weeks) {
    for (const d of w.discs) {
      const other = bIsos.get(`${w.week} ${d.subscriber} ${d.disc}`);
      if (other === undefined || other.sha256 === d.sha256) continue;
      try {
        const ma = read(d.iso);
        const mb = read(other.iso);
        const keys = [...new Set([...Object.keys(ma), ...Object.keys(mb)])].filter((k) => JSON.stringify(ma[k]) !== JSON.stringify(mb[k]));
        return `${w.week} ${d.subscriber}: ${keys.map((k) => `${k}: ${JSON.stringify(ma[k]).slice(0, 300)} vs ${JSON.stringify(mb[k]).slice(0, 300)}`).join('; ') || 'manifests equal, ISO bytes differ'}`;
      } catch (err) {
        return `cannot compare: ${String(err)}`;
      }
    }
  }
  return 'none';
}

/** A free TCP port in 20000–30000 (below Linux's default ephemeral range 32768–60999). */
async function freePort(random: () => number): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = pickInt(random, 20_000, 30_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port in 20000-30000');
}

describe('kill -9 at random points of the weekly build (issue 8)', () => {
  const tmp = makeTempDir('patchdisc-chaos-crash-');
  afterAll(() => tmp.remove());

  it(`after ${KILLS} SIGKILLs at random delays and reruns, the ISOs are byte-identical to an undisturbed run and each subscriber-week has one shipment`, async () => {
    const seed = chaosSeed('crash points');
    const random = seededRandom(seed);
    const started = Date.now();
    const ref = join(tmp.dir, 'ref');
    // The upstream port is part of every manifest (source URLs). It is taken below the ephemeral
    // range so no client socket on the machine can hold it when a rerun binds it again.
    const port = await freePort(random);
    mkdirSync(ref, { recursive: true });
    writeFileSync(join(ref, 'demo.json'), JSON.stringify({ port }));
    const t0 = Date.now();
    const r = await runCli(['demo', '--data', ref, '--week', WEEK1, '--json']);
    const refMs = Date.now() - t0;
    expect(r.code, r.stderr).toBe(0);
    const reference = JSON.parse(r.stdout) as DemoJson;
    const expected = discMap(reference);
    const expectedShipments = shipmentsPerSubscriberWeek(join(ref, 'patchdisc.db'));
    expect(expectedShipments.every((s) => s.n === 1)).toBe(true);
    const refState = readFileSync(join(ref, 'demo.json'), 'utf8');
    console.log(`[chaos] crash: reference run ${refMs} ms on upstream port ${port}, ${expected.size} discs`);

    // Kills land anywhere from process start-up to the end of an undisturbed run; a crash dir that
    // completes is checked and replaced by a fresh one until every kill has landed.
    let kills = 0;
    let dirs = 0;
    const delays: number[] = [];
    while (kills < KILLS) {
      const crash = join(tmp.dir, `crash-${dirs++}`);
      mkdirSync(crash, { recursive: true });
      // Same key and upstream port as the reference: source URLs are in the manifests.
      writeFileSync(join(crash, 'demo.json'), refState);
      for (;;) {
        const delayMs = kills < KILLS ? pickInt(random, 150, refMs) : undefined;
        const child = spawnCli(['demo', '--data', crash, '--week', WEEK1, '--json']);
        const done = collect(child, 300_000);
        const timer = delayMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), delayMs);
        const res = await done;
        clearTimeout(timer);
        if (res.signal === 'SIGKILL') {
          kills++;
          delays.push(delayMs!);
          continue;
        }
        expect(res.code, `crash dir ${crash} after kills at ${delays.join(',')} ms\n${res.stderr}`).toBe(0);
        expect((JSON.parse(readFileSync(join(crash, 'demo.json'), 'utf8')) as { port: number }).port, `upstream port of ${crash}`).toBe(port);
        const got = JSON.parse(res.stdout) as DemoJson;
        const diff = manifestDiff(reference, got);
        expect(discMap(got), `crash dir ${crash} after kills at ${delays.join(',')} ms; first MANIFEST.json difference: ${diff}`).toEqual(expected);
        expect(shipmentsPerSubscriberWeek(join(crash, 'patchdisc.db'))).toEqual(expectedShipments);
        expect(checkStore(crash).problems).toEqual([]);
        break;
      }
    }
    console.log(`[chaos] crash: ${kills} kills at ${delays.join(', ')} ms over ${dirs} data dirs, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
});
