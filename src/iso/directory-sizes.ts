/**
 * Directory extent sizes, before any sector is assigned: each directory's records (with their Rock
 * Ridge system use, ECMA-119 9.1 and SUSP 5) packed so that none crosses a sector, and the
 * continuation areas whose entries do not fit in a record, grouped by the directory they follow.
 */
import { directoryRecordLength, DR_MAX_LENGTH } from './directory-record.ts';
import type { PlannedNode } from './layout.ts';
import { CE_LENGTH, splitSystemUse } from './rock-ridge.ts';
import { systemUseEntries, type SystemUseRole } from './system-use.ts';
import { SECTOR_SIZE } from './volume-descriptor.ts';

export interface DirectorySizes {
  primarySizes: Map<number, number>;
  jolietSizes: Map<number, number>;
  /** Directory node → the continuation areas placed right after its extent. */
  pending: Map<number, { node: number; length: number }[]>;
}

export function sizeDirectories(nodes: PlannedNode[], primaryOrder: readonly number[], jolietOrder: readonly number[]): DirectorySizes {
  const at = (i: number): PlannedNode => nodes[i] as PlannedNode;
  // Continuation areas first: their sizes decide nothing else, their places are assigned later.
  // libarchive reads the image front to back and picks up a directory's continuation areas only
  // right after that directory's extent, so each directory's areas follow its own sectors.
  const pending = new Map<number, { node: number; length: number }[]>();
  const suLength = (n: number, role: SystemUseRole, idLength: number, dir: number): number => {
    const split = splitSystemUse(systemUseEntries(nodes, n, role), DR_MAX_LENGTH - directoryRecordLength(idLength, 0));
    if (split.continuationLength > 0) {
      const list = pending.get(dir) ?? [];
      list.push({ node: n, length: split.continuationLength });
      pending.set(dir, list);
    }
    return split.inline.reduce((s, e) => s + e.length, 0) + (split.continuationLength > 0 ? CE_LENGTH : 0);
  };

  const primarySizes = new Map<number, number>();
  for (const d of primaryOrder) {
    const records = [
      directoryRecordLength(1, suLength(d, d === 0 ? 'root-dot' : 'dot', 1, d)),
      directoryRecordLength(1, suLength(d, 'dotdot', 1, d)),
    ];
    for (const c of at(d).primaryChildren) {
      const id = at(c).primaryId.length;
      const length = directoryRecordLength(id, suLength(c, 'self', id, d));
      for (let k = 0; k < Math.max(1, at(c).extents.length); k++) records.push(length);
    }
    primarySizes.set(d, packedSize(records));
  }
  const jolietSizes = new Map<number, number>();
  for (const d of jolietOrder) {
    const records = [directoryRecordLength(1, 0), directoryRecordLength(1, 0)];
    for (const c of at(d).jolietChildren) {
      const length = directoryRecordLength(2 * at(c).name.length, 0);
      for (let k = 0; k < Math.max(1, at(c).extents.length); k++) records.push(length);
    }
    jolietSizes.set(d, packedSize(records));
  }
  return { primarySizes, jolietSizes, pending };
}

/** Size of a directory extent: records never cross a sector (ECMA-119 6.8.1.1), whole sectors. */
export function packedSize(recordLengths: readonly number[]): number {
  let sectors = 1;
  let offset = 0;
  for (const length of recordLengths) {
    if (offset + length > SECTOR_SIZE) {
      sectors++;
      offset = 0;
    }
    offset += length;
  }
  return sectors * SECTOR_SIZE;
}
