import type { CatalogSnapshot } from '../catalog/snapshot.ts';
import type { PipelineDefinition } from '../config/pipeline-schema.ts';
import { THIN_SUFFIX } from '../iso/thin-image.ts';
import type { FetchOutput } from './stage-fetch.ts';
import type { MasterOutput } from './stage-master.ts';
import type { PlanOutput } from './stage-plan.ts';
import type { SelectOutput } from './stage-select.ts';

export interface ReportDisc {
  number: number;
  of: number;
  volumeId: string;
  iso: string;
  bytes: number;
  sha256: string;
}

export interface ReportSet {
  subscriber: string;
  sequence: number;
  medium: string;
  quiet: boolean;
  kbs: string[];
  bytes: number;
  discs: ReportDisc[];
}

/** What changed in the catalog since the pipeline's previous build, as far as the pipeline is concerned. */
export interface CatalogChanges {
  /** The week of the previous build compared with; null for a pipeline's first build. */
  since: string | null;
  /** Updates now in the pipeline's current set that the previous catalog did not have. */
  added: { revisionId: number; kb?: string; title: string }[];
  /** Updates of the previous current set that are superseded now. */
  newlySuperseded: { revisionId: number; kb?: string; title: string }[];
  /** Catalog-wide counts. */
  revised: number;
  removed: number;
}

export interface PipelineReport {
  pipeline: string;
  title: string;
  buildId: number;
  catalog: { packageId: string; creationDate: string; changed: boolean };
  changes: CatalogChanges;
  current: { revisionId: number; kb?: string; title: string }[];
  unavailable: { revisionId: number; kb?: string; title: string; reason: string }[];
  failedDownloads: FetchOutput['failed'];
  sets: ReportSet[];
  shipments: { id: number; subscriber: string; status: string }[];
}

export interface WeekReport {
  week: string;
  /** True when every build of the week was already done: nothing was fetched or written. */
  upToDate: boolean;
  pipelines: PipelineReport[];
}

/** The persisted summary of one pipeline's weekly build. */
export function buildReport(
  pipeline: PipelineDefinition,
  buildId: number,
  changed: boolean,
  snapshot: CatalogSnapshot,
  select: SelectOutput,
  fetched: FetchOutput,
  plan: PlanOutput,
  master: MasterOutput,
  shipments: { id: number; subscriberCode: string; status: string }[],
  changes: CatalogChanges,
): PipelineReport {
  const byRev = new Map(snapshot.bundles.map((b) => [b.revisionId, b]));
  return {
    pipeline: pipeline.name,
    title: pipeline.title,
    buildId,
    catalog: { packageId: snapshot.packageId, creationDate: snapshot.creationDate, changed },
    changes,
    current: select.current.map((r) => {
      const u = byRev.get(r);
      return { revisionId: r, ...(u?.kb === undefined ? {} : { kb: u.kb }), title: u?.title ?? '' };
    }),
    unavailable: plan.unavailable,
    failedDownloads: fetched.failed,
    sets: plan.sets.map((set) => ({
      subscriber: set.code,
      sequence: set.sequence,
      medium: set.medium,
      quiet: set.quiet,
      kbs: [...new Set(set.items.map((i) => i.kb).filter((k): k is string => k !== undefined))],
      bytes: set.discs.reduce((s, d) => s + d.files.reduce((t, f) => t + f.size, 0), 0),
      discs: master.discs
        .filter((d) => d.subscriberId === set.subscriberId && d.pipeline === set.pipeline)
        .map((d) => ({ number: d.number, of: d.of, volumeId: d.volumeId, iso: d.isoPath, bytes: d.bytes, sha256: d.sha256 })),
    })),
    shipments: shipments.map((s) => ({ id: s.id, subscriber: s.subscriberCode, status: s.status })),
  };
}

/** A few lines a release engineer reads after the build. */
export function formatWeekReport(r: WeekReport): string[] {
  const lines: string[] = [];
  if (r.upToDate) lines.push(`week ${r.week}: up to date (nothing to do)`);
  for (const p of r.pipelines) {
    lines.push(`week ${r.week} · ${p.pipeline} (${p.title}): ${p.current.length} current updates, catalog ${p.catalog.packageId}${p.catalog.changed ? ' (new)' : ''}`);
    // Reports stored before `changes` existed lack it.
    const c = p.changes as CatalogChanges | undefined;
    if (c !== undefined && c.since !== null) {
      lines.push(`  since ${c.since}: ${c.added.length} new, ${c.newlySuperseded.length} newly superseded for this pipeline (catalog-wide: ${c.revised} revised, ${c.removed} removed)`);
      for (const u of c.added) lines.push(`    + ${u.kb ? `KB${u.kb}` : u.revisionId} ${u.title}`);
      for (const u of c.newlySuperseded) lines.push(`    − ${u.kb ? `KB${u.kb}` : u.revisionId} ${u.title} (superseded)`);
    }
    for (const u of p.unavailable) lines.push(`  unavailable: ${u.kb ? `KB${u.kb}` : u.revisionId} ${u.title}: ${u.reason}`);
    for (const s of p.sets) {
      const what = s.quiet ? 'nothing new (quiet week disc)' : `${s.kbs.length} KBs, ${(s.bytes / 1e6).toFixed(1)} MB`;
      lines.push(`  ${s.subscriber} seq ${s.sequence} on ${s.medium}: ${what}`);
      for (const d of s.discs) {
        // A thin image is the master plus this disc's own tail: exported to an .iso for burning.
        const thin = d.iso.endsWith(THIN_SUFFIX) ? `; thin image, burn it with: patchdisc iso export ${d.iso} --out FILE.iso (or --out - into the burner)` : '';
        lines.push(`    disc ${d.number}/${d.of} ${d.volumeId} ${d.iso} (${d.bytes} bytes, sha256 ${d.sha256.slice(0, 16)}…${thin})`);
      }
    }
    for (const sh of p.shipments) lines.push(`  shipment #${sh.id} ${sh.subscriber}: ${sh.status}`);
  }
  return lines;
}
