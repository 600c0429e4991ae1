import type { CvrfSummary } from './cvrf.ts';
import type { CatalogSnapshot } from './snapshot.ts';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** MSRC's document id for the month of an ISO date: "2026-11-10T…" → "2026-Nov". */
export function cvrfMonthId(isoDate: string): string | undefined {
  const m = /^(\d{4})-(\d{2})/.exec(isoDate);
  const month = m ? MONTHS[Number(m[2]) - 1] : undefined;
  return m && month ? `${m[1]}-${month}` : undefined;
}

/** The CVRF documents that can describe the snapshot's current (non-superseded) bundles. */
export function cvrfMonthsFor(snapshot: CatalogSnapshot): string[] {
  const ids = new Set<string>();
  for (const b of snapshot.bundles) {
    if (b.superseded || b.kb === undefined) continue;
    const id = cvrfMonthId(b.creationDate);
    if (id) ids.add(id);
  }
  return [...ids].sort();
}

/**
 * Adds each KB's CVEs (union) and, where the catalog gives none, its MSRC severity. Pure: returns a
 * new snapshot; bundles whose KB no document mentions are unchanged.
 */
export function enrichWithCvrf(snapshot: CatalogSnapshot, documents: CvrfSummary[]): CatalogSnapshot {
  const byKb = new Map<string, { cves: Set<string>; severity?: string }>();
  for (const doc of documents) {
    for (const k of doc.kbs) {
      let e = byKb.get(k.kb);
      if (!e) {
        e = { cves: new Set() };
        byKb.set(k.kb, e);
      }
      for (const c of k.cves) e.cves.add(c);
      if (k.severity !== undefined && e.severity === undefined) e.severity = k.severity;
    }
  }
  return {
    ...snapshot,
    bundles: snapshot.bundles.map((b) => {
      const e = b.kb === undefined ? undefined : byKb.get(b.kb);
      if (!e) return b;
      const severity = b.severity ?? e.severity;
      return {
        ...b,
        cves: [...new Set([...b.cves, ...e.cves])].sort(),
        ...(severity === undefined ? {} : { severity }),
      };
    }),
  };
}
