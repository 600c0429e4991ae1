import {
  CLASSIFICATIONS,
  COMPANY_MICROSOFT,
  PRODUCT_FAMILY_WINDOWS,
  PRODUCTS,
  classificationInfo,
  type Arch,
  type ProductKey,
} from './catalog-categories.ts';
import { cvesForMonth, type CveInfo } from './catalog-cves.ts';
import { makeFileName, makeTitles, type PlannedUpdate } from './catalog-naming.ts';
import {
  assertWeek,
  FIRST_MONTH,
  deterministicGuid,
  deterministicInt,
  isoSeconds,
  lastMonthAt,
  monthLabel,
  monthsAt,
  type MonthLabel,
} from './catalog-timeline.ts';
import { payloadDigests } from './payload-content.ts';

export type UpdateKind = 'cu' | 'ssu' | 'dotnet' | 'msrt' | 'langpack';

export interface CatalogFile {
  fileName: string;
  /** Path on the download host, e.g. /d/msdownload/update/software/secu/2026/11/…msu */
  urlPath: string;
  size: number;
  sha1Hex: string;
  /** base64 SHA-1, the FileLocation@Id */
  sha1Base64: string;
  sha256Hex: string;
  sha256Base64: string;
  /** Identity of the deterministic content (see payload-content.ts). */
  contentKey: string;
  modified: string;
  language?: string;
}

export interface CatalogChild {
  updateId: string;
  revisionId: number;
  revisionNumber: number;
  language?: string;
  file: CatalogFile;
}

/** One bundle update (what a person calls "an update"), with its installable children. */
export interface CatalogUpdate {
  kind: UpdateKind;
  /** Digits only, as x/<rev> KBArticleID writes it */
  kb: string;
  title: string;
  /** Titles per language (always 'en'; 'zh-cn' for language-pack updates) */
  titles: Record<string, string>;
  description: string;
  month: MonthLabel;
  created: string;
  productKey: ProductKey | 'all';
  /** Product category titles */
  products: string[];
  productIds: string[];
  arch: Arch;
  classification: string;
  classificationId: string;
  severity?: string;
  updateId: string;
  revisionId: number;
  revisionNumber: number;
  /** RevisionIds of older bundles this one replaces (all earlier months of its chain) */
  supersedes: number[];
  supersedesUpdateIds: string[];
  /** RevisionIds of newer bundles that replace this one, in this week's catalog */
  supersededBy: number[];
  children: CatalogChild[];
  files: CatalogFile[];
  cves: string[];
  /** Prerequisite UpdateIds (category ids), as package.xml lists them */
  prerequisites: string[];
}

export interface CategoryEntry {
  updateId: string;
  revisionId: number;
  revisionNumber: number;
  type: 'Company' | 'ProductFamily' | 'Product' | 'UpdateClassification';
  title: string;
  created: string;
}

export interface CatalogModel {
  seed: number;
  week: number;
  /** The Patch Tuesday week whose publication this catalog is (equal for quiet weeks). */
  publishedWeek: number;
  packageId: string;
  creationDate: string;
  months: MonthLabel[];
  cves: CveInfo[];
  categories: CategoryEntry[];
  updates: CatalogUpdate[];
  files: CatalogFile[];
}

export interface CatalogModelOptions {
  /** Multiplies every payload size (default 1). */
  payloadScale?: number;
}

const CATEGORY_REVISION_BASE = 100_001;
const MONTH_REVISION_BASE = 300_000;
const MONTH_REVISION_STRIDE = 1_000;
const KB_BASE = 5_070_000;
const MSRT_KB = '890830';
const UPDATE_REVISION_NUMBER = 200;
const MB = 1_000_000;
const SIZE_RANGE: Readonly<Record<UpdateKind, readonly [number, number]>> = {
  cu: [1.2 * MB, 2.6 * MB],
  ssu: [0.3 * MB, 0.6 * MB],
  dotnet: [0.5 * MB, 1.0 * MB],
  msrt: [0.8 * MB, 1.0 * MB],
  langpack: [0.3 * MB, 0.4 * MB],
};
/** KB = base + month slot × 100 + this offset (+ product index where per product). */
const KB_OFFSET: Readonly<Record<Exclude<UpdateKind, 'msrt'>, number>> = { cu: 1, dotnet: 11, ssu: 21, langpack: 31 };

