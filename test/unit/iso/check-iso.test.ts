import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkIso } from '../../../src/iso/check-iso.ts';
import { planIsoLayout, type IsoLayout } from '../../../src/iso/layout.ts';
import { writeIso } from '../../../src/iso/write-iso.ts';
import { makeTempDir } from '../../helpers/tools.ts';
import { DATE, bytes } from './iso-test-tree.ts';

const SECTOR = 2048;

async function withImage(damage: (image: Buffer, layout: IsoLayout, path: string) => void): Promise<string[]> {
  const { dir, remove } = makeTempDir();
  try {
    const files = [
      { path: 'updates/one.msu', data: bytes(1, 70_000) },
      { path: 'updates/two.msu', data: bytes(2, 3000) },
      { path: 'README.txt', data: bytes(3, 10) },
    ];
    const layout = planIsoLayout(files.map((f) => ({ path: f.path, size: f.data.length, source: { kind: 'buffer' as const, data: f.data } })), { volumeId: 'DAMAGE', date: DATE });
    const path = join(dir, 'd.iso');
    await writeIso(layout, path);
    const clean = await checkIso(path);
    expect(clean.problems).toEqual([]);
    const image = readFileSync(path);
    damage(image, layout, path);
    return (await checkIso(path)).problems;
  } finally {
    remove();
  }
}

/** Byte offset of the first record after '.' and '..' in a directory extent. */
function firstChildRecord(image: Buffer, lba: number): number {
  const base = lba * SECTOR;
  const dot = image[base] as number;
  return base + dot + (image[base + dot] as number);
}

describe('checkIso()', () => {
  it('reports a PVD volume size whose big-endian half disagrees', async () => {
    const problems = await withImage((image, _layout, path) => {
      image[16 * SECTOR + 87] = (image[16 * SECTOR + 87] as number) ^ 0x01;
      writeFileSync(path, image);
    });
    expect(problems.some((p) => p.includes('volume space size') && p.includes('disagrees'))).toBe(true);
  });

  it('reports a directory record whose data length halves disagree', async () => {
    const problems = await withImage((image, layout, path) => {
      const rec = firstChildRecord(image, layout.nodes[0]?.jolietExtent.lba ?? 0);
      image[rec + 17] = (image[rec + 17] as number) ^ 0x10; // big-endian data length, low byte
      writeFileSync(path, image);
    });
    expect(problems.some((p) => p.includes('joliet') && p.includes('data length disagrees'))).toBe(true);
  });

  it('reports a zeroed record length (records after it vanish from one tree)', async () => {
    const problems = await withImage((image, layout, path) => {
      image[firstChildRecord(image, layout.nodes[0]?.primaryExtent.lba ?? 0)] = 0;
      writeFileSync(path, image);
    });
    expect(problems.some((p) => p.includes('record length 0 but the rest of the sector is not zero'))).toBe(true);
    expect(problems.some((p) => p.includes('path table'))).toBe(true);
  });

  it('reports a truncated image: size, extents past the end, unreadable files', async () => {
    const problems = await withImage((_image, layout, path) => {
      truncateSync(path, (layout.totalSectors - 150 - 10) * SECTOR);
    });
    expect(problems.some((p) => p.includes('but the image has'))).toBe(true);
    expect(problems.some((p) => p.includes('runs past the volume end'))).toBe(true);
    expect(problems.some((p) => p.includes('cannot be read') && p.includes('truncated'))).toBe(true);
  });

  it('reports flipped path table bytes', async () => {
    const problems = await withImage((image, layout, path) => {
      image[layout.primaryPathTable.mLba * SECTOR + 5] = 0x7f; // M table: root extent, low byte
      writeFileSync(path, image);
    });
    expect(problems.some((p) => p.startsWith('primary M path table'))).toBe(true);
  });
});
