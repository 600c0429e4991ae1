import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPatchdiscError } from '../../../src/errors.ts';
import { planIsoLayout } from '../../../src/iso/layout.ts';
import { openIso } from '../../../src/iso/read-iso.ts';
import { writeIso } from '../../../src/iso/write-iso.ts';
import { makeTempDir } from '../../helpers/tools.ts';
import { DATE, bytes } from './iso-test-tree.ts';

describe('openIso()', () => {
  it('lists Joliet names by default, Rock Ridge names with modes, and plain ISO 9660 identifiers on request', async () => {
    const { dir, remove } = makeTempDir();
    try {
      const data = bytes(1, 5000);
      const iso = join(dir, 'r.iso');
      await writeIso(planIsoLayout([{ path: 'Updates/Win 10/kb1.msu', size: data.length, source: { kind: 'buffer', data }, mtime: DATE - 60 }], { volumeId: 'READ_ME', date: DATE }), iso);
      const joliet = await openIso(iso);
      expect(joliet.volumeId).toBe('READ_ME');
      expect(joliet.tree).toBe('joliet');
      expect(joliet.entries()).toEqual([
        { path: 'Updates', size: 2048, isDir: true, mtime: DATE },
        { path: 'Updates/Win 10', size: 2048, isDir: true, mtime: DATE },
        { path: 'Updates/Win 10/kb1.msu', size: 5000, isDir: false, mtime: DATE - 60 },
      ]);
      expect(() => joliet.createReadStream('Updates/nope.msu')).toThrow(/no such file/);
      await joliet.close();
      const rr = await openIso(iso, { tree: 'rockridge' });
      expect(rr.entries().map((e) => [e.path, e.mode?.toString(8)])).toEqual([
        ['Updates', '40555'], ['Updates/Win 10', '40555'], ['Updates/Win 10/kb1.msu', '100444'],
      ]);
      await rr.close();
      const plain = await openIso(iso, { tree: 'iso9660' });
      expect(plain.entries().map((e) => e.path)).toEqual(['UPDATES', 'UPDATES/WIN_10', 'UPDATES/WIN_10/KB1.MSU']);
      await plain.close();
    } finally {
      remove();
    }
  });

  it('rejects a file that is not an ISO image with ISO_CORRUPT', async () => {
    const { dir, remove } = makeTempDir();
    try {
      writeFileSync(join(dir, 'x.iso'), bytes(2, 40_000));
      const err = await openIso(join(dir, 'x.iso')).catch((e: unknown) => e);
      expect(isPatchdiscError(err, 'ISO_CORRUPT')).toBe(true);
    } finally {
      remove();
    }
  });

  it('rejects a file mtime outside the 7-byte date range at planning time', () => {
    const data = bytes(3, 1);
    expect(() => planIsoLayout([{ path: 'a', size: 1, source: { kind: 'buffer', data }, mtime: -3_000_000_000 }], { volumeId: 'D', date: DATE })).toThrow(/1900/);
  });
});
