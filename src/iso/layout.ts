/**
 * The whole image planned as plain data before a byte is written: every directory, path table,
 * continuation area and file extent with its sector. Pure: sizes come in the input, no fs access.
 */
import { PatchdiscError } from '../errors.ts';
import { DOT_IDENTIFIER } from './directory-record.ts';
import { sizeDirectories } from './directory-sizes.ts';
import { buildTree, pathTableOrder, type TreeNode } from './iso-tree.ts';
import { checkInput, resolveOptions } from './layout-input.ts';
import { encodeUcs2 } from './names.ts';
import { pathTableRecordLength, PT_MAX_DIRECTORIES } from './path-table.ts';
import { SECTOR_SIZE, SYSTEM_AREA_SECTORS } from './volume-descriptor.ts';

export type IsoSource = { kind: 'file'; path: string } | { kind: 'buffer'; data: Uint8Array };

export interface IsoFileInput {
  /** '/'-separated path inside the image, e.g. 'updates/win10/KB5034441/x.msu'. */
  path: string;
  size: number;
  source: IsoSource;
  /** Permission bits for Rock Ridge (default 0o444). */
  mode?: number;
  /** Epoch seconds (default: options.date). */
  mtime?: number;
  /**
   * Place the data in the reserved tail region (options.tailSectors) instead of the data area: for
   * the small per-subscriber files, so that everything before the tail is shared (see write-iso-patch).
   * Needs a buffer source.
   */
  tail?: boolean;
}

export interface IsoOptions {
  /** d-characters (A-Z 0-9 _), at most 32; Joliet shows the first 16 (its field is 16 UCS-2 chars). */
  volumeId: string;
  publisher?: string;
  application?: string;
  /** Epoch seconds; every date in the image comes from here or a file's mtime. */
  date: number;
  systemId?: string;
  /**
   * Sectors of the reserved tail region. When set, every directory, its continuation areas and the
   * `tail` files go into a region of exactly this size at the end of the image (before the zero
   * padding), so images that differ only there share every byte before it. See `tailReserveFor`.
   */
  tailSectors?: number;
}

export interface Extent {
  lba: number;
  size: number;
}

export interface ContinuationArea {
  lba: number;
  offset: number;
  length: number;
}

export interface PlannedNode extends TreeNode {
  /** Full st_mode for Rock Ridge PX. */
  mode: number;
  mtime: number;
  /** Rock Ridge link count. */
  links: number;
  /** Directory extents in each tree (size = whole sectors); a file's data lives in `extents`. */
  primaryExtent: Extent;
  jolietExtent: Extent;
  /** File data extents: one, or several of at most MULTI_EXTENT_SIZE bytes (flag 0x80 on all but last). */
  extents: Extent[];
  /** Continuation area of this node's record (for the root: of its '.' record). */
  continuation?: ContinuationArea;
  /** Index into IsoLayout.files for a file. */
  file: number;
}

export interface PlannedFile {
  node: number;
  path: string;
  size: number;
  source: IsoSource;
  /** First data sector; data is contiguous, zero-padded to the sector. */
  lba: number;
  /** Its data lies in the reserved tail region. */
  inTail: boolean;
}

/** The reserved region at the end of a patchable image. */
export interface TailRegion {
  lba: number;
  /** Reserved size (IsoOptions.tailSectors). */
  sectors: number;
  /** Sectors taken by directories, continuation areas and tail files; the rest is zeros. */
  used: number;
}

export interface PathTablePlan {
  /** Directory node indexes in table order; number k (1-based) is order[k-1]. */
  order: number[];
  size: number;
  lLba: number;
  mLba: number;
}

export interface IsoLayout {
  volumeId: string;
  jolietVolumeId: string;
  systemId: string;
  publisher: string;
  application: string;
  date: number;
  nodes: PlannedNode[];
  /** In data order (ascending LBA). */
  files: PlannedFile[];
  primaryPathTable: PathTablePlan;
  jolietPathTable: PathTablePlan;
  /**
   * Sectors [0, metadataSectors) hold descriptors and path tables, and (without a tail) directories
   * and continuation areas.
   */
  metadataSectors: number;
  /** Present when planned with IsoOptions.tailSectors. */
  tail?: TailRegion;
  totalSectors: number;
  totalBytes: number;
}

