import { createHash } from 'node:crypto';
import { fetch as undiciFetch } from 'undici';
import { fileNameFromUrl } from '../catalog/file-location.ts';
import { architecturesIn } from '../catalog/select-updates.ts';
import { fetchDownloadDialog, searchUpdateCatalog } from '../catalog/search-update-catalog.ts';
import type { CatalogSnapshot, CatalogUpdate } from '../catalog/snapshot.ts';
import type { PipelineDefinition } from '../config/pipeline-schema.ts';
import type { BuildContext } from './build-context.ts';

/**
 * Update Catalog updates have no wsusscn2 RevisionId; a stable negative id derived from the update's
 * GUID keeps them apart from every real revision.
 */
export function syntheticRevisionId(updateId: string): number {
  return -(parseInt(createHash('sha1').update(updateId.toLowerCase()).digest('hex').slice(0, 8), 16) & 0x3fffffff) - 1;
}

/** KBs that pipelines name in includeKbs but the snapshot lacks (wsusscn2 carries only security content). */
export function missingIncludedKbs(snapshot: CatalogSnapshot, pipelines: PipelineDefinition[]): Map<string, PipelineDefinition[]> {
  const have = new Set(snapshot.bundles.map((b) => b.kb).filter((k): k is string => k !== undefined));
  const out = new Map<string, PipelineDefinition[]>();
  for (const p of pipelines) {
    for (const kb of p.includeKbs) {
      if (have.has(kb)) continue;
      out.set(kb, [...(out.get(kb) ?? []), p]);
    }
  }
  return out;
}

/**
 * Looks up, on the Microsoft Update Catalog, each KB a pipeline includes that wsusscn2 lacks, and adds
 * it to the snapshot as `source: 'update-catalog'` updates (one per catalog row of the pipelines'
 * architectures) with the file URLs and SHA-1 digests of DownloadDialog.aspx. A KB that cannot be found
 * is a warning, never a failed build.
 */
export async function addUpdateCatalogExtras(ctx: BuildContext, snapshot: CatalogSnapshot): Promise<CatalogSnapshot> {
  const missing = missingIncludedKbs(snapshot, ctx.pipelines);
  if (missing.size === 0) return snapshot;
  const client = {
    baseUrl: ctx.config.upstream.updateCatalogUrl,
    fetch: ((url: string, init?: RequestInit) =>
      undiciFetch(url, { ...(init as object), ...(ctx.dispatcher ? { dispatcher: ctx.dispatcher } : {}) })) as unknown as typeof globalThis.fetch,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  };
  const extra: CatalogUpdate[] = [];
  const warnings: string[] = [];
  for (const [kb, pipelines] of missing) {
    try {
      const { rows } = await searchUpdateCatalog(kb, client);
      const archs = new Set(pipelines.flatMap((p) => p.architectures));
      const wanted = rows.filter((r) => {
        if (!r.title.toUpperCase().includes(`KB${kb}`)) return false;
        const named = architecturesIn(r.title);
        return archs.size === 0 || named.size === 0 || [...named].some((a) => archs.has(a));
      });
      if (wanted.length === 0) {
        warnings.push(`KB${kb} (includeKbs of ${pipelines.map((p) => p.name).join(', ')}) is neither in wsusscn2.cab nor on the Update Catalog`);
        continue;
      }
      const dialog = await fetchDownloadDialog(wanted.map((r) => r.updateId), client);
      for (const row of wanted) {
        const d = dialog.find((u) => u.updateId.toLowerCase() === row.updateId.toLowerCase());
        const files = (d?.files ?? []).flatMap((f) => {
          const n = fileNameFromUrl(f.url);
          if ('reason' in n) {
            warnings.push(`KB${kb}: file URL ${f.url} refused: ${n.reason}`);
            return [];
          }
          return [{ sha1: f.sha1, url: f.url, name: n.name, ...(row.sizeBytes !== undefined && d?.files.length === 1 ? { size: row.sizeBytes } : {}) }];
        });
        if (files.length === 0) {
          warnings.push(`KB${kb}: the Update Catalog lists ${row.title} without files; left out`);
          continue;
        }
        extra.push({
          updateId: row.updateId.toLowerCase(),
          revisionId: syntheticRevisionId(row.updateId),
          revisionNumber: 0,
          kb,
          title: row.title,
          creationDate: isoFromCatalogDate(row.lastUpdated),
          productIds: [],
          products: [row.products],
          classificationIds: [],
          classifications: [row.classification],
          languages: [],
          superseded: false,
          supersededBy: [],
          files,
          cves: [],
          source: 'update-catalog',
        });
      }
    } catch (err) {
      warnings.push(`KB${kb}: Update Catalog lookup failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  for (const w of warnings) ctx.events.log('warn', w);
  return { ...snapshot, bundles: [...snapshot.bundles, ...extra], warnings: [...snapshot.warnings, ...warnings] };
}

/** The catalog shows dates as M/D/YYYY; the snapshot keeps ISO 8601. */
function isoFromCatalogDate(text: string): string {
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text.trim());
  return m ? `${m[3]}-${m[1]!.padStart(2, '0')}-${m[2]!.padStart(2, '0')}T00:00:00Z` : text;
}
