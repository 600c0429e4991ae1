/**
 * `build --remaster`: writes again every disc image of a built week that is missing or damaged — a
 * deleted master under its thin images, a disc image removed after burning, a torn file — from what
 * the ledger recorded of the build (its plan) and the content store. Mastering is deterministic, so
 * each image must come out with the SHA-256 the ledger holds; the ledger itself is not changed.
 */
import { isPatchdiscError, PatchdiscError } from '../errors.ts';
import { getStageOutput } from '../ledger/builds.ts';
import type { BuildContext } from './build-context.ts';
import { acquireRunLock } from './run-lock.ts';
import type { MasteredDisc, MasterOutput } from './stage-master.ts';
import type { PlanOutput } from './stage-plan.ts';

export interface RemasterReport {
  week: string;
  discs: { pipeline: string; subscriber: string; disc: number; iso: string; sha256: string; action: 'kept' | 'written' }[];
}

export async function remasterWeek(ctx: BuildContext, week: string): Promise<RemasterReport> {
  const release = acquireRunLock(ctx.dataDir, ctx.now());
  try {
    const report: RemasterReport = { week, discs: [] };
    const { masterStage } = await import('./stage-master.ts');
    const { loadBuildKey } = await import('./load-build-key.ts');
    let key: Awaited<ReturnType<typeof loadBuildKey>> | undefined;
    for (const pipeline of ctx.pipelines) {
      const build = await ctx.ledger.db
        .selectFrom('builds')
        .select(['id', 'status'])
        .where('pipeline', '=', pipeline.name)
        .where('week', '=', week)
        .executeTakeFirst();
      const plan = build === undefined ? undefined : await getStageOutput<PlanOutput>(ctx.ledger, build.id, 'plan');
      const recorded = build === undefined ? undefined : await getStageOutput<MasterOutput>(ctx.ledger, build.id, 'master');
      if (build?.status !== 'done' || plan === undefined || recorded === undefined) {
        throw new PatchdiscError('USAGE', `Cannot remaster week ${week} of ${pipeline.name}: it is not built (${build?.status ?? 'no build'}); run patchdisc build --week ${week}`);
      }
      key ??= await loadBuildKey(ctx);
      const want = new Map(recorded.discs.map((d) => [discKey(d), d.sha256]));
      const written: MasteredDisc[] = [];
      try {
        await masterStage(ctx, plan.sets, week, key, {
          verifyKept: true,
          onDisc: (disc, action) => {
            if (action === 'written') written.push(disc);
            report.discs.push({ pipeline: pipeline.name, subscriber: disc.code, disc: disc.number, iso: disc.isoPath, sha256: disc.sha256, action });
          },
        });
      } catch (err) {
        if (isPatchdiscError(err, 'NOT_FOUND')) {
          throw new PatchdiscError('NOT_FOUND', `Cannot remaster week ${week} of ${pipeline.name}: ${err.message}; a file the discs need is gone from the store (store gc?), so they cannot be made again`, { cause: err });
        }
        throw err;
      }
      const differ = written.filter((d) => want.get(discKey(d)) !== d.sha256);
      if (differ.length > 0) {
        const d = differ[0] as MasteredDisc;
        throw new PatchdiscError(
          'VALIDATION',
          `Cannot remaster week ${week} of ${pipeline.name}: ${d.isoPath} came out with SHA-256 ${d.sha256}, the ledger recorded ${want.get(discKey(d)) ?? 'none'}` +
            ` (${differ.length} disc(s) differ); the signing key or the configuration changed since the build, so its discs cannot be reproduced`,
          { details: { iso: d.isoPath, expected: want.get(discKey(d)), actual: d.sha256 } },
        );
      }
    }
    return report;
  } finally {
    release();
  }
}

function discKey(d: Pick<MasteredDisc, 'subscriberId' | 'number'>): string {
  return `${d.subscriberId}/${d.number}`;
}
