import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { applyPatches, diffPatches, forEachPatchedPiece, type TailPatch } from '../../../src/iso/tail-patch.ts';
import { hashCheckpoint } from '../../../src/iso/write-iso.ts';
import { bytes } from './iso-test-tree.ts';

const SECTOR = 2048;

describe('tail patches', () => {
  const base = bytes(7, 40 * SECTOR);
  const tail = base.slice();
  // Changes in sectors 0, 1 (one run), 5, and the last one.
  tail[10] = tail[10]! ^ 1;
  tail[SECTOR + 5] = tail[SECTOR + 5]! ^ 1;
  tail.fill(0, 5 * SECTOR, 6 * SECTOR);
  tail[tail.length - 1] = tail[tail.length - 1]! ^ 0xff;

  it('diffPatches() finds the runs of whole sectors that differ, and applyPatches() gives the tail back', () => {
    const patches = diffPatches(base, tail);
    expect(patches.map((p) => [p.at / SECTOR, p.data.length / SECTOR])).toEqual([[0, 2], [5, 1], [39, 1]]);
    expect(Buffer.from(applyPatches(base, patches)).equals(tail)).toBe(true);
    expect(diffPatches(base, base.slice())).toEqual([]);
  });

  it('forEachPatchedPiece() yields the patched bytes then the zeros, in order', () => {
    const pieces: Uint8Array[] = [];
    forEachPatchedPiece(base, diffPatches(base, tail), 100_000, (p) => pieces.push(p.slice()));
    expect(Buffer.concat(pieces).equals(Buffer.concat([tail, Buffer.alloc(100_000)]))).toBe(true);
  });

  it('a checkpoint finishes the same SHA-256 from patches as from the whole bytes', async () => {
    const prefix = bytes(3, 12_345);
    const h = createHash('sha256').update(prefix);
    const checkpoint = hashCheckpoint(prefix.length, h);
    const patches: TailPatch[] = diffPatches(base, tail);
    const want = createHash('sha256').update(prefix).update(tail).update(Buffer.alloc(70_000)).digest('hex');
    expect(await checkpoint.digestPatched(base, patches, 70_000)).toBe(want);
    expect(await checkpoint.digestWith([tail, Buffer.alloc(70_000)])).toBe(want);
    // The state is not consumed.
    expect(await checkpoint.digestPatched(base, [], 0)).toBe(createHash('sha256').update(prefix).update(base).digest('hex'));
  });
});
