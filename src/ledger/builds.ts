/**
 * Builds and their stage state: what lets a rerun of the weekly build continue where the last run
 * stopped. One build per (pipeline, week); a stage's output is kept as JSON once the stage is done.
 */
import { PatchdiscError } from '../errors.ts';
import type { Ledger } from './open-ledger.ts';
import type { BuildStatus } from './schema.ts';
import { writeTransaction } from './write-transaction.ts';

export interface Build {
  id: number;
  pipeline: string;
  week: string;
  status: BuildStatus;
  startedAt: string;
  finishedAt: string | null;
  snapshotId: number | null;
  error: string | null;
}

/** The builds columns toBuild reads. */
export const BUILD_COLUMNS = ['id', 'pipeline', 'week', 'status', 'started_at', 'finished_at', 'snapshot_id', 'error'] as const;

/** A builds row as a Build. */
export function toBuild(r: {
  id: number;
  pipeline: string;
  week: string;
  status: BuildStatus;
  started_at: string;
  finished_at: string | null;
  snapshot_id: number | null;
  error: string | null;
}): Build {
  return {
    id: r.id,
    pipeline: r.pipeline,
    week: r.week,
    status: r.status,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    snapshotId: r.snapshot_id,
    error: r.error,
  };
}

/**
 * Gets or creates the build of `pipeline` for `week`. A failed build is set back to running (its done
 * stages are kept, so the rerun resumes); a running or done build is returned as it is.
 */
export async function startBuild(
  ledger: Ledger,
  opts: { pipeline: string; week: string; now: Date },
): Promise<{ id: number; status: BuildStatus; created: boolean }> {
  return writeTransaction(ledger, async (trx) => {
    const inserted = await trx
      .insertInto('builds')
      .values({ pipeline: opts.pipeline, week: opts.week, status: 'running', started_at: opts.now.toISOString() })
      .onConflict((oc) => oc.columns(['pipeline', 'week']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted) return { id: inserted.id, status: 'running' as const, created: true };
    const existing = await trx
      .selectFrom('builds')
      .select(['id', 'status'])
      .where('pipeline', '=', opts.pipeline)
      .where('week', '=', opts.week)
      .executeTakeFirstOrThrow();
    if (existing.status !== 'failed') return { id: existing.id, status: existing.status, created: false };
    await trx
      .updateTable('builds')
      .set({ status: 'running', error: null, finished_at: null })
      .where('id', '=', existing.id)
      .execute();
    return { id: existing.id, status: 'running' as const, created: false };
  });
}

/** Records which catalog snapshot a build works from. */
export async function setBuildSnapshot(ledger: Ledger, buildId: number, snapshotId: number): Promise<void> {
  const r = await ledger.db.updateTable('builds').set({ snapshot_id: snapshotId }).where('id', '=', buildId).executeTakeFirst();
  if (r.numUpdatedRows === 0n) throw missingBuild(buildId);
}

/** The stored output of `stage` of build `buildId`, or undefined when that stage is not done. */
export async function getStageOutput<T>(ledger: Ledger, buildId: number, stage: string): Promise<T | undefined> {
  const row = await ledger.db
    .selectFrom('build_stages')
    .select(['output_json'])
    .where('build_id', '=', buildId)
    .where('stage', '=', stage)
    .where('status', '=', 'done')
    .executeTakeFirst();
  if (!row || row.output_json === null) return undefined;
  return JSON.parse(row.output_json) as T;
}

/** Marks `stage` done with its `output` (JSON-serialisable), replacing an earlier record of it. */
export async function completeStage(ledger: Ledger, buildId: number, stage: string, output: unknown, now: Date): Promise<void> {
  const at = now.toISOString();
  const json = JSON.stringify(output ?? null);
  try {
    await ledger.db
      .insertInto('build_stages')
      .values({ build_id: buildId, stage, status: 'done', started_at: at, finished_at: at, output_json: json })
      .onConflict((oc) =>
        oc.columns(['build_id', 'stage']).doUpdateSet({ status: 'done', finished_at: at, output_json: json }),
      )
      .execute();
  } catch (cause) {
    if ((cause as { code?: string }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY') throw missingBuild(buildId, cause);
    throw cause;
  }
}

/** Ends a build as done or failed (with the error message). */
export async function finishBuild(
  ledger: Ledger,
  buildId: number,
  opts: { status: 'done' | 'failed'; error?: string; now: Date },
): Promise<void> {
  const r = await ledger.db
    .updateTable('builds')
    .set({ status: opts.status, error: opts.error ?? null, finished_at: opts.now.toISOString() })
    .where('id', '=', buildId)
    .executeTakeFirst();
  if (r.numUpdatedRows === 0n) throw missingBuild(buildId);
}

/** Builds, newest first, optionally of one pipeline. */
export async function listBuilds(ledger: Ledger, opts: { pipeline?: string; limit?: number } = {}): Promise<Build[]> {
  let q = ledger.db.selectFrom('builds').select(BUILD_COLUMNS).orderBy('week', 'desc').orderBy('id', 'desc');
  if (opts.pipeline !== undefined) q = q.where('pipeline', '=', opts.pipeline);
  const rows = await q.limit(opts.limit ?? 50).execute();
  return rows.map(toBuild);
}

/** The latest build (by week) of every pipeline, ordered by pipeline name. */
export async function lastBuildPerPipeline(ledger: Ledger): Promise<Build[]> {
  const rows = await ledger.db
    .selectFrom('builds as b')
    .select(BUILD_COLUMNS.map((c) => `b.${c}` as const))
    .where('b.id', '=', (eb) =>
      eb
        .selectFrom('builds as l')
        .select('l.id')
        .whereRef('l.pipeline', '=', 'b.pipeline')
        .orderBy('l.week', 'desc')
        .orderBy('l.id', 'desc')
        .limit(1),
    )
    .orderBy('b.pipeline')
    .execute();
  return rows.map(toBuild);
}

function missingBuild(buildId: number, cause?: unknown): PatchdiscError {
  return new PatchdiscError('NOT_FOUND', `Cannot update build ${buildId}: no such build in the ledger; start it with startBuild`, {
    cause,
    details: { buildId },
  });
}
