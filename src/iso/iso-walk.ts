/**
 * Reads an image's volume descriptors and walks a directory tree, reporting every structural
 * problem it meets instead of stopping. Shared by the reader (which ignores minor problems) and the
 * checker (which lists them).
 */
import { readBothEndian16, readBothEndian32, viewOf } from './both-endian.ts';
import { FLAG_DIRECTORY, FLAG_MULTI_EXTENT, decodeDirectoryRecord } from './directory-record.ts';
import type { ImageReader } from './image-file.ts';
import { decodeUcs2 } from './names.ts';
import { CE_LENGTH, NM_CONTINUE, decodeSystemUse } from './rock-ridge.ts';
import {
  PVD_L_PATH_TABLE, PVD_LOGICAL_BLOCK_SIZE, PVD_M_PATH_TABLE, PVD_PATH_TABLE_SIZE, PVD_ROOT_DIRECTORY_RECORD,
  PVD_VOLUME_ID, PVD_VOLUME_SEQUENCE_NUMBER, PVD_VOLUME_SET_SIZE, PVD_VOLUME_SPACE_SIZE, ROOT_RECORD_LENGTH,
  SECTOR_SIZE, STANDARD_ID, SVD_ESCAPE_SEQUENCES, SYSTEM_AREA_SECTORS, VD_STANDARD_ID, VD_TYPE,
  VD_TYPE_PRIMARY, VD_TYPE_SUPPLEMENTARY, VD_TYPE_TERMINATOR,
} from './volume-descriptor.ts';

export type TreeKind = 'joliet' | 'rockridge' | 'iso9660';
export type Report = (problem: string) => void;

export interface Extent {
  lba: number;
  size: number;
}

export interface VolumeInfo {
  kind: 'primary' | 'joliet';
  sector: number;
  volumeId: string;
  volumeSectors: number;
  pathTableSize: number;
  lPathTable: number;
  mPathTable: number;
  root: Extent;
}

/** Reads `count` sectors at `lba`; a short read (truncated image) returns what exists, zero-filled. */
export async function readSectors(fh: ImageReader, lba: number, count: number): Promise<Uint8Array> {
  const buf = new Uint8Array(count * SECTOR_SIZE);
  await fh.read(buf, 0, buf.length, lba * SECTOR_SIZE);
  return buf;
}

const text = (bytes: Uint8Array, ucs2: boolean): string =>
  (ucs2 ? decodeUcs2(bytes) : String.fromCharCode(...bytes)).replace(/[\s\0]+$/, '');

/** Reads the volume descriptor set (ECMA-119 8.1) starting at sector 16. */
export async function readVolumeDescriptors(fh: ImageReader, report: Report): Promise<VolumeInfo[]> {
  const out: VolumeInfo[] = [];
  for (let sector = SYSTEM_AREA_SECTORS; sector < SYSTEM_AREA_SECTORS + 64; sector++) {
    const vd = await readSectors(fh, sector, 1);
    const id = String.fromCharCode(...vd.subarray(VD_STANDARD_ID, VD_STANDARD_ID + STANDARD_ID.length));
    if (id !== STANDARD_ID) {
      report(`sector ${sector}: volume descriptor without "CD001" (no terminator before it)`);
      return out;
    }
    const type = vd[VD_TYPE];
    if (type === VD_TYPE_TERMINATOR) return out;
    const escape = String.fromCharCode(...vd.subarray(SVD_ESCAPE_SEQUENCES, SVD_ESCAPE_SEQUENCES + 3));
    const joliet = type === VD_TYPE_SUPPLEMENTARY && ['%/@', '%/C', '%/E'].includes(escape);
    if (type !== VD_TYPE_PRIMARY && !joliet) continue;
    const name = `${joliet ? 'Joliet SVD' : 'PVD'} (sector ${sector})`;
    const view = viewOf(vd);
    const both32 = (offset: number, field: string): number => {
      const v = readBothEndian32(view, offset);
      if (v.le !== v.be) report(`${name}: ${field} at offset ${offset} disagrees: little-endian ${v.le}, big-endian ${v.be}`);
      return v.le;
    };
    const both16 = (offset: number, field: string): number => {
      const v = readBothEndian16(view, offset);
      if (v.le !== v.be) report(`${name}: ${field} at offset ${offset} disagrees: little-endian ${v.le}, big-endian ${v.be}`);
      return v.le;
    };
    const volumeSectors = both32(PVD_VOLUME_SPACE_SIZE, 'volume space size');
    both16(PVD_VOLUME_SET_SIZE, 'volume set size');
    both16(PVD_VOLUME_SEQUENCE_NUMBER, 'volume sequence number');
    const blockSize = both16(PVD_LOGICAL_BLOCK_SIZE, 'logical block size');
    if (blockSize !== SECTOR_SIZE) report(`${name}: logical block size ${blockSize}, expected ${SECTOR_SIZE}`);
    const pathTableSize = both32(PVD_PATH_TABLE_SIZE, 'path table size');
    const rootAt = PVD_ROOT_DIRECTORY_RECORD;
    if (vd[rootAt] !== ROOT_RECORD_LENGTH) report(`${name}: root directory record length ${vd[rootAt]}, expected ${ROOT_RECORD_LENGTH}`);
    const root = decodeDirectoryRecord(vd.subarray(rootAt, rootAt + ROOT_RECORD_LENGTH), 0);
    if (typeof root === 'string') {
      report(`${name}: root directory record: ${root}`);
      continue;
    }
    if (root.extent.le !== root.extent.be) report(`${name}: root extent location disagrees: little-endian ${root.extent.le}, big-endian ${root.extent.be}`);
    if (root.dataLength.le !== root.dataLength.be) report(`${name}: root data length disagrees: little-endian ${root.dataLength.le}, big-endian ${root.dataLength.be}`);
    out.push({
      kind: joliet ? 'joliet' : 'primary',
      sector,
      volumeId: text(vd.subarray(PVD_VOLUME_ID, PVD_VOLUME_ID + 32), joliet),
      volumeSectors,
      pathTableSize,
      lPathTable: view.getUint32(PVD_L_PATH_TABLE, true),
      mPathTable: view.getUint32(PVD_M_PATH_TABLE, false),
      root: { lba: root.extent.le, size: root.dataLength.le },
    });
  }
  report('no volume descriptor set terminator within 64 sectors');
  return out;
}

