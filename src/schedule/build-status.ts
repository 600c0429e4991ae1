import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PipelineDefinition } from '../config/pipeline-schema.ts';
import { listBuilds } from '../ledger/builds.ts';
import type { Ledger } from '../ledger/open-ledger.ts';
import { addWeeks, weekOf } from '../pipeline/week.ts';

export type WeekState = 'done' | 'running' | 'failed' | 'missing';

export interface PipelineStatus {
  pipeline: string;
  currentWeek: string;
  state: WeekState;
  lastBuild?: { week: string; status: string; startedAt: string; finishedAt: string | null; error: string | null };
  /** Weeks of the last `lookback` before the current one without a finished build. */
  missedWeeks: string[];
}

export interface BuildStatus {
  checkedAt: string;
  week: string;
  ok: boolean;
  pipelines: PipelineStatus[];
}

/**
 * The state of the current week's build per pipeline, and the recent weeks that were missed. `ok` is
 * false when the current week is missing or failed for any pipeline.
 */
export async function buildStatus(ledger: Ledger, pipelines: PipelineDefinition[], now: Date, timeZone: string, lookback = 4): Promise<BuildStatus> {
  const week = weekOf(now, timeZone);
  const out: PipelineStatus[] = [];
  for (const p of pipelines) {
    const builds = await listBuilds(ledger, { pipeline: p.name, limit: 60 });
    const byWeek = new Map(builds.map((b) => [b.week, b]));
    const current = byWeek.get(week);
    const state: WeekState = current ? (current.status as WeekState) : 'missing';
    const missedWeeks: string[] = [];
    for (let i = lookback; i >= 1; i--) {
      const w = addWeeks(week, -i);
      // Weeks before the pipeline's first build are not "missed": it did not exist yet.
      const first = builds.at(-1)?.week;
      if (first !== undefined && w >= first && byWeek.get(w)?.status !== 'done') missedWeeks.push(w);
    }
    const last = builds[0];
    out.push({
      pipeline: p.name,
      currentWeek: week,
      state,
      ...(last
        ? { lastBuild: { week: last.week, status: last.status, startedAt: last.startedAt, finishedAt: last.finishedAt, error: last.error } }
        : {}),
      missedWeeks,
    });
  }
  return { checkedAt: now.toISOString(), week, ok: out.every((p) => p.state === 'done' || p.state === 'running'), pipelines: out };
}

/** Writes `<data>/status.json` atomically, for monitoring that reads files. */
export async function writeStatusFile(dataDir: string, status: BuildStatus & { alarm?: string }): Promise<string> {
  await mkdir(dataDir, { recursive: true });
  const path = join(dataDir, 'status.json');
  const tmp = `${path}.tmp`;
  await writeFile(tmp, JSON.stringify(status, null, 2) + '\n');
  await rename(tmp, path);
  return path;
}
