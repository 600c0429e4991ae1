/**
 * Joins package.xml records and detail fragments into a CatalogSnapshot, one CatalogUpdate per
 * bundle. Joins as WSUS Offline does (catalog-formats §1, FORMAT-NOTES §3): bundle → children whose
 * BundledBy names it → PayloadFiles → FileLocation; supersedence from SupersededBy, counted only when
 * the superseding revision exists and is a bundle. Pure: no I/O.
 */
import type { CatalogFile, CatalogSnapshot, CatalogUpdate } from './snapshot.ts';
import type { FragmentRequest } from './detail-cabinets.ts';
import { parseExtendedFragment, parseLocalizedTitle, type ExtendedProperties, type FragmentFile } from './detail-fragments.ts';
import type { PackageUpdate, PackageXml } from './package-xml.ts';

const CATEGORY_LANGUAGE = 'en';

/** Children of each bundle, by bundle RevisionId. */
function childrenByBundle(pkg: PackageXml): Map<number, PackageUpdate[]> {
  const children = new Map<number, PackageUpdate[]>();
  for (const update of pkg.updates.values()) {
    for (const parent of update.bundledBy) {
      const list = children.get(parent) ?? [];
      list.push(update);
      children.set(parent, list);
    }
  }
  return children;
}

/** The category update (highest revision) for each category GUID referenced by a bundle. */
function categoryRevisions(pkg: PackageXml): Map<string, number> {
  const wanted = new Set<string>();
  for (const update of pkg.updates.values()) {
    if (update.isBundle) for (const c of update.categories) wanted.add(c.id);
  }
  const best = new Map<string, PackageUpdate>();
  for (const update of pkg.updates.values()) {
    if (!wanted.has(update.updateId)) continue;
    const seen = best.get(update.updateId);
    if (!seen || update.revisionNumber > seen.revisionNumber) best.set(update.updateId, update);
  }
  return new Map([...best].map(([id, u]) => [id, u.revisionId]));
}

/** Every detail fragment the snapshot needs. */
export function snapshotFragmentRequests(pkg: PackageXml, language: string): FragmentRequest[] {
  const requests: FragmentRequest[] = [];
  const children = childrenByBundle(pkg);
  for (const update of pkg.updates.values()) {
    if (!update.isBundle) continue;
    requests.push({ kind: 'x', revisionId: update.revisionId }, { kind: `l/${language}`, revisionId: update.revisionId });
    if (language !== CATEGORY_LANGUAGE) requests.push({ kind: `l/${CATEGORY_LANGUAGE}`, revisionId: update.revisionId });
    for (const child of children.get(update.revisionId) ?? []) requests.push({ kind: 'x', revisionId: child.revisionId });
  }
  for (const revisionId of categoryRevisions(pkg).values()) requests.push({ kind: `l/${CATEGORY_LANGUAGE}`, revisionId });
  return requests;
}

export interface BuildSnapshotOptions {
  language: string;
  onWarning: (warning: string) => void;
}

