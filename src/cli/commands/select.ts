import { selectForSubscriber, selectUpdates } from '../../catalog/select-updates.ts';
import { pickPipelines } from '../../config/load-config.ts';
import { PatchdiscError } from '../../errors.ts';
import { latestSnapshot } from '../../ledger/catalog-snapshots.ts';
import { receivedItems } from '../../ledger/deliveries.ts';
import { getSubscriber } from '../../ledger/subscribers.ts';
import type { CliIo, GlobalOptions } from '../cli-io.ts';
import { openWorkspace } from '../workspace.ts';

export interface SelectCommandOptions extends GlobalOptions {
  pipeline: string;
  subscriber?: string;
}

/** `patchdisc select --pipeline NAME [--subscriber CODE]`: what the last synced catalog selects, and why. */
export async function selectCommand(opts: SelectCommandOptions, io: CliIo): Promise<number> {
  const ws = await openWorkspace(opts, io);
  try {
    const [pipeline] = pickPipelines(ws.pipelines, [opts.pipeline]);
    const stored = await latestSnapshot(ws.ledger, 'wsusscn2');
    if (!stored) throw new PatchdiscError('NOT_FOUND', 'Cannot select: no catalog has been synced yet; run patchdisc build first (or build --dry-run)');
    const { selected, decisions } = selectUpdates(stored.snapshot, pipeline!);
    let forSubscriber: number[] | undefined;
    if (opts.subscriber) {
      const sub = await getSubscriber(ws.ledger, opts.subscriber);
      if (!sub) throw new PatchdiscError('NOT_FOUND', `Cannot select for ${opts.subscriber}: no such subscriber`);
      const received = await receivedItems(ws.ledger, sub.id, pipeline!.name);
      forSubscriber = selectForSubscriber(selected, received, pipeline!.content).map((u) => u.revisionId);
    }
    const subSet = forSubscriber ? new Set(forSubscriber) : undefined;
    const rows = decisions.map((d) => ({
      ...d,
      ...(subSet ? { forSubscriber: subSet.has(d.revisionId) } : {}),
    }));
    if (ws.reporter.json) {
      ws.reporter.result({ pipeline: pipeline!.name, snapshotId: stored.id, selected: selected.map((u) => u.revisionId), ...(opts.subscriber ? { subscriber: opts.subscriber, forSubscriber } : {}), decisions: rows });
    } else {
      ws.reporter.line(`${pipeline!.name}: ${selected.length} of ${decisions.length} updates selected (catalog snapshot ${stored.id})`);
      for (const d of rows) {
        const mark = d.included ? (subSet ? (subSet.has(d.revisionId) ? '+' : '=') : '+') : '-';
        ws.reporter.line(`${mark} ${d.kb ? `KB${d.kb}` : String(d.revisionId)}  ${d.title} — ${d.reason}`);
      }
      if (subSet) ws.reporter.line(`(+ on ${opts.subscriber}'s next disc, = already received, - not selected)`);
    }
    return 0;
  } finally {
    await ws.close();
  }
}
