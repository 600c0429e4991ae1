import type { CatalogSnapshot, CatalogUpdate } from '../catalog/snapshot.ts';
import { selectForSubscriber, selectUpdates } from '../catalog/select-updates.ts';
import type { PipelineDefinition } from '../config/pipeline-schema.ts';
import { activeSubscribers, receivedItems } from '../ledger/deliveries.ts';
import type { BuildContext } from './build-context.ts';
import { weekMonday } from './week.ts';

export interface SubscriberSelection {
  id: number;
  code: string;
  medium: string;
  copies: number;
  /** Revision ids for this subscriber's disc set, in catalog order. */
  revisionIds: number[];
}

export interface SelectOutput {
  snapshotId: number;
  /** The pipeline's current, non-superseded set. */
  current: number[];
  decisions: { revisionId: number; kb?: string; title: string; included: boolean; reason: string }[];
  subscribers: SubscriberSelection[];
}

/**
 * Picks the pipeline's current set from the snapshot, then each active subscriber's share of it:
 * `delta` — what they lack; `full` — all of it.
 */
export async function selectStage(
  ctx: BuildContext,
  pipeline: PipelineDefinition,
  week: string,
  snapshotId: number,
  snapshot: CatalogSnapshot,
): Promise<SelectOutput> {
  const { selected, decisions } = selectUpdates(snapshot, pipeline);
  const subscribers: SubscriberSelection[] = [];
  for (const s of await activeSubscribers(ctx.ledger, { pipeline: pipeline.name, date: weekMonday(week) })) {
    const received = await receivedItems(ctx.ledger, s.id, pipeline.name);
    const mine: CatalogUpdate[] = selectForSubscriber(selected, received, pipeline.content);
    subscribers.push({
      id: s.id,
      code: s.code,
      medium: s.medium,
      copies: s.copies,
      revisionIds: mine.map((u) => u.revisionId),
    });
  }
  return {
    snapshotId,
    current: selected.map((u) => u.revisionId),
    decisions: decisions.map((d) => ({
      revisionId: d.revisionId,
      ...(d.kb === undefined ? {} : { kb: d.kb }),
      title: d.title,
      included: d.included,
      reason: d.reason,
    })),
    subscribers,
  };
}
