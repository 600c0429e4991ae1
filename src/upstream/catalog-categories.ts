import { PatchdiscError } from '../errors.ts';

/*
 * Category GUIDs of the simulated catalog. Real Microsoft Update category ids wherever we found them in
 * public code; anything not found is marked SYNTHETIC. Sources (public repositories, read through the
 * code index; not copied):
 * - Windows 10 / Windows Server 2019 / Windows 10 version 1903 and later: wsusoffline XSL comment
 *   listing "Product Ids" (a3c2375d…, f702a48c…, b3c75dc1…).
 * - Windows 11 72e7624a…: a WSUS client library's WellKnownProduct list.
 * - Windows Server 2022 is published as product "Microsoft Server operating system-21H2",
 *   71718f13-7324-4b0f-8f9e-2ca9dc978e53 (several WSUS admin scripts translate that product id).
 * - Classifications 0fa1201d…, e6cf1350…, cd5ffd1e…, 68c5b0a3…, 28bc880e…: the project brief, and
 *   0fa1201d… also appears in the vuls wsusscn2 fixture; company 56309036… is in the vuls fixture.
 */

export type ProductKey = 'win10-22h2' | 'win11-24h2' | 'ws2019' | 'ws2022';
export type Arch = 'x64' | 'x86' | 'arm64';
export type ClassificationKey = 'security' | 'critical' | 'updates' | 'servicePacks' | 'rollups';

export interface ProductInfo {
  key: ProductKey;
  /** The WSUS product category this release is published under. */
  categoryId: string;
  categoryTitle: string;
  /** How titles name it, e.g. "Windows 10 Version 22H2". */
  titleName: string;
  archs: readonly Arch[];
  /** File name prefix, e.g. windows10.0 (as in windows10.0-kb5046613-x64_<sha1>.msu). */
  filePrefix: string;
  /** Current build prefix for FixedBuild in CVRF. */
  build: string;
  /** CVRF ProductID per architecture (real MSRC ids, from the 2025-Nov fixture's product tree). */
  cvrfProductIds: Readonly<Partial<Record<Arch, string>>>;
  cvrfProductNames: Readonly<Partial<Record<Arch, string>>>;
  /** Whether this product still ships standalone servicing stack updates. */
  hasStandaloneSsu: boolean;
}

export const PRODUCTS: readonly ProductInfo[] = [
  {
    key: 'win10-22h2',
    categoryId: 'b3c75dc1-155f-4be4-b015-3f1a91758e52',
    categoryTitle: 'Windows 10, version 1903 and later',
    titleName: 'Windows 10 Version 22H2',
    archs: ['x64', 'x86'],
    filePrefix: 'windows10.0',
    build: '10.0.19045',
    cvrfProductIds: { x64: '12097', x86: '12099' },
    cvrfProductNames: {
      x64: 'Windows 10 Version 22H2 for x64-based Systems',
      x86: 'Windows 10 Version 22H2 for 32-bit Systems',
    },
    hasStandaloneSsu: true,
  },
  {
    key: 'win11-24h2',
    categoryId: '72e7624a-5b00-45d2-b92f-e561c0a6a160',
    categoryTitle: 'Windows 11',
    titleName: 'Windows 11 Version 24H2',
    archs: ['x64', 'arm64'],
    filePrefix: 'windows11.0',
    build: '10.0.26100',
    cvrfProductIds: { x64: '12390', arm64: '12389' },
    cvrfProductNames: {
      x64: 'Windows 11 Version 24H2 for x64-based Systems',
      arm64: 'Windows 11 Version 24H2 for ARM64-based Systems',
    },
    hasStandaloneSsu: false,
  },
  {
    key: 'ws2019',
    categoryId: 'f702a48c-919b-45d6-9aef-ca4248d50397',
    categoryTitle: 'Windows Server 2019',
    titleName: 'Windows Server 2019',
    archs: ['x64'],
    filePrefix: 'windows10.0',
    build: '10.0.17763',
    cvrfProductIds: { x64: '11571' },
    cvrfProductNames: { x64: 'Windows Server 2019' },
    hasStandaloneSsu: true,
  },
  {
    key: 'ws2022',
    categoryId: '71718f13-7324-4b0f-8f9e-2ca9dc978e53',
    categoryTitle: 'Microsoft Server operating system-21H2',
    titleName: 'Microsoft server operating system version 21H2',
    archs: ['x64'],
    filePrefix: 'windows10.0',
    build: '10.0.20348',
    cvrfProductIds: { x64: '11923' },
    cvrfProductNames: { x64: 'Windows Server 2022' },
    hasStandaloneSsu: false,
  },
];

export interface ClassificationInfo {
  key: ClassificationKey;
  id: string;
  title: string;
  /** Folder under msdownload/update/software/ that Microsoft uses for this kind of file. */
  urlFolder: string;
}

export const CLASSIFICATIONS: readonly ClassificationInfo[] = [
  { key: 'security', id: '0fa1201d-4330-4fa8-8ae9-b877473b6441', title: 'Security Updates', urlFolder: 'secu' },
  { key: 'critical', id: 'e6cf1350-c01b-414d-a61f-263d14d133b4', title: 'Critical Updates', urlFolder: 'crup' },
  { key: 'updates', id: 'cd5ffd1e-e932-4e3a-bf74-18bf0b1bbd83', title: 'Updates', urlFolder: 'updt' },
  { key: 'servicePacks', id: '68c5b0a3-d1a6-4553-ae49-01d3a7827828', title: 'Service Packs', urlFolder: 'svpk' },
  { key: 'rollups', id: '28bc880e-0592-4cbf-8f95-c79b17911d5f', title: 'Update Rollups', urlFolder: 'uprl' },
];

/** Company "Microsoft Corporation" (as in the vuls fixture). */
export const COMPANY_MICROSOFT = { id: '56309036-4c77-4dd9-951a-99ee9c246a94', title: 'Microsoft Corporation' };
/** Product family "Windows". SYNTHETIC: no public source for its real id was found. */
export const PRODUCT_FAMILY_WINDOWS = { id: '6964aab4-c5b5-43bd-a17d-ffb4346a8e1d', title: 'Windows' };

export function productInfo(key: ProductKey): ProductInfo {
  const found = PRODUCTS.find((p) => p.key === key);
  if (found === undefined) throw new PatchdiscError('INTERNAL', `Cannot describe product ${key}: it is not simulated`);
  return found;
}

export function classificationInfo(key: ClassificationKey): ClassificationInfo {
  const found = CLASSIFICATIONS.find((c) => c.key === key);
  if (found === undefined) throw new PatchdiscError('INTERNAL', `Cannot describe classification ${key}: it is not simulated`);
  return found;
}

/** How titles and file names spell an architecture. */
export const ARCH_TITLE: Readonly<Record<Arch, string>> = {
  x64: 'x64-based Systems',
  x86: 'x86-based Systems',
  arm64: 'ARM64-based Systems',
};
