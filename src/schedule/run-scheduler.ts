import cron from 'node-cron';
import { PatchdiscError } from '../errors.ts';
import type { BuildStatus } from './build-status.ts';

export interface SchedulerOptions {
  cron: string;
  timeZone: string;
  /** Builds the given week; rejects when the build failed. */
  runBuild: (week: string) => Promise<void>;
  status: () => Promise<BuildStatus>;
  /** Raises an alarm: error log line, status.json, webhook. */
  alarm: (message: string, status: BuildStatus) => Promise<void>;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
  signal: AbortSignal;
}

/**
 * The long-running scheduler: at start, a current week whose build is missing or failed is built at
 * once (catch-up); then a build at every cron tick. After each attempt, a missing or failed week, or a
 * missed week in the recent past, raises an alarm. Resolves when `signal` aborts.
 */
export async function runScheduler(o: SchedulerOptions): Promise<void> {
  if (!cron.validate(o.cron)) {
    throw new PatchdiscError('CONFIG_INVALID', `Cannot schedule builds: "${o.cron}" is not a valid cron expression (schedule.cron)`);
  }
  let running = false;
  const attempt = async (why: string): Promise<void> => {
    if (running) {
      o.log('warn', `skipping ${why}: a build is still running`);
      return;
    }
    running = true;
    try {
      const before = await o.status();
      o.log('info', `${why}: building week ${before.week}`);
      try {
        await o.runBuild(before.week);
      } catch (err) {
        o.log('error', `build of week ${before.week} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      await check();
    } finally {
      running = false;
    }
  };
  const check = async (): Promise<void> => {
    const s = await o.status();
    const bad = s.pipelines.filter((p) => p.state === 'missing' || p.state === 'failed');
    const missed = s.pipelines.filter((p) => p.missedWeeks.length > 0);
    if (bad.length > 0 || missed.length > 0) {
      const parts = [
        ...bad.map((p) => `${p.pipeline}: week ${p.currentWeek} ${p.state}${p.lastBuild?.error ? ` (${p.lastBuild.error})` : ''}`),
        ...missed.map((p) => `${p.pipeline}: missed ${p.missedWeeks.join(', ')}`),
      ];
      await o.alarm(`weekly build alarm — ${parts.join('; ')}`, s);
    }
  };

  const first = await o.status();
  if (first.pipelines.some((p) => p.state === 'missing' || p.state === 'failed')) await attempt('catch-up at start');
  else await check();

  const task = cron.schedule(
    o.cron,
    async () => {
      await attempt('scheduled run');
    },
    { timezone: o.timeZone, name: 'patchdisc-weekly-build' },
  );
  o.log('info', `scheduler started: "${o.cron}" in ${o.timeZone}`);
  await new Promise<void>((resolve) => {
    if (o.signal.aborted) resolve();
    o.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await task.stop();
  o.log('info', 'scheduler stopped');
}