export interface WalkedEntry {
  path: string;
  isDir: boolean;
  size: number;
  extents: Extent[];
  mtime: number;
  mode?: number;
  /** Raw identifier bytes as in the directory record (path tables compare against them). */
  identifier: Uint8Array;
}

export interface WalkedTree {
  kind: TreeKind;
  entries: WalkedEntry[];
  /** Directories in path-table order (breadth first, record order), root first with path ''. */
  directories: { path: string; lba: number; parent: number; identifier: Uint8Array }[];
}

const UTF8 = new TextDecoder('utf-8', { fatal: false });

/** Walks the tree under `root`; `rockRidge` reads NM/PX names and modes from the primary tree. */
export async function walkTree(fh: ImageReader, root: Extent, tree: TreeKind, volumeSectors: number, report: Report): Promise<WalkedTree> {
  const entries: WalkedEntry[] = [];
  const directories: WalkedTree['directories'] = [{ path: '', lba: root.lba, parent: 1, identifier: Uint8Array.of(0) }];
  const inside = (e: Extent): boolean => e.lba + Math.ceil(e.size / SECTOR_SIZE) <= volumeSectors;
  const seen = new Set<number>([root.lba]);
  // Sizes of sub-folders, learned from their records in the parent.
  const dirSizes = new Map<number, number>();
  for (let k = 0; k < directories.length; k++) {
    const dir = directories[k] as WalkedTree['directories'][number];
    const where = `${tree} folder "/${dir.path}"`;
    const dirExtent = k === 0 ? root : ({ lba: dir.lba, size: dirSizes.get(dir.lba) ?? SECTOR_SIZE } as Extent);
    if (!inside(dirExtent)) {
      report(`${where}: extent at sector ${dirExtent.lba} (${dirExtent.size} bytes) runs past the volume end (${volumeSectors} sectors)`);
      continue;
    }
    const sectors = Math.ceil(dirExtent.size / SECTOR_SIZE);
    const bytes = await readSectors(fh, dirExtent.lba, sectors);
    let multi: WalkedEntry | undefined;
    let index = 0;
    for (let s = 0; s < sectors; s++) {
      const sector = bytes.subarray(s * SECTOR_SIZE, (s + 1) * SECTOR_SIZE);
      let off = 0;
      while (off < SECTOR_SIZE) {
        const at = `${where}, sector ${dirExtent.lba + s} byte ${off}`;
        if (sector[off] === 0) {
          const rest = sector.subarray(off);
          if (rest.some((b) => b !== 0)) report(`${at}: record length 0 but the rest of the sector is not zero (damaged record or padding)`);
          break;
        }
        const rec = decodeDirectoryRecord(sector, off);
        if (typeof rec === 'string') {
          report(`${at}: ${rec}`);
          break;
        }
        off += rec.length;
        const i = index++;
        for (const [field, v] of [['extent location', rec.extent], ['data length', rec.dataLength], ['volume sequence number', rec.volumeSequence]] as const) {
          if (v.le !== v.be) report(`${at}: ${field} disagrees: little-endian ${v.le}, big-endian ${v.be}`);
        }
        const extent = { lba: rec.extent.le, size: rec.dataLength.le };
        if (i === 0 || i === 1) {
          const expected = i === 0 ? 0 : 1;
          if (rec.identifier.length !== 1 || rec.identifier[0] !== expected) report(`${at}: record ${i} should be "${i === 0 ? '.' : '..'}"`);
          if (i === 0 && extent.lba !== dirExtent.lba) report(`${at}: "." points to sector ${extent.lba}, the folder is at ${dirExtent.lba}`);
          if (i === 1 && extent.lba !== (k === 0 ? root.lba : (directories[dir.parent - 1]?.lba ?? -1))) report(`${at}: ".." points to sector ${extent.lba}, not the parent folder`);
          continue;
        }
        if (!inside(extent)) report(`${at}: extent at sector ${extent.lba} (${extent.size} bytes) runs past the volume end (${volumeSectors} sectors)`);
        const isDir = (rec.flags & FLAG_DIRECTORY) !== 0;
        let name: string;
        let mode: number | undefined;
        if (tree === 'joliet') name = decodeUcs2(rec.identifier).replace(/;1$/, '');
        else name = String.fromCharCode(...rec.identifier).replace(/;1$/, '').replace(/\.$/, '');
        if (tree === 'rockridge') {
          const rr = await readRockRidge(fh, rec.systemUse, volumeSectors, (p) => report(`${at}: ${p}`));
          if (rr.name !== undefined) name = rr.name;
          mode = rr.mode;
        }
        const path = dir.path === '' ? name : `${dir.path}/${name}`;
        if (multi !== undefined) {
          if (multi.path !== path) report(`${at}: multi-extent file "${multi.path}" ends without a final record`);
          else {
            multi.extents.push(extent);
            multi.size += extent.size;
            if ((rec.flags & FLAG_MULTI_EXTENT) === 0) multi = undefined;
            continue;
          }
          multi = undefined;
        }
        const entry: WalkedEntry = { path, isDir, size: extent.size, extents: [extent], mtime: rec.date, identifier: rec.identifier };
        if (mode !== undefined) entry.mode = mode;
        entries.push(entry);
        if (isDir) {
          if (seen.has(extent.lba)) report(`${at}: folder "${path}" points to sector ${extent.lba}, already used by another folder (loop)`);
          else {
            seen.add(extent.lba);
            dirSizes.set(extent.lba, extent.size);
            directories.push({ path, lba: extent.lba, parent: k + 1, identifier: rec.identifier });
          }
        } else if ((rec.flags & FLAG_MULTI_EXTENT) !== 0) multi = entry;
      }
    }
    if (multi !== undefined) report(`${where}: multi-extent file "${multi.path}" ends without a final record`);
  }
  return { kind: tree, entries, directories };
}

