/**
 * The JSON view of a wsusscn2 snapshot that `patchdisc inspect wsusscn2` prints: one entry per bundle
 * with its KB, title, categories, supersedence and payload files.
 */
import type { CatalogSnapshot } from './snapshot.ts';

export interface InspectedFile {
  sha1: string;
  url: string;
  size?: number;
  sha256?: string;
}

export interface InspectedBundle {
  updateId: string;
  revisionId: number;
  kb: string | null;
  title: string;
  products: string[];
  classifications: string[];
  superseded: boolean;
  supersededBy: number[];
  files: InspectedFile[];
}

export interface InspectedWsusscn2 {
  packageId: string;
  creationDate: string;
  bundles: InspectedBundle[];
}

/** Projects a snapshot onto the inspect JSON shape (fields in a fixed order; kb null when absent). */
export function inspectWsusscn2Json(snapshot: CatalogSnapshot): InspectedWsusscn2 {
  return {
    packageId: snapshot.packageId,
    creationDate: snapshot.creationDate,
    bundles: snapshot.bundles.map((b) => ({
      updateId: b.updateId,
      revisionId: b.revisionId,
      kb: b.kb ?? null,
      title: b.title,
      products: [...b.products],
      classifications: [...b.classifications],
      superseded: b.superseded,
      supersededBy: [...b.supersededBy],
      files: b.files.map((f) => {
        const file: InspectedFile = { sha1: f.sha1, url: f.url };
        if (f.size !== undefined) file.size = f.size;
        if (f.sha256 !== undefined) file.sha256 = f.sha256;
        return file;
      }),
    })),
  };
}
