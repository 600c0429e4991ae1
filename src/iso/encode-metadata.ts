/**
 * Encodes the image's own structures: system area, volume descriptors, path tables, both directory
 * trees and Rock Ridge continuation areas — all before the first file's data, or, for a layout with a
 * reserved tail, the folders and continuation areas in the tail together with the tail files' bytes.
 * Pure: the bytes follow from the layout.
 */
import { PatchdiscError } from '../errors.ts';
import {
  DOT_IDENTIFIER, DOTDOT_IDENTIFIER, DR_MAX_LENGTH, FLAG_DIRECTORY, FLAG_MULTI_EXTENT,
  directoryRecordLength, encodeDirectoryRecord,
} from './directory-record.ts';
import type { IsoLayout, PathTablePlan, PlannedNode } from './layout.ts';
import { encodeUcs2 } from './names.ts';
import { encodePathTable } from './path-table.ts';
import { rebasedBase } from './rebase-layout.ts';
import { encodeCe, splitSystemUse } from './rock-ridge.ts';
import { systemUseEntries, type SystemUseRole } from './system-use.ts';
import { SECTOR_SIZE, SYSTEM_AREA_SECTORS, encodeTerminator, encodeVolumeDescriptor } from './volume-descriptor.ts';

type Tree = 'primary' | 'joliet';
const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** Returns sectors [0, layout.metadataSectors) of the image. */
export function encodeMetadata(layout: IsoLayout): Uint8Array {
  return encodeRegions(layout).head;
}

/**
 * Returns the reserved tail region, sectors [tail.lba, tail.lba + tail.sectors): folders,
 * continuation areas, the tail files' bytes, zeros after them. Throws INTERNAL for a layout without one.
 */
export function encodeTail(layout: IsoLayout): Uint8Array {
  const { tail } = encodeRegions(layout);
  if (tail === undefined) throw new PatchdiscError('INTERNAL', 'Cannot encode the tail of the image: the layout reserves none');
  return tail;
}

/** An absolute-offset view over the head and (when planned) the tail. */
class Regions {
  readonly head: Uint8Array;
  readonly tail: Uint8Array | undefined;
  private readonly tailStart: number;

  /** `tail`: start from these bytes (the tail of a layout this one was rebased from); `head: false`: no head. */
  constructor(layout: IsoLayout, from: { tail?: Uint8Array; head?: false } = {}) {
    this.head = new Uint8Array(from.head === false ? 0 : layout.metadataSectors * SECTOR_SIZE);
    this.tail = from.tail ?? (layout.tail ? new Uint8Array(layout.tail.sectors * SECTOR_SIZE) : undefined);
    this.tailStart = layout.tail ? layout.tail.lba * SECTOR_SIZE : Infinity;
  }

  set(bytes: Uint8Array, offset: number): void {
    const [target, at] = offset >= this.tailStart && this.tail ? [this.tail, offset - this.tailStart] : [this.head, offset];
    if (at + bytes.length > target.length) {
      throw new PatchdiscError('INTERNAL', `Cannot encode the image: ${bytes.length} bytes at offset ${offset} fall outside the planned metadata sectors`);
    }
    target.set(bytes, at);
  }
}

/**
 * Encodings by layout: a group's master is encoded once, by writeIso, and its further subscribers'
 * tails derived from it. Layouts are plain data never changed after planning; callers never change
 * the returned bytes.
 */
const encodings = new WeakMap<IsoLayout, { head: Uint8Array; tail: Uint8Array | undefined }>();

/**
 * Both regions: the head (as encodeMetadata) and the tail (as encodeTail, when planned). A layout
 * rebased from another (rebase-layout.ts) shares its head and derives its tail from it.
 */
export function encodeRegions(layout: IsoLayout): { head: Uint8Array; tail: Uint8Array | undefined } {
  let e = encodings.get(layout);
  if (e === undefined) {
    const base = rebasedBase(layout);
    const from = base === undefined ? undefined : encodeRegions(base);
    e = base !== undefined && from?.tail !== undefined ? { head: from.head, tail: encodeTailFrom(base, from.tail, layout) } : encodeInto(layout);
    encodings.set(layout, e);
  }
  return e;
}