/** Builds the snapshot from parsed package.xml and fragment texts keyed by path (`x/123`). */
export function buildSnapshot(pkg: PackageXml, fragments: ReadonlyMap<string, string>, options: BuildSnapshotOptions): CatalogSnapshot {
  const warnings: string[] = [];
  const warn = (w: string): void => {
    warnings.push(w);
    options.onWarning(w);
  };
  const extendedCache = new Map<number, ExtendedProperties | undefined>();
  const extended = (revisionId: number): ExtendedProperties | undefined => {
    if (!extendedCache.has(revisionId)) {
      const text = fragments.get(`x/${revisionId}`);
      extendedCache.set(revisionId, text === undefined ? undefined : parseExtendedFragment(text, `x/${revisionId}`, warn));
    }
    return extendedCache.get(revisionId);
  };
  const title = (revisionId: number, language: string): string | undefined => {
    const text = fragments.get(`l/${language}/${revisionId}`);
    return text === undefined ? undefined : parseLocalizedTitle(text, `l/${language}/${revisionId}`);
  };

  const categoryNames = new Map<string, string>();
  for (const [id, revisionId] of categoryRevisions(pkg)) {
    const name = title(revisionId, CATEGORY_LANGUAGE);
    if (name !== undefined) categoryNames.set(id, name);
  }
  const missingCategories = new Set<string>();
  const categoryName = (id: string): string => {
    const name = categoryNames.get(id);
    if (name !== undefined) return name;
    if (!missingCategories.has(id)) {
      missingCategories.add(id);
      warn(`Category ${id} has no title in l/${CATEGORY_LANGUAGE}/; its GUID stands in for its name`);
    }
    return id;
  };

  const children = childrenByBundle(pkg);
  const bundles: CatalogUpdate[] = [];
  for (const update of pkg.updates.values()) {
    if (!update.isBundle) continue;
    const props = extended(update.revisionId);
    const name = title(update.revisionId, options.language) ?? title(update.revisionId, CATEGORY_LANGUAGE);
    if (name === undefined) warn(`Update ${update.revisionId} (${update.updateId}) has no title in l/${options.language}/`);
    const shownTitle = name ?? `Update ${update.updateId}`;

    const supersededBy = update.supersededBy.filter((r) => pkg.updates.has(r));
    const productIds = update.categories.filter((c) => c.type === 'Product').map((c) => c.id);
    const classificationIds = update.categories.filter((c) => c.type === 'UpdateClassification').map((c) => c.id);
    const kids = children.get(update.revisionId) ?? [];
    const languages = [...new Set([...update.languages, ...kids.flatMap((k) => k.languages)])];
    const missing: string[] = [];

    const entry: CatalogUpdate = {
      updateId: update.updateId,
      revisionId: update.revisionId,
      revisionNumber: update.revisionNumber,
      title: shownTitle,
      creationDate: update.creationDate,
      productIds,
      products: productIds.map(categoryName),
      classificationIds,
      classifications: classificationIds.map(categoryName),
      languages,
      superseded: supersededBy.some((r) => pkg.updates.get(r)?.isBundle === true),
      supersededBy,
      files: bundleFiles(pkg, update, kids, extended, shownTitle, (w, reason) => {
        warn(w);
        missing.push(reason);
      }),
      cves: [],
      source: 'wsusscn2',
    };
    if (missing.length > 0) entry.unavailable = missing.join('; ');
    if (props?.kb !== undefined) entry.kb = props.kb;
    if (props?.severity !== undefined) entry.severity = props.severity;
    bundles.push(entry);
  }
  bundles.sort((a, b) => a.revisionId - b.revisionId);
  return { packageId: pkg.packageId, creationDate: pkg.creationDate, bundles, warnings };
}

function bundleFiles(
  pkg: PackageXml,
  bundle: PackageUpdate,
  kids: PackageUpdate[],
  extended: (revisionId: number) => ExtendedProperties | undefined,
  title: string,
  unavailable: (warning: string, reason: string) => void,
): CatalogFile[] {
  const files = new Map<string, CatalogFile>();
  for (const owner of [bundle, ...kids]) {
    const described = extended(owner.revisionId)?.files ?? [];
    for (const sha1 of owner.payloadSha1s) {
      if (files.has(sha1)) continue;
      const location = pkg.locations.get(sha1);
      if (!location) {
        const why = pkg.rejectedLocations.get(sha1) ?? 'package.xml has no FileLocation for it';
        unavailable(
          `Update ${bundle.revisionId} "${title}" is unavailable in part: payload ${sha1} of revision ${owner.revisionId} cannot be downloaded (${why})`,
          `payload ${sha1} cannot be downloaded (${why})`,
        );
        continue;
      }
      const file: CatalogFile = { sha1, url: location.url, name: location.name };
      const info = matchFragmentFile(described, sha1, location.name);
      if (info?.size !== undefined) file.size = info.size;
      if (info?.sha256 !== undefined) file.sha256 = info.sha256;
      files.set(sha1, file);
    }
  }
  return [...files.values()];
}

/** The x/ Files/File entry describing a payload: by SHA-1 digest, else by file name. */
function matchFragmentFile(described: FragmentFile[], sha1: string, name: string): FragmentFile | undefined {
  return (
    described.find((f) => f.sha1 === sha1) ??
    described.find((f) => f.sha1 === undefined && f.fileName !== undefined && f.fileName.toLowerCase() === name.toLowerCase())
  );
}
