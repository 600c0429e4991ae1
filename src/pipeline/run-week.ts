import type { CatalogSnapshot, CatalogUpdate } from '../catalog/snapshot.ts';
import type { PipelineDefinition } from '../config/pipeline-schema.ts';
import { PatchdiscError } from '../errors.ts';
import { completeStage, finishBuild, getStageOutput, startBuild } from '../ledger/builds.ts';
import { getSnapshot } from '../ledger/catalog-snapshots.ts';
import { missingPrices, setPrice } from '../ledger/prices.ts';
import type { BuildContext } from './build-context.ts';
import type { loadBuildKey } from './load-build-key.ts';
import type { PipelineReport, WeekReport } from './report.ts';
import { acquireRunLock } from './run-lock.ts';
import type { FetchOutput } from './stage-fetch.ts';
import type { MasterOutput } from './stage-master.ts';
import type { PlanOutput } from './stage-plan.ts';
import type { SelectOutput } from './stage-select.ts';
import type { syncCatalog } from './stage-sync.ts';
import { weekMonday } from './week.ts';

interface BuildState {
  pipeline: PipelineDefinition;
  buildId: number;
  snapshot?: CatalogSnapshot;
  snapshotId?: number;
  changed?: boolean;
  select?: SelectOutput;
  fetch?: FetchOutput;
  plan?: PlanOutput;
  master?: MasterOutput;
  shipments?: { id: number; subscriberCode: string; status: string }[];
}

/**
 * One weekly build of `ctx.pipelines` for `week`: sync → select → fetch → plan → master → record →
 * report, each stage's output persisted so a rerun after a crash continues where it stopped. A week
 * whose builds are all done is answered from the ledger alone ("up to date"), without the network;
 * each stage's module is loaded when the stage runs, so that answer does not load them either.
 */
export async function runWeek(ctx: BuildContext, week: string): Promise<WeekReport> {
  if (ctx.pipelines.length === 0) {
    throw new PatchdiscError('CONFIG_INVALID', 'Cannot build: no pipelines are configured; add a pipelines/<name>.yaml');
  }
  const release = acquireRunLock(ctx.dataDir, ctx.now());
  const states: BuildState[] = [];
  try {
    // The config's price list is the source of truth; the ledger keeps its history for statements.
    for (const { medium, ...price } of ctx.config.prices) await setPrice(ctx.ledger, medium === undefined ? price : { ...price, medium });
    for (const pipeline of ctx.pipelines) {
      const b = await startBuild(ctx.ledger, { pipeline: pipeline.name, week, now: ctx.now() });
      states.push({ pipeline, buildId: b.id });
    }
    const reports: PipelineReport[] = [];
    const done = await Promise.all(states.map((s) => getStageOutput<PipelineReport>(ctx.ledger, s.buildId, 'report')));
    if (done.every((r) => r !== undefined)) {
      return { week, upToDate: true, pipelines: done as PipelineReport[] };
    }

    await runSync(ctx, states);
    const sequenceBase = new Map<number, { sequence: number; manifestSha256: string | null }>();
    for (const s of states) {
      const name = s.pipeline.name;
      s.select = await stage(ctx, s, 'select', async () => (await import('./stage-select.ts')).selectStage(ctx, s.pipeline, week, s.snapshotId!, s.snapshot!));
      const updates = updatesOf(s.snapshot!, s.select.subscribers.flatMap((x) => x.revisionIds));
      // An update the catalog cannot fully locate is reported by the plan; none of its files are fetched.
      s.fetch = await stage(ctx, s, 'fetch', async () => (await import('./stage-fetch.ts')).fetchStage(ctx, [...updates.values()].filter((u) => u.unavailable === undefined)));
      s.plan = await stage(ctx, s, 'plan', async () => (await import('./stage-plan.ts')).planStage(ctx, s.pipeline, week, s.select!, updates, s.fetch!, sequenceBase));
      for (const set of s.plan.sets) sequenceBase.set(set.subscriberId, { sequence: set.sequence, manifestSha256: null });
      ctx.events.log('info', `${name}: ${s.plan.sets.length} disc sets planned`);
    }
    // Fees are charged at record time; a missing price is found now, before any disc is mastered.
    const media = [...new Set(states.flatMap((s) => s.plan!.sets.map((x) => x.medium)))];
    const missing = media.length === 0 ? [] : await missingPrices(ctx.ledger, { date: weekMonday(week), media });
    if (missing.length > 0) {
      throw new PatchdiscError('CONFIG_INVALID', `Cannot build week ${week}: the price list has no ${missing.join(', ')} in force on ${weekMonday(week)}; add it under prices in patchdisc.yaml and rerun`);
    }
    let key: Awaited<ReturnType<typeof loadBuildKey>> | undefined;
    for (const s of states) {
      s.master = await stage(ctx, s, 'master', async () => {
        key ??= await (await import('./load-build-key.ts')).loadBuildKey(ctx);
        return (await import('./stage-master.ts')).masterStage(ctx, s.plan!.sets, week, key);
      });
    }
    await runRecord(ctx, states, week);
    for (const s of states) {
      const report = await stage(ctx, s, 'report', async () =>
        (await import('./report.ts')).buildReport(
          s.pipeline,
          s.buildId,
          s.changed ?? false,
          s.snapshot!,
          s.select!,
          s.fetch!,
          s.plan!,
          s.master!,
          s.shipments ?? [],
          await (await import('./catalog-changes.ts')).catalogChanges(ctx, s.pipeline.name, week, s.snapshot!, s.select!),
        ),
      );
      reports.push(report);
      await finishBuild(ctx.ledger, s.buildId, { status: 'done', now: ctx.now() });
    }
    return { week, upToDate: false, pipelines: reports };
  } catch (err) {
    for (const s of states) {
      const finished = await getStageOutput(ctx.ledger, s.buildId, 'report');
      if (finished === undefined) {
        await finishBuild(ctx.ledger, s.buildId, {
          status: 'failed',
          error: err instanceof Error ? err.message : String(err),
          now: ctx.now(),
        }).catch(() => undefined);
      }
    }
    throw err;
  } finally {
    release();
  }
}

