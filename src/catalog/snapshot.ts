/**
 * The catalog model every stage shares: what one read of Microsoft's catalog says, independent of
 * the source it came from (wsusscn2.cab, Update Catalog, CVRF enrichment).
 */

/** One payload file of an update, as the catalog describes it. */
export interface CatalogFile {
  /** SHA-1 of the file, 40 lowercase hex digits (from FileLocation@Id, base64 in package.xml). */
  sha1: string;
  /** Download URL exactly as the catalog gives it. */
  url: string;
  /** File name: the last path segment of the URL (validated: no `/`, `\`, `..`). */
  name: string;
  /** Size in bytes when the catalog gives it (x/ fragment Files/File@Size), else undefined. */
  size?: number;
  /** SHA-256, 64 lowercase hex, when the catalog gives it (AdditionalDigest Algorithm="SHA256"). */
  sha256?: string;
}

/** One bundle update (IsBundle=true) with the payload files of its children. */
export interface CatalogUpdate {
  updateId: string;
  revisionId: number;
  revisionNumber: number;
  /** KB number, digits only ("5034441"), from x/<rev> KBArticleID; undefined when absent. */
  kb?: string;
  title: string;
  /** ISO 8601 UTC creation date of the revision. */
  creationDate: string;
  /** Product category GUIDs (lowercase) and their names. */
  productIds: string[];
  products: string[];
  /** Classification category GUIDs (lowercase) and their names ("Security Updates", ...). */
  classificationIds: string[];
  classifications: string[];
  /** MSRC severity from x/<rev> MsrcSeverity ("Critical", "Important", ...), when given. */
  severity?: string;
  /** Languages of the update (empty = language neutral). */
  languages: string[];
  /** Superseded the WSUS Offline way: at least one superseding revision exists and is a bundle. */
  superseded: boolean;
  /** RevisionIds of superseding updates that exist in this catalog. */
  supersededBy: number[];
  /** Payload files of the bundle's children (deduplicated by sha1). */
  files: CatalogFile[];
  /** CVE ids from CVRF enrichment. */
  cves: string[];
  /**
   * Why the update cannot be put on a disc although the catalog lists it (a payload without a usable
   * FileLocation: missing, or a refused file name); absent when every payload can be fetched.
   */
  unavailable?: string;
  /** Free-form source tag: 'wsusscn2' | 'update-catalog'. */
  source: 'wsusscn2' | 'update-catalog';
}

export interface CatalogSnapshot {
  /** OfflineSyncPackage@PackageId. */
  packageId: string;
  /** OfflineSyncPackage@CreationDate. */
  creationDate: string;
  bundles: CatalogUpdate[];
  /** Non-fatal observations made while reading (unknown elements, unavailable payloads, ...). */
  warnings: string[];
}