/** libisofs' section size: a multiple of 2048 just under 4 GiB (ECMA-119 level 3 multi-extent). */
export const MULTI_EXTENT_SIZE = 0xfffff800;
const MAX_SINGLE_EXTENT = 0xffffffff;
/** Zero sectors after the data, as genisoimage/xorriso pad, so TAO-written CDs read to the end. */
export const TAIL_PADDING_SECTORS = 150;
/** PVD, Joliet SVD, terminator follow the system area. */
export const VOLUME_DESCRIPTOR_SECTORS = 3;

const sectorsFor = (bytes: number): number => Math.ceil(bytes / SECTOR_SIZE);

/** Plans an image. Throws NAME_TOO_LONG, NAME_INVALID, SIZE_MISMATCH, VALIDATION naming the input. */
export function planIsoLayout(files: IsoFileInput[], options: IsoOptions): IsoLayout {
  const { tailSectors } = options;
  if (tailSectors === undefined && files.some((f) => f.tail === true)) {
    throw new PatchdiscError('VALIDATION', 'Cannot plan the image: files are marked for the tail but no tail is reserved; set tailSectors (tailReserveFor)');
  }
  if (tailSectors !== undefined && (!Number.isSafeInteger(tailSectors) || tailSectors < 1)) {
    throw new PatchdiscError('VALIDATION', `Cannot plan the image: tailSectors ${tailSectors} is not a positive sector count`);
  }
  return plan(files, options, tailSectors);
}

/** Sectors the tail of `planIsoLayout(files, options)` uses (folders, continuation areas, tail files). */
export function tailSectorsUsed(files: IsoFileInput[], options: IsoOptions): number {
  return (planTailFit(files, options).tail as TailRegion).used;
}

/** The layout with a tail of exactly the sectors it uses (for tailSectorsUsed and rebase-layout). */
export function planTailFit(files: IsoFileInput[], options: IsoOptions): IsoLayout {
  return plan(files, options, 'fit');
}

/**
 * Bytes the reserved tail is rounded to, and its least size. The master stage sizes the reserve
 * from every member of the group each run, so it needs no room to spare; the rounding only keeps a
 * rerun's layout (and the discs it kept) when some metadata grew by a few bytes. Every byte of the
 * reserve is hashed again for each further subscriber, so it stays small.
 */
export const TAIL_RESERVE_UNIT = 64 * 1024;
export const TAIL_RESERVE_MIN = 64 * 1024;

/** A reserve for tails using up to `usedSectors`: rounded up to TAIL_RESERVE_UNIT, at least TAIL_RESERVE_MIN. */
export function tailReserveFor(usedSectors: number): number {
  const bytes = Math.max(TAIL_RESERVE_MIN, Math.ceil((usedSectors * SECTOR_SIZE) / TAIL_RESERVE_UNIT) * TAIL_RESERVE_UNIT);
  return bytes / SECTOR_SIZE;
}

