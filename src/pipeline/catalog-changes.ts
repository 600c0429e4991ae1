import { diffSnapshots } from '../catalog/diff-snapshots.ts';
import type { CatalogSnapshot, CatalogUpdate } from '../catalog/snapshot.ts';
import { getStageOutput, listBuilds } from '../ledger/builds.ts';
import { getSnapshot } from '../ledger/catalog-snapshots.ts';
import type { BuildContext } from './build-context.ts';
import type { CatalogChanges } from './report.ts';
import type { SelectOutput } from './stage-select.ts';

function brief(u: CatalogUpdate): { revisionId: number; kb?: string; title: string } {
  return { revisionId: u.revisionId, ...(u.kb === undefined ? {} : { kb: u.kb }), title: u.title };
}

/**
 * The catalog diff for the weekly report: against the snapshot the pipeline's previous build used, the
 * updates new to its current set and those of its previous current set that are superseded now.
 */
export async function catalogChanges(ctx: BuildContext, pipeline: string, week: string, snapshot: CatalogSnapshot, select: SelectOutput): Promise<CatalogChanges> {
  const previous = (await listBuilds(ctx.ledger, { pipeline, limit: 60 })).find((b) => b.week < week);
  const none: CatalogChanges = { since: null, added: [], newlySuperseded: [], revised: 0, removed: 0 };
  if (!previous) return none;
  const prevSync = await getStageOutput<{ snapshotId: number }>(ctx.ledger, previous.id, 'sync');
  const prevSelect = await getStageOutput<SelectOutput>(ctx.ledger, previous.id, 'select');
  const prevSnapshot = prevSync ? await getSnapshot(ctx.ledger, prevSync.snapshotId) : undefined;
  if (!prevSnapshot || !prevSelect) return { ...none, since: previous.week };
  const diff = diffSnapshots(prevSnapshot.snapshot, snapshot);
  const current = new Set(select.current);
  const wasCurrent = new Set(prevSelect.current);
  return {
    since: previous.week,
    added: diff.added.filter((u) => current.has(u.revisionId)).map(brief),
    newlySuperseded: diff.newlySuperseded.filter((u) => wasCurrent.has(u.revisionId)).map(brief),
    revised: diff.revised.length,
    removed: diff.removed.length,
  };
}
