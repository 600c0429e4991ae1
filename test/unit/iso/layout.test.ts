import { describe, expect, it } from 'vitest';
import { isPatchdiscError } from '../../../src/errors.ts';
import { decodeDirectoryRecord, FLAG_MULTI_EXTENT } from '../../../src/iso/directory-record.ts';
import { encodeMetadata } from '../../../src/iso/encode-metadata.ts';
import { MULTI_EXTENT_SIZE, planIsoLayout, type IsoFileInput } from '../../../src/iso/layout.ts';
import { compareIdentifiers, derivePrimaryNames } from '../../../src/iso/names.ts';
import { DATE } from './iso-test-tree.ts';

const file = (path: string, size = 1): IsoFileInput => ({ path, size, source: { kind: 'file', path: '/nonexistent' } });
const plan = (files: IsoFileInput[]) => planIsoLayout(files, { volumeId: 'T', date: DATE });
const thrown = (f: () => unknown): unknown => {
  try {
    f();
  } catch (err) {
    return err;
  }
  return undefined;
};

describe('planIsoLayout() names', () => {
  it('accepts a 103-character Joliet name and rejects 104 with NAME_TOO_LONG naming the path', () => {
    expect(() => plan([file(`u/${'a'.repeat(99)}.msu`)])).not.toThrow();
    const err = thrown(() => plan([file(`u/${'a'.repeat(100)}.msu`)]));
    expect(isPatchdiscError(err, 'NAME_TOO_LONG')).toBe(true);
    expect((err as Error).message).toContain(`u/${'a'.repeat(100)}.msu`);
  });

  it('rejects a name longer than 255 UTF-8 bytes (Linux NAME_MAX) with NAME_TOO_LONG', () => {
    expect(isPatchdiscError(thrown(() => plan([file(`${'更'.repeat(86)}.txt`)])), 'NAME_TOO_LONG')).toBe(true);
  });

  it.each(['a*b', 'a:b', 'a;b', 'a?b', 'a\\b', 'a\u0001b', 'a\u007fb', '\ud83d\ude00.txt'])('rejects %j with NAME_INVALID', (name) => {
    const err = thrown(() => plan([file(`dir/${name}`)]));
    expect(isPatchdiscError(err, 'NAME_INVALID')).toBe(true);
    expect((err as Error).message).toContain('dir/');
  });

  it('rejects duplicate paths, a file used as a folder, empty components and case-only twins', () => {
    for (const files of [[file('a/b'), file('a/b')], [file('a'), file('a/b')], [file('a//b')], [file('/a')], [file('d/X.msu'), file('d/x.msu')]]) {
      expect(isPatchdiscError(thrown(() => plan(files)), 'NAME_INVALID')).toBe(true);
    }
  });

  it('rejects a bad volume id instead of changing it', () => {
    expect(isPatchdiscError(thrown(() => planIsoLayout([], { volumeId: 'lower', date: DATE })), 'NAME_INVALID')).toBe(true);
    expect(isPatchdiscError(thrown(() => planIsoLayout([], { volumeId: 'A'.repeat(33), date: DATE })), 'NAME_INVALID')).toBe(true);
  });

  it('derives unique d-character primary names deterministically', () => {
    const names = derivePrimaryNames([
      { name: 'update-1.msu', isDir: false },
      { name: 'update_1.msu', isDir: false },
      { name: 'Update.1.msu', isDir: false },
      { name: 'windows10.0-kb5034441-x64_0123456789abcdef0123456789abcdef01234567.msu', isDir: false },
      { name: 'README', isDir: false },
      { name: '中文目录', isDir: true },
      { name: 'a-very-long-directory-name-beyond-thirty-chars', isDir: true },
    ]);
    expect(names).toEqual([
      'UPDATE_1.MSU;1',
      'UPDATE_1_1.MSU;1',
      'UPDATE_1_2.MSU;1',
      'WINDOWS10_0_KB5034441_X64_.MSU;1', // 26 + '.' + 3 = 30
      'README.;1',
      '____',
      'A_VERY_LONG_DIRECTORY_NAME_BEY',
    ]);
  });

  it('orders identifiers as ECMA-119 9.3: name then extension, space-padded', () => {
    const ids = ['B.TXT;1', 'A.TXT;1', 'A_B.TXT;1', 'A.T;1', 'AB.;1'];
    expect([...ids].sort((a, b) => compareIdentifiers(a, false, b, false))).toEqual(['A.T;1', 'A.TXT;1', 'AB.;1', 'A_B.TXT;1', 'B.TXT;1']);
  });
});

