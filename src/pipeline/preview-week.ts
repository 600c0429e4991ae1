import type { CatalogUpdate } from '../catalog/snapshot.ts';
import type { BuildContext } from './build-context.ts';
import type { FetchOutput } from './stage-fetch.ts';
import { planStage, type PlannedSet } from './stage-plan.ts';
import { selectStage } from './stage-select.ts';
import { syncCatalog } from './stage-sync.ts';

export interface WeekPreview {
  week: string;
  pipelines: {
    pipeline: string;
    subscribers: { subscriber: string; sequence: number; quiet: boolean; kbs: string[]; bytes: number; discs: { volumeId: string; files: number; bytes: number }[] }[];
  }[];
  lines: string[];
}

/**
 * What `build --dry-run` shows: the catalog read into a temp folder, each subscriber's selection and
 * disc plan, sizes from the catalog. Nothing is written to the data dir or the ledger.
 */
export async function previewWeek(ctx: BuildContext, week: string): Promise<WeekPreview> {
  const { snapshot } = await syncCatalog(ctx, { persist: false });
  const byRev = new Map(snapshot.bundles.map((b) => [b.revisionId, b]));
  const lines: string[] = [`preview of week ${week} (dry run: nothing is written)`];
  const pipelines: WeekPreview['pipelines'] = [];
  const sequenceBase = new Map<number, { sequence: number; manifestSha256: string | null }>();
  for (const p of ctx.pipelines) {
    const select = await selectStage(ctx, p, week, -1, snapshot);
    const updates = new Map<number, CatalogUpdate>();
    for (const s of select.subscribers) for (const r of s.revisionIds) updates.set(r, byRev.get(r)!);
    const fetched: FetchOutput = { files: {}, failed: [] };
    for (const u of updates.values()) for (const f of u.files) fetched.files[f.sha1] = { sha256: f.sha256 ?? '0'.repeat(64), size: f.size ?? 0 };
    const plan = await planStage(ctx, p, week, select, updates, fetched, sequenceBase);
    lines.push(`${p.name}: ${select.current.length} current updates`);
    const subscribers = plan.sets.map((s: PlannedSet) => {
      const bytes = s.discs.reduce((t, d) => t + d.files.reduce((u, f) => u + f.size, 0), 0);
      const kbs = [...new Set(s.items.map((i) => i.kb).filter((k): k is string => k !== undefined))].map((k) => `KB${k}`);
      lines.push(`  ${s.code} seq ${s.sequence}: ${s.quiet ? 'nothing new (quiet-week disc)' : kbs.join(' ')} — ${(bytes / 1e6).toFixed(1)} MB on ${s.discs.length} ${s.medium} disc(s)`);
      return {
        subscriber: s.code,
        sequence: s.sequence,
        quiet: s.quiet,
        kbs,
        bytes,
        discs: s.discs.map((d) => ({ volumeId: d.volumeId, files: d.files.length, bytes: d.files.reduce((u, f) => u + f.size, 0) })),
      };
    });
    pipelines.push({ pipeline: p.name, subscribers });
  }
  return { week, pipelines, lines };
}
