/**
 * Structural check of an ISO image, independent of how it was written: volume size matches the file,
 * both-endian fields agree, every record stays inside its sector, every extent inside the image, path
 * tables match the trees, the Joliet and primary trees list the same files, and every file reads.
 */
import { PatchdiscError, isPatchdiscError } from '../errors.ts';
import { openImageFile, type ImageReader } from './image-file.ts';
import { readExtents } from './read-iso.ts';
import { hasSusp, readSectors, readVolumeDescriptors, walkTree, type VolumeInfo, type WalkedEntry, type WalkedTree } from './iso-walk.ts';
import { decodePathTable } from './path-table.ts';
import { SECTOR_SIZE } from './volume-descriptor.ts';

export interface CheckIsoResult {
  /** Precise problems; empty means the image passed. */
  problems: string[];
  /** Files in the Joliet tree (or the primary tree when there is no Joliet). */
  files: number;
  volumeId: string;
}

const MAX_PATH_TABLE_REPORTS = 10;

/** Checks `path`; `readFiles` (default true) also reads every file's bytes to the end. */
export async function checkIso(path: string, options: { readFiles?: boolean } = {}): Promise<CheckIsoResult> {
  const problems: string[] = [];
  const report = (p: string): void => void problems.push(p);
  // A thin image is checked as the image it stands for (its master's prefix and its own tail).
  const fh = await openImageFile(path).catch((err: unknown) => {
    if (isPatchdiscError(err, 'NOT_FOUND')) throw new PatchdiscError('NOT_FOUND', err.message.replace(/^Cannot open/, 'Cannot check'), { cause: err });
    throw err;
  });
  const size = fh.bytes;
  if (size % SECTOR_SIZE !== 0) report(`image size ${size} is not a multiple of ${SECTOR_SIZE}`);
  try {
    const volumes = await readVolumeDescriptors(fh, report);
    const primary = volumes.find((v) => v.kind === 'primary');
    const joliet = volumes.find((v) => v.kind === 'joliet');
    if (primary === undefined) {
      report('no primary volume descriptor');
      return { problems, files: 0, volumeId: '' };
    }
    for (const v of volumes) {
      if (v.volumeSectors * SECTOR_SIZE !== size) {
        report(`${v.kind} volume descriptor: volume size ${v.volumeSectors} × ${SECTOR_SIZE} = ${v.volumeSectors * SECTOR_SIZE}, but the image has ${size} bytes`);
      }
    }
    const volumeSectors = Math.min(primary.volumeSectors, Math.floor(size / SECTOR_SIZE));
    const rockRidge = await hasSusp(fh, primary.root);
    const primaryTree = await walkTree(fh, primary.root, rockRidge ? 'rockridge' : 'iso9660', volumeSectors, report);
    await checkPathTables(fh, primary, primaryTree, volumeSectors, report);
    let jolietTree: WalkedTree | undefined;
    if (joliet !== undefined) {
      jolietTree = await walkTree(fh, joliet.root, 'joliet', volumeSectors, report);
      await checkPathTables(fh, joliet, jolietTree, volumeSectors, report);
      compareTrees(primaryTree, jolietTree, report);
    }
    const main = jolietTree ?? primaryTree;
    const files = main.entries.filter((e) => !e.isDir);
    if (options.readFiles ?? true) {
      for (const f of files) {
        let count = 0;
        try {
          for await (const chunk of readExtents(fh, f, path)) count += chunk.length;
          if (count !== f.size) report(`file "${f.path}": read ${count} bytes, the record says ${f.size}`);
        } catch (err) {
          report(`file "${f.path}": cannot be read: ${(err as Error).message}`);
        }
      }
    }
    return { problems, files: files.length, volumeId: primary.volumeId };
  } finally {
    await fh.close();
  }
}

async function checkPathTables(
  fh: ImageReader, volume: VolumeInfo, tree: WalkedTree, volumeSectors: number, report: (p: string) => void,
): Promise<void> {
  const sectors = Math.ceil(volume.pathTableSize / SECTOR_SIZE);
  for (const [order, lba, littleEndian] of [['L', volume.lPathTable, true], ['M', volume.mPathTable, false]] as const) {
    const name = `${volume.kind} ${order} path table (sector ${lba})`;
    if (lba + sectors > volumeSectors) {
      report(`${name}: ${volume.pathTableSize} bytes run past the volume end`);
      continue;
    }
    const bytes = (await readSectors(fh, lba, sectors)).subarray(0, volume.pathTableSize);
    const { entries, problem } = decodePathTable(bytes, littleEndian);
    if (problem !== undefined) report(`${name}: ${problem}`);
    if (entries.length !== tree.directories.length) {
      report(`${name}: lists ${entries.length} folders, the ${tree.kind} tree has ${tree.directories.length}`);
    }
    let reported = 0;
    const n = Math.min(entries.length, tree.directories.length);
    for (let i = 0; i < n && reported < MAX_PATH_TABLE_REPORTS; i++) {
      const e = entries[i];
      const d = tree.directories[i];
      if (e === undefined || d === undefined) break;
      const sameId = e.identifier.length === d.identifier.length && e.identifier.every((b, k) => b === d.identifier[k]);
      if (!sameId || e.extent !== d.lba || e.parent !== d.parent) {
        reported++;
        report(`${name}: record ${i + 1} (sector ${e.extent}, parent ${e.parent}) does not match folder "/${d.path}" (sector ${d.lba}, parent ${d.parent})`);
      }
    }
  }
}

/** Every file must appear in both trees with the same data (same first sector and size). */
function compareTrees(primary: WalkedTree, joliet: WalkedTree, report: (p: string) => void): void {
  const key = (e: WalkedEntry): string => `${e.extents[0]?.lba ?? 0}:${e.size}:${e.extents.length}`;
  const counts = new Map<string, number>();
  const files = (t: WalkedTree): WalkedEntry[] => t.entries.filter((e) => !e.isDir && e.size > 0);
  for (const e of files(primary)) counts.set(key(e), (counts.get(key(e)) ?? 0) + 1);
  for (const e of files(joliet)) {
    const left = counts.get(key(e)) ?? 0;
    if (left === 0) report(`file "${e.path}" is in the Joliet tree but not in the ${primary.kind} tree (same data)`);
    else counts.set(key(e), left - 1);
  }
  for (const e of files(primary)) {
    const left = counts.get(key(e)) ?? 0;
    if (left > 0) {
      report(`file "${e.path}" is in the ${primary.kind} tree but not in the Joliet tree (same data)`);
      counts.set(key(e), left - 1);
    }
  }
  const emptyCount = (t: WalkedTree): number => t.entries.filter((e) => !e.isDir && e.size === 0).length;
  if (emptyCount(primary) !== emptyCount(joliet)) {
    report(`the ${primary.kind} tree has ${emptyCount(primary)} empty files, the Joliet tree ${emptyCount(joliet)}`);
  }
  const dirs = (t: WalkedTree): number => t.directories.length;
  if (dirs(primary) !== dirs(joliet)) report(`the ${primary.kind} tree has ${dirs(primary)} folders, the Joliet tree ${dirs(joliet)}`);
}
