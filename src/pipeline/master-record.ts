/**
 * The record `<iso>.json` beside each disc image, and the check that lets a rerun keep a disc an
 * earlier (interrupted) run finished instead of mastering it again.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { hashImage } from '../iso/export-image.ts';
import { openImageFile } from '../iso/image-file.ts';
import { THIN_SUFFIX } from '../iso/thin-image.ts';

/** What `<iso>.json` beside each ISO records, so a rerun keeps a finished disc. */
export interface MasterRecord {
  bytes: number;
  sha256: string;
  manifestSha256: string;
  /** The reserved tail of a disc shared with other subscribers; absent for a lone disc. */
  tailSectors?: number;
  /** True when the disc was written as a thin image `<iso>.thin` (master + own tail). */
  thin?: boolean;
}

/** What a rerun compares with a disc's record: what this run would write, before writing it. */
export type ExpectedRecord = Omit<MasterRecord, 'bytes' | 'sha256' | 'thin'>;

/**
 * The disc an earlier run finished, when its record matches what this run would write: a full image
 * of the recorded size, or a thin image whose header records the same image (and whose master it
 * names, for the caller to check).
 */
export async function reuseMastered(
  isoPath: string,
  recordPath: string,
  expected: ExpectedRecord,
  verify: boolean,
): Promise<{ path: string; bytes: number; sha256: string; thin: boolean; masterPath?: string } | undefined> {
  if (!existsSync(recordPath)) return undefined;
  try {
    const rec = JSON.parse(await readFile(recordPath, 'utf8')) as MasterRecord;
    // The tail reserve is part of the layout: a disc mastered alone is not the one a group shares.
    if (rec.manifestSha256 !== expected.manifestSha256 || rec.tailSectors !== expected.tailSectors) return undefined;
    if (rec.thin !== true) {
      const st = await stat(isoPath);
      if (st.size !== rec.bytes || (verify && (await hashImage(isoPath)).sha256 !== rec.sha256)) return undefined;
      return { path: isoPath, bytes: rec.bytes, sha256: rec.sha256, thin: false };
    }
    const path = `${isoPath}${THIN_SUFFIX}`;
    const image = await openImageFile(path);
    await image.close();
    const thin = image.thin;
    if (thin === undefined || thin.bytes !== rec.bytes || thin.sha256 !== rec.sha256) return undefined;
    // Read through its master: a thin image is only as good as the master under it.
    if (verify && (await hashImage(path)).sha256 !== rec.sha256) return undefined;
    return { path, bytes: rec.bytes, sha256: rec.sha256, thin: true, masterPath: thin.masterPath };
  } catch {
    // A torn record, a missing image or master: master again.
  }
  return undefined;
}
