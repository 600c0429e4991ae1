import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { pipelineSchema } from '../../../src/config/pipeline-schema.ts';
import { finishBuild, startBuild } from '../../../src/ledger/builds.ts';
import { openLedger, type Ledger } from '../../../src/ledger/open-ledger.ts';
import { buildStatus, writeStatusFile, type BuildStatus } from '../../../src/schedule/build-status.ts';
import { runScheduler } from '../../../src/schedule/run-scheduler.ts';
import { addWeeks, weekOf } from '../../../src/pipeline/week.ts';
import { makeTempDir } from '../../helpers/tools.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function ledger(): Promise<{ ledger: Ledger; dir: string }> {
  const t = makeTempDir();
  const l = await openLedger(join(t.dir, 'patchdisc.db'));
  cleanups.push(async () => {
    await l.close();
    t.remove();
  });
  return { ledger: l, dir: t.dir };
}

const pipeline = pipelineSchema.parse({ name: 'win11', title: 'Windows 11', products: ['Windows 11'] });
const NOW = new Date('2026-11-25T10:00:00Z');
const TZ = 'Asia/Shanghai';

describe('buildStatus()', () => {
  it('reports the current week missing, then done, and earlier weeks without a finished build as missed', async () => {
    const { ledger: l } = await ledger();
    const week = weekOf(NOW, TZ);
    expect((await buildStatus(l, [pipeline], NOW, TZ)).pipelines[0]).toMatchObject({ state: 'missing', missedWeeks: [] });

    const old = await startBuild(l, { pipeline: 'win11', week: addWeeks(week, -3), now: NOW });
    await finishBuild(l, old.id, { status: 'done', now: NOW });
    const failed = await startBuild(l, { pipeline: 'win11', week: addWeeks(week, -1), now: NOW });
    await finishBuild(l, failed.id, { status: 'failed', error: 'network down', now: NOW });
    const s = await buildStatus(l, [pipeline], NOW, TZ);
    expect(s.ok).toBe(false);
    expect(s.pipelines[0]!.missedWeeks).toEqual([addWeeks(week, -2), addWeeks(week, -1)]);

    const cur = await startBuild(l, { pipeline: 'win11', week, now: NOW });
    await finishBuild(l, cur.id, { status: 'done', now: NOW });
    const after = await buildStatus(l, [pipeline], NOW, TZ);
    expect(after.ok).toBe(true);
    expect(after.pipelines[0]!.state).toBe('done');
  });
});

describe('runScheduler()', () => {
  it('builds a missing current week at once (catch-up) and raises an alarm when the build fails', async () => {
    const { ledger: l, dir } = await ledger();
    const builds: string[] = [];
    const alarms: string[] = [];
    const controller = new AbortController();
    const status = async (): Promise<BuildStatus> => {
      const s = await buildStatus(l, [pipeline], NOW, TZ);
      await writeStatusFile(dir, s);
      return s;
    };
    await runScheduler({
      cron: '0 2 * * 1',
      timeZone: TZ,
      signal: controller.signal,
      status,
      runBuild: async (week) => {
        builds.push(week);
        const b = await startBuild(l, { pipeline: 'win11', week, now: NOW });
        await finishBuild(l, b.id, { status: 'failed', error: 'upstream unreachable', now: NOW });
        controller.abort();
        throw new Error('upstream unreachable');
      },
      alarm: async (message, s) => {
        alarms.push(message);
        await writeStatusFile(dir, { ...s, alarm: message });
      },
      log: () => undefined,
    });
    expect(builds).toEqual([weekOf(NOW, TZ)]);
    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatch(/failed \(upstream unreachable\)/);
    const file = JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')) as { ok: boolean; alarm: string };
    expect(file.ok).toBe(false);
    expect(file.alarm).toBe(alarms[0]);
  });

  it('does not build at start when the current week is done, and refuses a bad cron expression', async () => {
    const { ledger: l } = await ledger();
    const b = await startBuild(l, { pipeline: 'win11', week: weekOf(NOW, TZ), now: NOW });
    await finishBuild(l, b.id, { status: 'done', now: NOW });
    const controller = new AbortController();
    const builds: string[] = [];
    const run = runScheduler({
      cron: '0 2 * * 1',
      timeZone: TZ,
      signal: controller.signal,
      status: () => buildStatus(l, [pipeline], NOW, TZ),
      runBuild: async (w) => {
        builds.push(w);
      },
      alarm: async () => undefined,
      log: () => undefined,
    });
    setTimeout(() => controller.abort(), 200);
    await run;
    expect(builds).toEqual([]);
    await expect(
      runScheduler({ cron: 'every monday', timeZone: TZ, signal: controller.signal, status: () => buildStatus(l, [], NOW, TZ), runBuild: async () => undefined, alarm: async () => undefined, log: () => undefined }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});
