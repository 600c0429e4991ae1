import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCvrf } from '../../../src/catalog/cvrf.ts';
import { cvrfMonthId, cvrfMonthsFor, enrichWithCvrf } from '../../../src/catalog/enrich-cvrf.ts';
import type { CatalogSnapshot, CatalogUpdate } from '../../../src/catalog/snapshot.ts';
import { FIXTURES } from '../../helpers/tools.ts';

function update(kb: string | undefined, over: Partial<CatalogUpdate> = {}): CatalogUpdate {
  return {
    updateId: `u-${kb}`,
    revisionId: Number(kb ?? 1),
    revisionNumber: 1,
    ...(kb === undefined ? {} : { kb }),
    title: `Update KB${kb}`,
    creationDate: '2025-11-11T18:00:00Z',
    productIds: [],
    products: [],
    classificationIds: [],
    classifications: [],
    languages: [],
    superseded: false,
    supersededBy: [],
    files: [],
    cves: [],
    source: 'wsusscn2',
    ...over,
  };
}

describe('enrichWithCvrf()', () => {
  const doc = parseCvrf(readFileSync(join(FIXTURES, 'cvrf', 'cvrfDocument-2025-Nov.xml'), 'utf8'));
  const known = doc.kbs.find((k) => k.cves.length > 0)!;

  it('adds the CVEs MSRC lists for a KB, and its severity when the catalog has none', () => {
    const snap: CatalogSnapshot = { packageId: 'p', creationDate: 'c', warnings: [], bundles: [update(known.kb), update('1234567')] };
    const out = enrichWithCvrf(snap, [doc]);
    expect(out.bundles[0]!.cves).toEqual([...new Set(known.cves)].sort());
    expect(out.bundles[0]!.severity).toBe(known.severity);
    expect(out.bundles[1]).toEqual(snap.bundles[1]);
  });

  it('keeps a severity the catalog already gives', () => {
    const snap: CatalogSnapshot = { packageId: 'p', creationDate: 'c', warnings: [], bundles: [update(known.kb, { severity: 'Low' })] };
    expect(enrichWithCvrf(snap, [doc]).bundles[0]!.severity).toBe('Low');
  });

  it('asks only for the months of current updates with a KB', () => {
    expect(cvrfMonthId('2026-01-13T00:00:00Z')).toBe('2026-Jan');
    const snap: CatalogSnapshot = {
      packageId: 'p',
      creationDate: 'c',
      warnings: [],
      bundles: [update('1', { creationDate: '2026-10-14T00:00:00Z' }), update('2', { creationDate: '2026-09-09T00:00:00Z', superseded: true }), update(undefined)],
    };
    expect(cvrfMonthsFor(snap)).toEqual(['2026-Oct']);
  });
});