/**
 * The tail of `layout`, a rebase of `base` (rebase-layout.ts) whose tail is `baseTail`: a copy of it
 * with the tail files' bytes replaced and only the folders that list them encoded again, since every
 * other folder and continuation area is the same. Equals `encodeTail(layout)`.
 */
export function encodeTailFrom(base: IsoLayout, baseTail: Uint8Array, layout: IsoLayout): Uint8Array {
  const tail = layout.tail;
  if (tail === undefined || base.tail === undefined || baseTail.length !== tail.sectors * SECTOR_SIZE) {
    throw new PatchdiscError('INTERNAL', 'Cannot encode the tail of the image from its master: the layouts reserve no tail of the same size');
  }
  const out = new Regions(layout, { tail: baseTail.slice(), head: false });
  const tailFiles = layout.files.filter((f) => f.inTail);
  // Old tail file bytes go: from where tail file data starts (the same in both layouts) to the end.
  const firstData = [...tailFiles, ...base.files.filter((f) => f.inTail)].filter((f) => f.size > 0).map((f) => f.lba);
  if (firstData.length > 0) (out.tail as Uint8Array).fill(0, (Math.min(...firstData) - tail.lba) * SECTOR_SIZE);
  const parents = new Set(tailFiles.map((f) => (layout.nodes[f.node] as PlannedNode).parent));
  encodeInto(layout, { out, dirs: parents });
  return out.tail as Uint8Array;
}

/**
 * Encodes every structure of `layout` into a new Regions, or, with `only`, just the folders in
 * `only.dirs` (both trees, with their continuation areas) and the tail files, into `only.out`.
 */