/**
 * The catalog exactly as the simulated Microsoft publishes it at `week` for `seed`. Pure: the same
 * arguments always give the same model (payload hashes are memoised, not random).
 */
export function buildCatalogModel(seed: number, week: number, options: CatalogModelOptions = {}): CatalogModel {
  assertWeek(week);
  const scale = options.payloadScale ?? 1;
  const months = monthsAt(week);
  const lastMonth = lastMonthAt(week);
  const published = monthLabel(lastMonth);
  const categories = buildCategories();
  const updates: CatalogUpdate[] = [];
  const chains = new Map<string, CatalogUpdate[]>();
  for (const month of months) {
    let nextRevision = MONTH_REVISION_BASE + (month.index - FIRST_MONTH) * MONTH_REVISION_STRIDE;
    const allocate = (): number => nextRevision++;
    for (const planned of plannedUpdates(month)) {
      const update = makeUpdate(seed, scale, month, planned, allocate);
      const chainKey = `${planned.kind}:${planned.productKey}:${planned.arch}`;
      const chain = chains.get(chainKey) ?? [];
      for (const older of chain) {
        older.supersededBy.push(update.revisionId);
        update.supersedes.push(older.revisionId);
        update.supersedesUpdateIds.push(older.updateId);
      }
      chain.push(update);
      chains.set(chainKey, chain);
      updates.push(update);
    }
  }
  const cves = months.flatMap((m) => cvesForMonth(m, updates.filter((u) => u.month.index === m.index)));
  for (const cve of cves) {
    for (const u of updates) if (cve.kbs.includes(u.kb) && u.month.index === cve.monthIndex) u.cves.push(cve.id);
  }
  return {
    seed,
    week,
    publishedWeek: published.releaseWeek,
    packageId: deterministicGuid('package', seed, published.releaseWeek),
    creationDate: isoSeconds(new Date(published.released.getTime() + 2 * 3_600_000)),
    months,
    cves,
    categories,
    updates,
    files: updates.flatMap((u) => u.files),
  };
}


function plannedUpdates(month: MonthLabel): PlannedUpdate[] {
  const planned: PlannedUpdate[] = [];
  const slot = month.index + 2;
  // Standalone servicing stack updates ship every other month, before the cumulative updates.
  if (slot % 2 === 0) {
    for (const product of PRODUCTS.filter((p) => p.hasStandaloneSsu)) {
      for (const arch of product.archs) planned.push({ kind: 'ssu', productKey: product.key, product, arch, classification: 'security' });
    }
  }
  for (const kind of ['cu', 'dotnet'] as const) {
    for (const product of PRODUCTS) {
      for (const arch of product.archs) planned.push({ kind, productKey: product.key, product, arch, classification: 'security' });
    }
  }
  const ws2022 = PRODUCTS.find((p) => p.key === 'ws2022');
  if (ws2022 !== undefined) planned.push({ kind: 'langpack', productKey: 'ws2022', product: ws2022, arch: 'x64', classification: 'security' });
  planned.push({ kind: 'msrt', productKey: 'all', arch: 'x64', classification: 'rollups' });
  return planned;
}

