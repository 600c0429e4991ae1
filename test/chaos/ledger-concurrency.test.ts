import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WeekReport } from '../../src/pipeline/report.ts';
import { startUpstream, WSUSSCN2_PATH, type Upstream } from '../../src/upstream/start-upstream.ts';
import { CHAOS_SUBSCRIBERS, makeChaosKey, writeChaosDataDir } from '../helpers/chaos-setup.ts';
import { collect, runCli } from '../helpers/run-cli.ts';
import { makeTempDir } from '../helpers/tools.ts';

const CHURN = resolve(import.meta.dirname, '../helpers/ledger-churn.ts');
const BUSY = /SQLITE_BUSY|database is locked/i;

describe('a build while other processes read and write the ledger (issue 8)', () => {
  const tmp = makeTempDir('patchdisc-chaos-ledger-');
  let upstream: Upstream;
  beforeAll(async () => {
    upstream = await startUpstream({ port: 0, seed: 1, week: 0 });
  });
  afterAll(async () => {
    await upstream.close();
    tmp.remove();
  });

  it('no SQLITE_BUSY reaches anyone: the build and two ledger users (list + mark shipments) all succeed', async () => {
    const dataDir = join(tmp.dir, 'data');
    const key = await makeChaosKey(join(tmp.dir, 'keys'));
    await writeChaosDataDir({ dataDir, wsusscn2Url: `${upstream.url}${WSUSSCN2_PATH}`, upstreamUrl: upstream.url, allowHosts: [`${upstream.host}:${upstream.port}`], key });
    // Week 1 gives the other processes shipments to work on while week 2 builds.
    const first = await runCli(['build', '--data', dataDir, '--week', '2026-W40', '--json']);
    expect(first.code, first.stderr).toBe(0);
    upstream.setWeek(1);

    const stop = join(tmp.dir, 'stop');
    const db = join(dataDir, 'patchdisc.db');
    const ready = [0, 1].map((i) => join(tmp.dir, `ready-${i}`));
    const churners = ready.map((r) => collect(spawn(process.execPath, ['--import', 'tsx', CHURN, db, stop, r], { stdio: ['ignore', 'pipe', 'pipe'] }), 300_000));
    // Both users must be running before the builds start: a fast build could otherwise finish first.
    const waitUntil = Date.now() + 60_000;
    while (!ready.every((r) => existsSync(r)) && Date.now() < waitUntil) await new Promise((r) => setTimeout(r, 20));
    expect(ready.every((r) => existsSync(r)), 'both ledger users started').toBe(true);
    const t0 = Date.now();
    const builds = await Promise.all([
      runCli(['build', '--data', dataDir, '--week', '2026-W41', '--json']),
      // A second build of the finished week reads the ledger too (answered as up to date).
      runCli(['build', '--data', dataDir, '--week', '2026-W40', '--json']),
    ]);
    writeFileSync(stop, '');
    const churned = await Promise.all(churners);
    const all = [...builds, ...churned];
    for (const r of all) expect(`${r.stdout}\n${r.stderr}`).not.toMatch(BUSY);
    for (const r of churned) expect(r.code, r.stderr).toBe(0);
    const counts = churned.map((r) => JSON.parse(r.stdout) as { reads: number; writes: number });
    console.log(`[chaos] ledger concurrency: builds took ${Date.now() - t0} ms, churn ${JSON.stringify(counts)}`);
    expect(counts.every((c) => c.reads > 0 && c.writes > 0)).toBe(true);
    const [w2, w1] = builds;
    expect(w2!.code, w2!.stderr).toBe(0);
    const report = JSON.parse(w2!.stdout) as WeekReport;
    expect(report.pipelines.flatMap((p) => p.shipments.map((s) => s.subscriber)).sort()).toEqual([...CHAOS_SUBSCRIBERS]);
    // The repeated week may lose the run lock to the week-2 build: then one clear LOCKED-style line.
    if (w1!.code !== 0) expect(w1!.stderr).toMatch(/^patchdisc: /m);
    else expect((JSON.parse(w1!.stdout) as WeekReport).upToDate).toBe(true);
  });
});
