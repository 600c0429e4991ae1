/**
 * The package.xml model parsePackageXml builds: what the snapshot needs of each update (categories,
 * supersedence, bundles, payload SHA-1s, languages) and of each file location.
 */
import type { CheckedLocation } from './file-location.ts';

export const OFFLINE_SYNC_NS = 'http://schemas.microsoft.com/msus/2004/02/OfflineSync';

export interface PackageCategory {
  readonly type: string;
  /** Lowercase GUID. */
  readonly id: string;
}

export interface PackageUpdate {
  updateId: string;
  revisionId: number;
  revisionNumber: number;
  creationDate: string;
  isBundle: boolean;
  /** Shared between updates: never modify. */
  categories: readonly PackageCategory[];
  supersededBy: readonly number[];
  bundledBy: readonly number[];
  /** SHA-1 hex of PayloadFiles/File@Id. */
  payloadSha1s: readonly string[];
  languages: readonly string[];
}

export interface PackageXml {
  packageId: string;
  creationDate: string;
  updates: Map<number, PackageUpdate>;
  /** Usable locations by SHA-1 hex. */
  locations: Map<string, CheckedLocation>;
  /** Locations dropped for an unusable file name, by SHA-1 hex, with the reason. */
  rejectedLocations: Map<string, string>;
}
