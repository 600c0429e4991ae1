import { createHash } from 'node:crypto';
import type { CatalogUpdate } from '../catalog/snapshot.ts';
import { MEDIA, type Medium, type PipelineDefinition } from '../config/pipeline-schema.ts';
import { planDiscs, volumeLabel } from '../iso/plan-discs.ts';
import { lastDiscSet } from '../ledger/deliveries.ts';
import type { BuildContext } from './build-context.ts';
import type { FetchOutput } from './stage-fetch.ts';
import type { SelectOutput } from './stage-select.ts';
import { installOrder, productSlug } from './install-order.ts';

/** One update file as it will sit on a disc. */
export interface DiscFile {
  path: string;
  size: number;
  sha1: string;
  sha256: string;
  sourceUrl: string;
  revisionId: number;
  kb?: string;
  title: string;
  product: string;
  classification?: string;
  severity?: string;
  cves: string[];
}

export interface PlannedSet {
  subscriberId: number;
  code: string;
  pipeline: string;
  medium: Medium;
  copies: number;
  sequence: number;
  previousManifestSha256: string | null;
  /** SHA-256 over medium and every disc's file list: equal keys mean identical content. */
  contentKey: string;
  quiet: boolean;
  items: { revisionId: number; kb?: string; sha1: string }[];
  discs: { number: number; of: number; volumeId: string; files: DiscFile[] }[];
}

export interface PlanOutput {
  sets: PlannedSet[];
  /** Updates left out because a file could not be fetched. */
  unavailable: { revisionId: number; kb?: string; title: string; reason: string }[];
}

function asMedium(value: string, fallback: Medium): Medium {
  return (MEDIA as readonly string[]).includes(value) ? (value as Medium) : fallback;
}

/**
 * Turns each subscriber's selection into a disc set: update files in install order, packed onto the
 * subscriber's medium, with the next sequence number. Sequence numbers are taken per pipeline in the
 * order given, after whatever `sequenceBase` already holds for the subscriber.
 */
export async function planStage(
  ctx: BuildContext,
  pipeline: PipelineDefinition,
  week: string,
  selection: SelectOutput,
  updates: Map<number, CatalogUpdate>,
  fetched: FetchOutput,
  sequenceBase: Map<number, { sequence: number; manifestSha256: string | null }>,
): Promise<PlanOutput> {
  const unavailable: PlanOutput['unavailable'] = [];
  const failedSha1 = new Set(fetched.failed.map((f) => f.sha1));
  const usable = new Map<number, CatalogUpdate>();
  for (const [rev, u] of updates) {
    if (u.unavailable !== undefined) {
      unavailable.push({ revisionId: rev, ...(u.kb === undefined ? {} : { kb: u.kb }), title: u.title, reason: u.unavailable });
      continue;
    }
    const bad = u.files.find((f) => failedSha1.has(f.sha1) || fetched.files[f.sha1] === undefined);
    if (bad) {
      unavailable.push({
        revisionId: rev,
        ...(u.kb === undefined ? {} : { kb: u.kb }),
        title: u.title,
        reason: failedSha1.has(bad.sha1)
          ? (fetched.failed.find((f) => f.sha1 === bad.sha1)?.message ?? 'download failed')
          : 'file not fetched',
      });
    } else {
      usable.set(rev, u);
    }
  }

  const sets: PlannedSet[] = [];
  for (const sub of selection.subscribers) {
    const mine = sub.revisionIds.map((r) => usable.get(r)).filter((u): u is CatalogUpdate => u !== undefined);
    if (mine.length === 0 && pipeline.quietWeek === 'skip') continue;
    const files: DiscFile[] = [];
    for (const u of installOrder(mine)) {
      const product = u.products[0] ?? 'other';
      for (const f of u.files) {
        const got = fetched.files[f.sha1]!;
        files.push({
          path: `updates/${productSlug(product)}/${u.kb ? `KB${u.kb}` : `R${u.revisionId}`}/${f.name}`,
          size: got.size,
          sha1: f.sha1,
          sha256: got.sha256,
          sourceUrl: f.url,
          revisionId: u.revisionId,
          ...(u.kb === undefined ? {} : { kb: u.kb }),
          title: u.title,
          product,
          ...(u.classifications[0] === undefined ? {} : { classification: u.classifications[0] }),
          ...(u.severity === undefined ? {} : { severity: u.severity }),
          cves: u.cves,
        });
      }
    }
    const medium = asMedium(sub.medium, pipeline.medium);
    const planned = planDiscs(files, medium);
    const base = sequenceBase.get(sub.id) ?? (await lastKnown(ctx, sub.id));
    const sequence = base.sequence + 1;
    sequenceBase.set(sub.id, { sequence, manifestSha256: null });
    const discs = planned.map((d) => ({
      number: d.number,
      of: d.of,
      volumeId: volumeLabel(pipeline.labelPrefix, week, d.number, d.of),
      files: d.files,
    }));
    const contentKey = createHash('sha256')
      .update(JSON.stringify({ medium, discs: discs.map((d) => d.files.map((f) => [f.path, f.sha1])) }))
      .digest('hex');
    sets.push({
      subscriberId: sub.id,
      code: sub.code,
      pipeline: pipeline.name,
      medium,
      copies: sub.copies,
      sequence,
      previousManifestSha256: base.manifestSha256,
      contentKey,
      quiet: mine.length === 0,
      items: mine.flatMap((u) => u.files.map((f) => ({ revisionId: u.revisionId, ...(u.kb === undefined ? {} : { kb: u.kb }), sha1: f.sha1 }))),
      discs,
    });
  }
  return { sets, unavailable };
}

async function lastKnown(ctx: BuildContext, subscriberId: number): Promise<{ sequence: number; manifestSha256: string | null }> {
  const last = await lastDiscSet(ctx.ledger, subscriberId);
  return last ? { sequence: last.sequence, manifestSha256: last.manifestSha256 } : { sequence: 0, manifestSha256: null };
}