/** Runs `fn` unless the stage is already done for this build; persists its output. */
async function stage<T>(ctx: BuildContext, s: BuildState, name: string, fn: () => Promise<T>): Promise<T> {
  const prior = await getStageOutput<T>(ctx.ledger, s.buildId, name);
  if (prior !== undefined) {
    ctx.events.stage?.(s.pipeline.name, name, 'skipped');
    return prior;
  }
  ctx.events.stage?.(s.pipeline.name, name, 'start');
  const out = await fn();
  await completeStage(ctx.ledger, s.buildId, name, out, ctx.now());
  ctx.events.stage?.(s.pipeline.name, name, 'done');
  return out;
}

/** One catalog read serves every pipeline; a build that synced before keeps its snapshot. */
async function runSync(ctx: BuildContext, states: BuildState[]): Promise<void> {
  let fresh: Awaited<ReturnType<typeof syncCatalog>> | undefined;
  for (const s of states) {
    const prior = await getStageOutput<{ snapshotId: number; changed: boolean }>(ctx.ledger, s.buildId, 'sync');
    if (prior) {
      const stored = await getSnapshot(ctx.ledger, prior.snapshotId);
      if (!stored) throw new PatchdiscError('LEDGER_ERROR', `Cannot resume build ${s.buildId}: snapshot ${prior.snapshotId} is missing`);
      Object.assign(s, { snapshotId: prior.snapshotId, snapshot: stored.snapshot, changed: prior.changed });
      continue;
    }
    ctx.events.stage?.(s.pipeline.name, 'sync', 'start');
    fresh ??= await (await import('./stage-sync.ts')).syncCatalog(ctx);
    Object.assign(s, { snapshotId: fresh.snapshotId, snapshot: fresh.snapshot, changed: fresh.changed });
    await completeStage(ctx.ledger, s.buildId, 'sync', { snapshotId: fresh.snapshotId, changed: fresh.changed }, ctx.now());
    ctx.events.stage?.(s.pipeline.name, 'sync', 'done');
  }
}

/** Records every set of the week in one transaction, then marks each build's record stage done. */
async function runRecord(ctx: BuildContext, states: BuildState[], week: string): Promise<void> {
  const pending: BuildState[] = [];
  for (const s of states) {
    const prior = await getStageOutput<{ shipments: BuildState['shipments'] }>(ctx.ledger, s.buildId, 'record');
    if (prior) s.shipments = prior.shipments ?? [];
    else pending.push(s);
  }
  if (pending.length === 0) return;
  const sets = pending.flatMap((s) =>
    s.plan!.sets.map((set) => {
      const discs = s.master!.discs.filter((d) => d.subscriberId === set.subscriberId && d.pipeline === set.pipeline);
      return {
        subscriberId: set.subscriberId,
        pipeline: set.pipeline,
        sequence: set.sequence,
        contentKey: set.contentKey,
        manifestSha256: discs[0]?.manifestSha256 ?? '',
        quiet: set.quiet,
        items: set.items,
        discs: discs.map((d) => ({ number: d.number, of: d.of, volumeId: d.volumeId, isoPath: d.isoPath, bytes: d.bytes, sha256: d.sha256 })),
      };
    }),
  );
  const result = await (await import('../ledger/record-week.ts')).recordWeek(ctx.ledger, { week, buildId: pending[0]!.buildId, now: ctx.now(), sets });
  for (const s of pending) {
    const codes = new Set(s.plan!.sets.map((x) => x.code));
    s.shipments = result.shipments.filter((x) => codes.has(x.subscriberCode));
    await completeStage(ctx.ledger, s.buildId, 'record', { batchId: result.batchId, shipments: s.shipments }, ctx.now());
  }
}

function updatesOf(snapshot: CatalogSnapshot, revisionIds: number[]): Map<number, CatalogUpdate> {
  const wanted = new Set(revisionIds);
  const out = new Map<number, CatalogUpdate>();
  for (const u of snapshot.bundles) if (wanted.has(u.revisionId)) out.set(u.revisionId, u);
  return out;
}