function encodeInto(layout: IsoLayout, only?: { out: Regions; dirs: Set<number> }): Regions {
  const out = only?.out ?? new Regions(layout);
  const nodes = layout.nodes;
  const at = (i: number): PlannedNode => nodes[i] as PlannedNode;
  const root = at(0);

  const identifier = (n: number, tree: Tree): Uint8Array =>
    tree === 'primary' ? ascii(at(n).primaryId) : encodeUcs2(at(n).name);
  const extentOf = (n: number, tree: Tree) => (tree === 'primary' ? at(n).primaryExtent : at(n).jolietExtent);

  const systemUse = (n: number, role: SystemUseRole, idLength: number, tree: Tree): Uint8Array[] => {
    if (tree === 'joliet') return [];
    const split = splitSystemUse(systemUseEntries(nodes, n, role), DR_MAX_LENGTH - directoryRecordLength(idLength, 0));
    if (split.continuationLength === 0) return split.inline;
    const area = at(n).continuation;
    if (area === undefined || area.length !== split.continuationLength) {
      throw new PatchdiscError('INTERNAL', `Cannot encode Rock Ridge entries of ${JSON.stringify(at(n).path)}: continuation area not planned as ${split.continuationLength} bytes`);
    }
    let pos = area.lba * SECTOR_SIZE + area.offset;
    for (const e of split.continuation) {
      out.set(e, pos);
      pos += e.length;
    }
    return [...split.inline, encodeCe(area.lba, area.offset, area.length)];
  };

  const rootRecord = (tree: Tree): Uint8Array =>
    encodeDirectoryRecord({ extent: extentOf(0, tree).lba, dataLength: extentOf(0, tree).size, date: root.mtime, flags: FLAG_DIRECTORY, identifier: DOT_IDENTIFIER });

  const descriptor = (tree: Tree, table: PathTablePlan): Uint8Array =>
    encodeVolumeDescriptor({
      kind: tree,
      systemId: tree === 'primary' ? layout.systemId.toUpperCase() : layout.systemId,
      volumeId: tree === 'primary' ? layout.volumeId : layout.jolietVolumeId,
      volumeSetId: tree === 'primary' ? layout.volumeId : layout.jolietVolumeId,
      publisher: tree === 'primary' ? layout.publisher.toUpperCase() : layout.publisher,
      dataPreparer: '',
      application: tree === 'primary' ? layout.application.toUpperCase() : layout.application,
      totalSectors: layout.totalSectors,
      pathTableSize: table.size,
      lPathTable: table.lLba,
      mPathTable: table.mLba,
      rootRecord: rootRecord(tree),
      date: layout.date,
    });
  if (only === undefined) {
    out.set(descriptor('primary', layout.primaryPathTable), SYSTEM_AREA_SECTORS * SECTOR_SIZE);
    out.set(descriptor('joliet', layout.jolietPathTable), (SYSTEM_AREA_SECTORS + 1) * SECTOR_SIZE);
    out.set(encodeTerminator(), (SYSTEM_AREA_SECTORS + 2) * SECTOR_SIZE);
  }

  for (const [tree, table] of [['primary', layout.primaryPathTable], ['joliet', layout.jolietPathTable]] as const) {
    if (only === undefined) {
      const number = new Map(table.order.map((n, k) => [n, k + 1]));
      const entries = table.order.map((n) => ({
        identifier: n === 0 ? DOT_IDENTIFIER : identifier(n, tree),
        extent: extentOf(n, tree).lba,
        parent: number.get(at(n).parent) ?? 1,
      }));
      out.set(encodePathTable(entries, true), table.lLba * SECTOR_SIZE);
      out.set(encodePathTable(entries, false), table.mLba * SECTOR_SIZE);
    }

    for (const d of only === undefined ? table.order : table.order.filter((x) => only.dirs.has(x))) {
      const dir = at(d);
      const records: Uint8Array[] = [
        encodeDirectoryRecord({ extent: extentOf(d, tree).lba, dataLength: extentOf(d, tree).size, date: dir.mtime, flags: FLAG_DIRECTORY, identifier: DOT_IDENTIFIER, systemUse: systemUse(d, d === 0 ? 'root-dot' : 'dot', 1, tree) }),
        encodeDirectoryRecord({ extent: extentOf(dir.parent, tree).lba, dataLength: extentOf(dir.parent, tree).size, date: at(dir.parent).mtime, flags: FLAG_DIRECTORY, identifier: DOTDOT_IDENTIFIER, systemUse: systemUse(d, 'dotdot', 1, tree) }),
      ];
      for (const c of tree === 'primary' ? dir.primaryChildren : dir.jolietChildren) {
        const child = at(c);
        const id = identifier(c, tree);
        const su = systemUse(c, 'self', id.length, tree);
        if (child.isDir) {
          records.push(encodeDirectoryRecord({ extent: extentOf(c, tree).lba, dataLength: extentOf(c, tree).size, date: child.mtime, flags: FLAG_DIRECTORY, identifier: id, systemUse: su }));
          continue;
        }
        child.extents.forEach((e, k) => {
          const flags = k < child.extents.length - 1 ? FLAG_MULTI_EXTENT : 0;
          records.push(encodeDirectoryRecord({ extent: e.lba, dataLength: e.size, date: child.mtime, flags, identifier: id, systemUse: su }));
        });
      }
      writeDirectory(out, extentOf(d, tree), records, dir.path);
    }
  }
  for (const f of layout.files) {
    if (!f.inTail || f.size === 0) continue;
    if (f.source.kind !== 'buffer' || f.source.data.length !== f.size) {
      throw new PatchdiscError('INTERNAL', `Cannot encode tail file ${JSON.stringify(f.path)}: it needs a buffer of ${f.size} bytes`);
    }
    out.set(f.source.data, f.lba * SECTOR_SIZE);
  }
  return out;
}

/** Places records sector by sector; a record that would cross a sector starts the next one. */
function writeDirectory(out: Regions, extent: { lba: number; size: number }, records: Uint8Array[], path: string): void {
  let sector = 0;
  let offset = 0;
  for (const r of records) {
    if (offset + r.length > SECTOR_SIZE) {
      sector++;
      offset = 0;
    }
    out.set(r, (extent.lba + sector) * SECTOR_SIZE + offset);
    offset += r.length;
  }
  if ((sector + 1) * SECTOR_SIZE !== extent.size) {
    throw new PatchdiscError('INTERNAL', `Cannot encode folder ${JSON.stringify(path || '/')}: records take ${sector + 1} sectors, layout planned ${extent.size / SECTOR_SIZE}`);
  }
}