function makeUpdate(seed: number, scale: number, month: MonthLabel, p: PlannedUpdate, allocate: () => number): CatalogUpdate {
  const slot = month.index + 2;
  const productIndex = p.product === undefined ? 0 : PRODUCTS.indexOf(p.product);
  const kb = p.kind === 'msrt' ? MSRT_KB : String(KB_BASE + mod(seed, 100) * 1000 + slot * 100 + KB_OFFSET[p.kind] + productIndex);
  const cls = classificationInfo(p.classification);
  const products = p.product === undefined ? PRODUCTS : [p.product];
  const identity = `${p.kind}:${p.productKey}:${p.arch}:m${month.index}`;
  const created = isoSeconds(month.released);
  const titles = makeTitles(p, month, kb);
  const revisionId = allocate();
  const languages: (string | undefined)[] = p.kind === 'langpack' ? ['en-us', 'zh-cn'] : [undefined];
  const children: CatalogChild[] = languages.map((language) => {
    const contentKey = language === undefined ? identity : `${identity}:${language}`;
    const [min, max] = SIZE_RANGE[p.kind];
    const size = Math.max(1, Math.round(deterministicInt(min, max, seed, contentKey) * scale));
    const digests = payloadDigests({ seed, key: contentKey, size });
    const sha1Hex = digests.sha1.toString('hex');
    const fileName = makeFileName(p, kb, month, sha1Hex, language);
    const host = p.kind === 'msrt' ? 'c' : 'd';
    const mm = String(month.month).padStart(2, '0');
    const file: CatalogFile = {
      fileName,
      urlPath: `/${host}/msdownload/update/software/${cls.urlFolder}/${month.year}/${mm}/${fileName}`,
      size,
      sha1Hex,
      sha1Base64: digests.sha1.toString('base64'),
      sha256Hex: digests.sha256.toString('hex'),
      sha256Base64: digests.sha256.toString('base64'),
      contentKey,
      modified: created,
      ...(language === undefined ? {} : { language }),
    };
    return {
      updateId: deterministicGuid('child', seed, contentKey),
      revisionId: allocate(),
      revisionNumber: UPDATE_REVISION_NUMBER,
      ...(language === undefined ? {} : { language }),
      file,
    };
  });
  const severity = p.kind === 'msrt' ? undefined : p.kind === 'cu' ? 'Critical' : 'Important';
  return {
    kind: p.kind,
    kb,
    title: titles['en'] ?? '',
    titles,
    description:
      p.kind === 'msrt'
        ? 'After the download, this tool runs one time to check your computer for infection by specific, prevalent malicious software.'
        : 'Install this update to resolve issues in Windows. For a complete listing of the issues that are included in this update, see the associated Microsoft Knowledge Base article for more information. After you install this item, you may have to restart your computer.',
    month,
    created,
    productKey: p.productKey,
    products: products.map((x) => x.categoryTitle),
    productIds: products.map((x) => x.categoryId),
    arch: p.arch,
    classification: cls.title,
    classificationId: cls.id,
    ...(severity === undefined ? {} : { severity }),
    updateId: deterministicGuid('bundle', seed, identity),
    revisionId,
    revisionNumber: UPDATE_REVISION_NUMBER,
    supersedes: [],
    supersedesUpdateIds: [],
    supersededBy: [],
    children,
    files: children.map((c) => c.file),
    cves: [],
    prerequisites: [cls.id, ...products.map((x) => x.categoryId)],
  };
}

function buildCategories(): CategoryEntry[] {
  const created = '2021-08-09T17:00:00Z';
  const entries: Omit<CategoryEntry, 'revisionId' | 'revisionNumber' | 'created'>[] = [
    { updateId: COMPANY_MICROSOFT.id, type: 'Company', title: COMPANY_MICROSOFT.title },
    { updateId: PRODUCT_FAMILY_WINDOWS.id, type: 'ProductFamily', title: PRODUCT_FAMILY_WINDOWS.title },
    ...PRODUCTS.map((p) => ({ updateId: p.categoryId, type: 'Product' as const, title: p.categoryTitle })),
    ...CLASSIFICATIONS.map((c) => ({ updateId: c.id, type: 'UpdateClassification' as const, title: c.title })),
  ];
  return entries.map((e, i) => ({ ...e, revisionId: CATEGORY_REVISION_BASE + i, revisionNumber: 1, created }));
}

function mod(n: number, m: number): number {
  return ((Math.trunc(n) % m) + m) % m;
}