/** True when the root '.' record starts with the SUSP SP entry (SUSP 5.3), i.e. Rock Ridge may be present. */
export async function hasSusp(fh: ImageReader, root: Extent): Promise<boolean> {
  const sector = await readSectors(fh, root.lba, 1);
  const rec = decodeDirectoryRecord(sector, 0);
  if (typeof rec === 'string') return false;
  const su = rec.systemUse;
  return su[0] === 0x53 && su[1] === 0x50 && su[4] === 0xbe && su[5] === 0xef;
}

async function readRockRidge(fh: ImageReader, area: Uint8Array, volumeSectors: number, report: Report): Promise<{ name?: string; mode?: number }> {
  const out: { name?: string; mode?: number } = {};
  const nameParts: Uint8Array[] = [];
  let current: Uint8Array = area;
  for (let hops = 0; hops < 16; hops++) {
    const { entries, problem } = decodeSystemUse(current);
    if (problem !== undefined) report(problem);
    let next: Uint8Array | undefined;
    for (const e of entries) {
      // NM flags other than CONTINUE mean "." / ".." / host name, never part of a file name.
      if (e.signature === 'NM' && ((e.data[0] ?? 0) & ~NM_CONTINUE) === 0) nameParts.push(e.data.subarray(1));
      if (e.signature === 'PX' && e.data.length >= 8) out.mode = readBothEndian32(viewOf(e.data), 0).le;
      if (e.signature === 'CE' && e.data.length === CE_LENGTH - 4) {
        const view = viewOf(e.data);
        const [block, offset, length] = [readBothEndian32(view, 0), readBothEndian32(view, 8), readBothEndian32(view, 16)];
        if (block.le !== block.be || offset.le !== offset.be || length.le !== length.be) report('CE entry fields disagree between byte orders');
        if (block.le >= volumeSectors || offset.le + length.le > SECTOR_SIZE) {
          report(`CE points to sector ${block.le} offset ${offset.le} length ${length.le}, outside one sector of the volume`);
        } else {
          next = (await readSectors(fh, block.le, 1)).subarray(offset.le, offset.le + length.le);
        }
      }
    }
    if (next === undefined) break;
    current = next;
  }
  if (nameParts.length > 0) out.name = UTF8.decode(Buffer.concat(nameParts));
  return out;
}
