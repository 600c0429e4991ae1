import { describe, expect, it } from 'vitest';
import { buildCatalogModel } from '../../../src/upstream/catalog-model.ts';
import { payloadDigests } from '../../../src/upstream/payload-content.ts';

const SCALE = { payloadScale: 0.05 };

describe('buildCatalogModel()', () => {
  it('is deterministic for (seed, week) and changes with the seed', () => {
    const a = buildCatalogModel(1, 1, SCALE);
    const b = buildCatalogModel(1, 1, SCALE);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    const other = buildCatalogModel(2, 1, SCALE);
    expect(other.packageId).not.toBe(a.packageId);
    expect(other.files[0]?.sha1Hex).not.toBe(a.files[0]?.sha1Hex);
  });

  it('week 0 holds two months of history with the older cumulative updates superseded', () => {
    const m = buildCatalogModel(1, 0, SCALE);
    expect(m.months.map((x) => x.cvrfId)).toEqual(['2026-Sep', '2026-Oct']);
    const cus = m.updates.filter((u) => u.kind === 'cu');
    expect(cus).toHaveLength(12); // 6 product/arch pairs × 2 months
    const sep = cus.filter((u) => u.month.cvrfId === '2026-Sep');
    const oct = cus.filter((u) => u.month.cvrfId === '2026-Oct');
    for (const old of sep) {
      const successor = oct.find((u) => u.productKey === old.productKey && u.arch === old.arch);
      expect(old.supersededBy).toEqual([successor?.revisionId]);
    }
    expect(oct.every((u) => u.supersededBy.length === 0)).toBe(true);
  });

  it('week 1 is Patch Tuesday: new updates, some superseding updates of week 0', () => {
    const w0 = buildCatalogModel(1, 0, SCALE);
    const w1 = buildCatalogModel(1, 1, SCALE);
    const known = new Set(w0.updates.map((u) => u.revisionId));
    const fresh = w1.updates.filter((u) => !known.has(u.revisionId));
    expect(fresh.length).toBeGreaterThan(10);
    expect(fresh.some((u) => u.kind === 'ssu')).toBe(true);
    const currentAtWeek0 = new Set(w0.updates.filter((u) => u.supersededBy.length === 0).map((u) => u.revisionId));
    const nowSuperseded = w1.updates.filter((u) => currentAtWeek0.has(u.revisionId) && u.supersededBy.length > 0);
    expect(nowSuperseded.length).toBeGreaterThan(0);
    for (const old of nowSuperseded) {
      for (const rev of old.supersededBy) expect(fresh.map((u) => u.revisionId)).toContain(rev);
    }
    expect(Math.min(...fresh.map((u) => u.revisionId))).toBeGreaterThan(Math.max(...w0.updates.map((u) => u.revisionId)));
    expect(w1.packageId).not.toBe(w0.packageId);
  });

  it('weeks 2–4 bring nothing new and week 5 brings the next month', () => {
    const w1 = buildCatalogModel(1, 1, SCALE);
    for (const week of [2, 3, 4]) {
      const m = buildCatalogModel(1, week, SCALE);
      expect(m.packageId).toBe(w1.packageId);
      expect(m.updates.map((u) => u.revisionId)).toEqual(w1.updates.map((u) => u.revisionId));
    }
    const w5 = buildCatalogModel(1, 5, SCALE);
    expect(w5.months.at(-1)?.cvrfId).toBe('2026-Dec');
    expect(w5.updates.length).toBeGreaterThan(w1.updates.length);
  });

  it('names every payload after its SHA-1 and records matching digests', () => {
    const m = buildCatalogModel(1, 1, SCALE);
    expect(m.files.length).toBeGreaterThan(40);
    for (const f of m.files) {
      expect(f.fileName.endsWith(`_${f.sha1Hex}${f.fileName.slice(f.fileName.lastIndexOf('.'))}`)).toBe(true);
      expect(f.urlPath.endsWith(`/${f.fileName}`)).toBe(true);
      expect(Buffer.from(f.sha1Base64, 'base64').toString('hex')).toBe(f.sha1Hex);
      const d = payloadDigests({ seed: 1, key: f.contentKey, size: f.size });
      expect(d.sha256.toString('hex')).toBe(f.sha256Hex);
    }
  });

  it('keeps a week at scale 1 under about 40 MB of current payloads', () => {
    const m = buildCatalogModel(1, 1);
    const current = m.updates.filter((u) => u.supersededBy.length === 0).flatMap((u) => u.files);
    const total = current.reduce((s, f) => s + f.size, 0);
    expect(total).toBeGreaterThan(5_000_000);
    expect(total).toBeLessThan(40_000_000);
    for (const f of m.files) expect(f.size).toBeGreaterThanOrEqual(300_000);
  });

  it('has language-pack children in en-us and zh-cn with localized titles', () => {
    const m = buildCatalogModel(1, 1, SCALE);
    const lp = m.updates.find((u) => u.kind === 'langpack');
    expect(lp?.children.map((c) => c.language)).toEqual(['en-us', 'zh-cn']);
    expect(lp?.titles['zh-cn']).toContain('语言包');
  });
});