describe('planIsoLayout() extents', () => {
  it('places files contiguously after the metadata, whole sectors each, empty files at sector 0', () => {
    const layout = plan([file('a.bin', 1), file('b.bin', 2048), file('c.bin', 0), file('d.bin', 2049)]);
    const lbas = layout.files.map((f) => [f.path, f.lba]);
    const first = layout.metadataSectors;
    expect(lbas).toEqual([['a.bin', first], ['b.bin', first + 1], ['c.bin', 0], ['d.bin', first + 2]]);
    expect(layout.totalSectors).toBe(first + 4 + 150);
    expect(layout.totalBytes).toBe(layout.totalSectors * 2048);
  });

  it('splits a file over 4 GiB into multi-extent records of 0xFFFFF800 bytes, flag 0x80 on all but the last', () => {
    const size = 2 * MULTI_EXTENT_SIZE + 12345;
    const layout = plan([file('big/huge.wim', size), file('big/small.txt', 5)]);
    const huge = layout.nodes.find((n) => n.path === 'big/huge.wim');
    expect(huge?.extents.map((e) => e.size)).toEqual([MULTI_EXTENT_SIZE, MULTI_EXTENT_SIZE, 12345]);
    const lbas = huge?.extents.map((e) => e.lba) ?? [];
    expect(lbas[1]).toBe((lbas[0] as number) + MULTI_EXTENT_SIZE / 2048);
    expect(lbas[2]).toBe((lbas[1] as number) + MULTI_EXTENT_SIZE / 2048);
    const meta = encodeMetadata(layout);
    const dir = layout.nodes.find((n) => n.path === 'big');
    for (const extent of [dir?.primaryExtent, dir?.jolietExtent]) {
      const sector = meta.subarray((extent?.lba ?? 0) * 2048, (extent?.lba ?? 0) * 2048 + 2048);
      const records = [];
      for (let off = 0; sector[off] !== 0; ) {
        const rec = decodeDirectoryRecord(sector, off);
        if (typeof rec === 'string') throw new Error(rec);
        records.push(rec);
        off += rec.length;
      }
      const parts = records.slice(2, 5);
      expect(parts.map((r) => r.flags & FLAG_MULTI_EXTENT)).toEqual([FLAG_MULTI_EXTENT, FLAG_MULTI_EXTENT, 0]);
      expect(parts.map((r) => [r.extent.le, r.dataLength.le])).toEqual(huge?.extents.map((e) => [e.lba, e.size]));
      expect(new Set(parts.map((r) => Buffer.from(r.identifier).toString('hex'))).size).toBe(1);
    }
  });

  it('keeps every directory record inside one sector when a folder spans many sectors', () => {
    const files = Array.from({ length: 300 }, (_, i) => file(`many/${'n'.repeat(90)}-${String(i).padStart(4, '0')}.msu`));
    const layout = plan(files);
    const meta = encodeMetadata(layout);
    const dir = layout.nodes.find((n) => n.path === 'many');
    const sectors = (dir?.jolietExtent.size ?? 0) / 2048;
    expect(sectors).toBeGreaterThan(10);
    let count = 0;
    for (let s = 0; s < sectors; s++) {
      const sector = meta.subarray(((dir?.jolietExtent.lba ?? 0) + s) * 2048, ((dir?.jolietExtent.lba ?? 0) + s + 1) * 2048);
      let off = 0;
      while (off < 2048 && sector[off] !== 0) {
        const rec = decodeDirectoryRecord(sector, off);
        expect(typeof rec).not.toBe('string');
        off += (rec as { length: number }).length;
        count++;
      }
      expect(sector.subarray(off).every((b) => b === 0)).toBe(true);
    }
    expect(count).toBe(302);
  });
});
