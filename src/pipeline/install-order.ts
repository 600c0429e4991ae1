import type { CatalogUpdate } from '../catalog/snapshot.ts';

function isServicingStack(u: CatalogUpdate): boolean {
  return /servicing stack/i.test(u.title);
}

/**
 * Install order: servicing stack updates first (later updates need them), then by product, then by
 * release date, then by KB — a stable order so discs come out the same on every rerun.
 */
export function installOrder(updates: CatalogUpdate[]): CatalogUpdate[] {
  return [...updates].sort((a, b) => {
    const ssu = Number(isServicingStack(b)) - Number(isServicingStack(a));
    if (ssu !== 0) return ssu;
    const pa = a.products[0] ?? '';
    const pb = b.products[0] ?? '';
    if (pa !== pb) return pa < pb ? -1 : 1;
    if (a.creationDate !== b.creationDate) return a.creationDate < b.creationDate ? -1 : 1;
    return (a.kb ?? '').localeCompare(b.kb ?? '') || a.revisionId - b.revisionId;
  });
}

/** "Windows 10, version 22H2" → "windows-10-version-22h2": a folder name every reader accepts. */
export function productSlug(product: string): string {
  const slug = product
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48);
  return slug || 'other';
}
