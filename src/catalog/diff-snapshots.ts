/**
 * What changed between two catalog snapshots, matched by UpdateId (stable across revisions; a new
 * RevisionId for the same UpdateId is a revision of that update).
 */
import type { CatalogSnapshot, CatalogUpdate } from './snapshot.ts';

export interface SnapshotDiff {
  /** In `next` only. */
  added: CatalogUpdate[];
  /** Same UpdateId with another RevisionId. */
  revised: { previous: CatalogUpdate; next: CatalogUpdate }[];
  /** In `prev` only. */
  removed: CatalogUpdate[];
  /** In both, current in `prev` and superseded in `next`. */
  newlySuperseded: CatalogUpdate[];
}

/** Diffs two snapshots. Throws nothing; a snapshot with a repeated UpdateId keeps its last entry. */
export function diffSnapshots(prev: CatalogSnapshot, next: CatalogSnapshot): SnapshotDiff {
  const before = new Map(prev.bundles.map((b) => [b.updateId.toLowerCase(), b]));
  const after = new Map(next.bundles.map((b) => [b.updateId.toLowerCase(), b]));
  const diff: SnapshotDiff = { added: [], revised: [], removed: [], newlySuperseded: [] };
  for (const [id, update] of after) {
    const old = before.get(id);
    if (!old) {
      diff.added.push(update);
      continue;
    }
    if (old.revisionId !== update.revisionId) diff.revised.push({ previous: old, next: update });
    if (!old.superseded && update.superseded) diff.newlySuperseded.push(update);
  }
  for (const [id, update] of before) if (!after.has(id)) diff.removed.push(update);
  const byRevision = (a: CatalogUpdate, b: CatalogUpdate): number => a.revisionId - b.revisionId;
  diff.added.sort(byRevision);
  diff.removed.sort(byRevision);
  diff.newlySuperseded.sort(byRevision);
  diff.revised.sort((a, b) => byRevision(a.next, b.next));
  return diff;
}