function plan(files: IsoFileInput[], options: IsoOptions, reserve: number | 'fit' | undefined): IsoLayout {
  const resolved = resolveOptions(options);
  files.forEach(checkInput);
  const tree = buildTree(files.map((f) => f.path));
  const nodes: PlannedNode[] = tree.map((t) => {
    const input = t.input >= 0 ? (files[t.input] as IsoFileInput) : undefined;
    const dirLinks = 2 + t.jolietChildren.filter((c) => (tree[c] as TreeNode).isDir).length;
    return {
      ...t,
      mode: input ? 0o100000 | ((input.mode ?? 0o444) & 0o7777) : 0o040555,
      mtime: input?.mtime ?? options.date,
      links: input ? 1 : dirLinks,
      primaryExtent: { lba: 0, size: 0 },
      jolietExtent: { lba: 0, size: 0 },
      extents: input ? splitExtents(input.size) : [],
      file: -1,
    };
  });
  const primaryOrder = pathTableOrder(nodes, 'primary');
  const jolietOrder = pathTableOrder(nodes, 'joliet');
  if (primaryOrder.length > PT_MAX_DIRECTORIES) {
    throw new PatchdiscError('VALIDATION', `Cannot plan the image: ${primaryOrder.length} folders, ECMA-119 path tables allow ${PT_MAX_DIRECTORIES}; split the content over more discs`);
  }
  const at = node(nodes);

  const { primarySizes, jolietSizes, pending } = sizeDirectories(nodes, primaryOrder, jolietOrder);

  let next = SYSTEM_AREA_SECTORS + VOLUME_DESCRIPTOR_SECTORS;
  const table = (order: number[], id: (n: number) => number): PathTablePlan => {
    const size = order.reduce((s, n) => s + pathTableRecordLength(n === 0 ? DOT_IDENTIFIER.length : id(n)), 0);
    const lLba = next;
    const mLba = lLba + sectorsFor(size);
    next = mLba + sectorsFor(size);
    return { order, size, lLba, mLba };
  };
  const primaryPathTable = table(primaryOrder, (n) => at(n).primaryId.length);
  const jolietPathTable = table(jolietOrder, (n) => encodeUcs2(at(n).name).length);
  const placeDirectories = (): void => {
    for (const d of primaryOrder) {
      const size = primarySizes.get(d) ?? 0;
      at(d).primaryExtent = { lba: next, size };
      next += sectorsFor(size);
      let offset = 0;
      for (const p of pending.get(d) ?? []) {
        // SUSP 5.1 / Linux isofs: a continuation area lies within one logical block.
        if (offset + p.length > SECTOR_SIZE) {
          next++;
          offset = 0;
        }
        at(p.node).continuation = { lba: next, offset, length: p.length };
        offset += p.length;
      }
      if (offset > 0) next++;
    }
    for (const d of jolietOrder) {
      const size = jolietSizes.get(d) ?? 0;
      at(d).jolietExtent = { lba: next, size };
      next += sectorsFor(size);
    }
  };
  const planned: PlannedFile[] = [];
  const placeFiles = (inTail: boolean): void => {
    for (const d of jolietOrder) {
      for (const c of at(d).jolietChildren) {
        const n = at(c);
        const input = files[n.input] as IsoFileInput | undefined;
        if (n.isDir || input === undefined || (input.tail ?? false) !== inTail) continue;
        n.file = planned.length;
        planned.push({ node: c, path: input.path, size: input.size, source: input.source, lba: input.size === 0 ? 0 : next, inTail });
        for (const e of n.extents) {
          // An empty file has no data sectors; its extent points at sector 0 with length 0.
          e.lba = input.size === 0 ? 0 : next;
          next += sectorsFor(e.size);
        }
      }
    }
  };

  // Without a tail: descriptors, path tables, directories, then the data. With one, the directories
  // move behind the data into the reserved region with the tail files: the root lists the
  // per-subscriber files with their sizes, so it differs per subscriber, and libarchive reads
  // directories only in ascending order from the root, so every directory must follow it there.
  let tail: TailRegion | undefined;
  if (reserve === undefined) placeDirectories();
  const metadataSectors = next;
  placeFiles(false);
  if (reserve !== undefined) {
    const lba = next;
    placeDirectories();
    placeFiles(true);
    const used = next - lba;
    const sectors = reserve === 'fit' ? used : reserve;
    if (used > sectors) {
      throw new PatchdiscError('VALIDATION', `Cannot plan the image: folders and per-subscriber files need ${used} sectors, the reserved tail holds ${sectors}; reserve more (tailReserveFor)`, {
        details: { used, reserved: sectors },
      });
    }
    tail = { lba, sectors, used };
    next = lba + sectors;
  }
  const totalSectors = next + TAIL_PADDING_SECTORS;
  if (totalSectors > MAX_SINGLE_EXTENT) {
    throw new PatchdiscError('FILE_TOO_LARGE', `Cannot plan the image: ${totalSectors} sectors exceeds the 32-bit volume size; split the content over more discs`);
  }
  const layout: IsoLayout = { ...resolved, nodes, files: planned, primaryPathTable, jolietPathTable, metadataSectors, totalSectors, totalBytes: totalSectors * SECTOR_SIZE };
  if (tail !== undefined) layout.tail = tail;
  return layout;
}

function node(nodes: PlannedNode[]): (i: number) => PlannedNode {
  return (i) => nodes[i] as PlannedNode;
}

function splitExtents(size: number): Extent[] {
  if (size <= MAX_SINGLE_EXTENT) return [{ lba: 0, size }];
  const out: Extent[] = [];
  for (let left = size; left > 0; left -= MULTI_EXTENT_SIZE) out.push({ lba: 0, size: Math.min(left, MULTI_EXTENT_SIZE) });
  return out;
}
