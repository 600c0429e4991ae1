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
import { applyPatches, type TailPatch } from './tail-patch.ts';
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
class Regions implements RegionWriter {
  readonly head: Uint8Array;
  readonly tail: Uint8Array | undefined;
  private readonly tailStart: number;

  constructor(layout: IsoLayout) {
    this.head = new Uint8Array(layout.metadataSectors * SECTOR_SIZE);
    this.tail = layout.tail ? new Uint8Array(layout.tail.sectors * SECTOR_SIZE) : undefined;
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
 * tails derived from it as patches. Layouts are plain data never changed after planning; callers
 * never change the returned bytes.
 */
const encodings = new WeakMap<IsoLayout, { head: Uint8Array; tail: Uint8Array | undefined }>();
const patchesByLayout = new WeakMap<IsoLayout, TailPatch[]>();

/**
 * Both regions: the head (as encodeMetadata) and the tail (as encodeTail, when planned). A layout
 * rebased from another (rebase-layout.ts) shares its head and derives its tail from it.
 */
export function encodeRegions(layout: IsoLayout): { head: Uint8Array; tail: Uint8Array | undefined } {
  let e = encodings.get(layout);
  if (e === undefined) {
    const base = rebasedBase(layout);
    const from = base === undefined ? undefined : encodeRegions(base);
    e = base !== undefined && from?.tail !== undefined ? { head: from.head, tail: applyPatches(from.tail, tailPatchesFrom(base, layout)) } : encodeInto(layout);
    encodings.set(layout, e);
  }
  return e;
}

/**
 * The tail of `layout`, a rebase of `base` (rebase-layout.ts), as whole-sector patches over base's
 * tail: the folders that list tail files encoded again, the tail files' bytes, zeros where base's
 * tail files reached further; every other folder and continuation area is base's. Sectors equal to
 * base's are left out. `applyPatches(encodeTail(base), patches)` equals `encodeTail(layout)`.
 */
export function tailPatchesFrom(base: IsoLayout, layout: IsoLayout): TailPatch[] {
  let patches = patchesByLayout.get(layout);
  if (patches !== undefined) return patches;
  const tail = layout.tail;
  const baseTail = encodeRegions(base).tail;
  if (tail === undefined || base.tail === undefined || baseTail === undefined || baseTail.length !== tail.sectors * SECTOR_SIZE || base.tail.lba !== tail.lba) {
    throw new PatchdiscError('INTERNAL', 'Cannot encode the tail of the image from its master: the layouts reserve no tail of the same size and place');
  }
  const out = new SparseTail(baseTail, tail.lba);
  const tailFiles = layout.files.filter((f) => f.inTail);
  // Old tail file bytes go: from where tail file data starts (the same in both layouts) to what base used.
  const firstData = [...tailFiles, ...base.files.filter((f) => f.inTail)].filter((f) => f.size > 0).map((f) => f.lba);
  if (firstData.length > 0) out.zero(Math.min(...firstData) - tail.lba, base.tail.used);
  const parents = new Set(tailFiles.map((f) => (layout.nodes[f.node] as PlannedNode).parent));
  encodeInto(layout, { out, dirs: parents });
  patches = out.patches();
  patchesByLayout.set(layout, patches);
  return patches;
}

/** Writes into copies of the sectors of a base tail they touch (copy on write, sector by sector). */
class SparseTail implements RegionWriter {
  private readonly sectors = new Map<number, Uint8Array>();
  private readonly tailStart: number;

  constructor(private readonly base: Uint8Array, tailLba: number) {
    this.tailStart = tailLba * SECTOR_SIZE;
  }

  /** Sectors [from, to) of the tail become zeros (until written). */
  zero(from: number, to: number): void {
    for (let s = from; s < to; s++) this.sectors.set(s, new Uint8Array(SECTOR_SIZE));
  }

  set(bytes: Uint8Array, offset: number): void {
    const at = offset - this.tailStart;
    if (at < 0 || at + bytes.length > this.base.length) {
      throw new PatchdiscError('INTERNAL', `Cannot encode the tail: ${bytes.length} bytes at offset ${offset} fall outside it`);
    }
    for (let done = 0; done < bytes.length; ) {
      const s = Math.floor((at + done) / SECTOR_SIZE);
      let sector = this.sectors.get(s);
      if (sector === undefined) {
        sector = this.base.slice(s * SECTOR_SIZE, (s + 1) * SECTOR_SIZE);
        this.sectors.set(s, sector);
      }
      const into = (at + done) % SECTOR_SIZE;
      const n = Math.min(bytes.length - done, SECTOR_SIZE - into);
      sector.set(bytes.subarray(done, done + n), into);
      done += n;
    }
  }

  /** The touched sectors that differ from the base, runs of adjacent ones joined. */
  patches(): TailPatch[] {
    const base = Buffer.from(this.base.buffer, this.base.byteOffset, this.base.length);
    const changed = [...this.sectors.entries()]
      .filter(([s, bytes]) => base.compare(bytes, 0, SECTOR_SIZE, s * SECTOR_SIZE, (s + 1) * SECTOR_SIZE) !== 0)
      .sort(([a], [b]) => a - b);
    const out: TailPatch[] = [];
    for (let k = 0; k < changed.length; ) {
      let end = k + 1;
      while (end < changed.length && (changed[end] as [number, Uint8Array])[0] === (changed[end - 1] as [number, Uint8Array])[0] + 1) end++;
      const run = changed.slice(k, end);
      const data = new Uint8Array(run.length * SECTOR_SIZE);
      run.forEach(([, bytes], i) => data.set(bytes, i * SECTOR_SIZE));
      out.push({ at: (run[0] as [number, Uint8Array])[0] * SECTOR_SIZE, data });
      k = end;
    }
    return out;
  }
}

/** Where encodeInto puts bytes: at absolute image offsets. */
interface RegionWriter {
  set(bytes: Uint8Array, offset: number): void;
}

/**
 * Encodes every structure of `layout` into a new Regions, or, with `only`, just the folders in
 * `only.dirs` (both trees, with their continuation areas) and the tail files, into `only.out`.
 */
function encodeInto(layout: IsoLayout): Regions;
function encodeInto(layout: IsoLayout, only: { out: RegionWriter; dirs: Set<number> }): void;
function encodeInto(layout: IsoLayout, only?: { out: RegionWriter; dirs: Set<number> }): Regions | void {
  const regions = only === undefined ? new Regions(layout) : undefined;
  const out: RegionWriter = only?.out ?? (regions as Regions);
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
  return regions;
}

/** Places records sector by sector; a record that would cross a sector starts the next one. */
function writeDirectory(out: RegionWriter, extent: { lba: number; size: number }, records: Uint8Array[], path: string): void {
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
